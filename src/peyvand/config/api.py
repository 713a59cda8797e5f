"""The ninja root: every app mounts its router under /api/v1."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Peyvand API",
    version="1",
    description="REST API of the Peyvand e-CRM. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api",
)
