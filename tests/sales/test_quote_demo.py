"""The demo's quotes and contracts: one quote in each answer state, a contract due for
renewal with its desk task, and nothing loaded twice."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.core.demo import load_demo_company
from peyvand.sales.contracts import renewals_due
from peyvand.sales.models import Contract, Quote


@pytest.mark.django_db
def test_demo_documents(personas: Any, manager: Any) -> None:
    load_demo_company()
    statuses = sorted(Quote.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "draft", "rejected", "sent"]
    accepted = Quote.objects.get(status="accepted")
    contract = Contract.objects.get()
    assert contract.order_id == accepted.order_id and contract.renewal_task_id is not None
    assert list(renewals_due(manager)) == [contract]
    load_demo_company()
    assert Quote.objects.count() == 4 and Contract.objects.count() == 1
