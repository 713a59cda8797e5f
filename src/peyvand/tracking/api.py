"""REST endpoints of the tracking app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["tracking"])
