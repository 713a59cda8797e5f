"""The Kanban board and the dashboard cost the same number of queries whatever the number
of cards shown (the benchmark's claim, checked at two sizes)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peyvand.sales.forecast_data import generate_open_deals
from peyvand.sales.models import Opportunity
from peyvand.sales.opportunities import ensure_default_pipeline


@pytest.mark.parametrize("page", ["sales:board", "sales:dashboard"])
def test_queries_do_not_grow_with_the_cards_shown(
    page: str, client_for: Any, manager: Any, sales1: Any, sales2: Any, customer1: Any,
    customer2: Any, django_assert_num_queries: Any,
) -> None:  # fmt: skip
    pipeline = ensure_default_pipeline()
    client = client_for(manager)
    url = reverse(page)

    def add(n: int, seed: int) -> None:
        generate_open_deals(
            pipeline=pipeline, customers=[customer1, customer2], owners=[sales1, sales2],
            deals=n, now=timezone.now(), seed=seed,
        )  # fmt: skip

    add(8, 1)  # two cards per column
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url)
    add(240, 2)  # every column full (50 cards) and more hidden
    with django_assert_num_queries(len(few.captured_queries)):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    if page == "sales:board":
        assert small.content.count(b'class="kanban-card"') == 8
        assert large.content.count(b'class="kanban-card"') == 200
    assert Opportunity.objects.filter(status="open").count() == 248
