"""SMS: an HTTP gateway configurable for common providers, segment counting, caps against
SMS pumping, signed delivery-report and inbound webhooks, opt-out keywords."""
