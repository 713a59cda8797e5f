"""Staff views of the sales app, one module per screen family (see urls.py)."""
