"""REST endpoints of the catalog app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["products"])
