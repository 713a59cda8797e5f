"""The Kanban board, a board column's "show more" and the dashboard cost the same number of
queries whatever the number of cards shown (the benchmark's claim, checked at 5 and at 50
deals per stage), both when their figures are computed (just after a change) and when they
come from the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peyvand.sales.forecast_data import generate_open_deals
from peyvand.sales.models import Opportunity
from peyvand.sales.opportunities import ensure_default_pipeline, open_stages
from peyvand.sales.report_cache import invalidate
from peyvand.sales.selectors import CARDS_PER_COLUMN


def _queries(client: Any, url: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_HX_REQUEST="true" if "/cards/" in url else None)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content


@pytest.mark.parametrize("page", ["board", "column", "dashboard"])
def test_queries_do_not_grow_with_the_cards_shown(
    page: str, client_for: Any, manager: Any, sales1: Any, sales2: Any, customer1: Any,
    customer2: Any,
) -> None:  # fmt: skip
    pipeline = ensure_default_pipeline()
    stages = open_stages(pipeline)
    url = {
        "board": reverse("sales:board"),
        "column": reverse("sales:board_column", args=[pipeline.pk, stages[0].pk]) + "?offset=3",
        "dashboard": reverse("sales:dashboard"),
    }[page]
    client = client_for(manager)

    def add(per_stage: int, seed: int) -> None:
        generate_open_deals(
            pipeline=pipeline, customers=[customer1, customer2], owners=[sales1, sales2],
            deals=per_stage * len(stages), now=timezone.now(), seed=seed,
        )  # fmt: skip

    add(5, 1)
    client.get(url)  # sessions, translations: what the first request of a client pays
    invalidate()  # the figures are computed again
    cold_few, small = _queries(client, url)
    warm_few, _ = _queries(client, url)
    add(45, 2)  # 50 deals per stage: every column full, more behind "show more"
    cold_many, large = _queries(client, url)
    warm_many, _ = _queries(client, url)
    assert (cold_few, warm_few) == (cold_many, warm_many)
    assert warm_few < cold_few  # the cached figures cost fewer queries
    cards = b'class="kanban-card"'
    if page == "board":
        assert small.count(cards) == 5 * len(stages)
        assert large.count(cards) == CARDS_PER_COLUMN * len(stages)
    if page == "column":
        assert small.count(cards) == 2 and large.count(cards) == CARDS_PER_COLUMN
    assert Opportunity.objects.filter(status="open").count() == 50 * len(stages)
