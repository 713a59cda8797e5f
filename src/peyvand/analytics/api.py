"""REST endpoints of the analytics app, mounted by peyvand.config.api."""

from __future__ import annotations

from ninja import Router

from peyvand.analytics.churn.api import router as churn_router
from peyvand.analytics.recommend.api import router as recommend_router

router = Router(tags=["analytics"])
router.add_router("", churn_router)
router.add_router("", recommend_router)
