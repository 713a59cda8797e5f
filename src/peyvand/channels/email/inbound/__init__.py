"""Inbound email: connected mailboxes polled over IMAP, a signed webhook for providers, one
ingest path that parses, threads, matches the customer, routes and logs each message."""
