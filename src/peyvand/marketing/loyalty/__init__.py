"""Loyalty programme: points per purchase and per action, tiers, rewards, expiry and
fraud limits, kept in an append-only ledger (models in marketing/models/loyalty.py)."""
