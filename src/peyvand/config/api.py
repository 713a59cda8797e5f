"""The ninja root: every app mounts its router under /api/v1."""

from __future__ import annotations

from ninja import NinjaAPI

from peyvand.access.api import router as access_router
from peyvand.audit.api import router as audit_router
from peyvand.catalog.api import router as catalog_router
from peyvand.channels.api import router as interactions_router
from peyvand.customers.api import router as customers_router
from peyvand.desk.api import router as tasks_router
from peyvand.imports.api import router as imports_router
from peyvand.sales.api import router as orders_router

api = NinjaAPI(
    title="Peyvand API",
    version="1",
    description="REST API of the Peyvand e-CRM. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api",
)
api.add_router("/customers", customers_router)
api.add_router("/interactions", interactions_router)
api.add_router("/orders", orders_router)
api.add_router("/products", catalog_router)
api.add_router("/tasks", tasks_router)
api.add_router("/audit", audit_router)
api.add_router("/imports", imports_router)
api.add_router("/me", access_router)
