"""REST endpoints of the audit app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["audit"])
