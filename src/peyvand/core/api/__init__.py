"""What every app's api.py builds on: auth and scopes, problem+json errors, cursor
pagination, Idempotency-Key, shared schemas."""
