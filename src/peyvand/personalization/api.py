"""REST endpoints of the personalization app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["personalization"])
