"""REST endpoints of the analytics app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["analytics"])
