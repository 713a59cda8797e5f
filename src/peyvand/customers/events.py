"""What customer services announce to the rest of the system (and, through webhooks, to
integrators); called inside the service's transaction."""

from __future__ import annotations

from typing import Any

from peyvand.channels.webhooks.services import emit


def customer_created(customer: Any) -> None:
    emit("customer.created", {"id": customer.pk, "kind": customer.kind})


def customer_updated(customer: Any, fields: list[str]) -> None:
    emit("customer.updated", {"id": customer.pk, "fields": sorted(fields)})
