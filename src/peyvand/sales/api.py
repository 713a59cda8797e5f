"""REST endpoints of the sales app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["orders"])
