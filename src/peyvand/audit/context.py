"""Per-request context the change log reads without every call passing it along."""

from __future__ import annotations

import contextvars

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("peyvand_request_id", default="")
