"""The board's column counts and totals and the dashboard's figures are cached: every
change to a deal (create, move, win, delete, its customer deleted) shows at once, each
reader sees only the totals of the deals they may see, and "show more" pages through a
column."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.audit.recycle import soft_delete
from peyvand.sales.forecast_data import generate_open_deals
from peyvand.sales.models import Opportunity
from peyvand.sales.opportunities import (
    ensure_default_pipeline,
    move_opportunity,
    open_stages,
    win_opportunity,
)
from peyvand.sales.selectors import CARDS_PER_COLUMN
from peyvand.sales.views.pipeline import CSRF_PLACEHOLDER
from tests.sales.pipeline_factories import make_opportunity

COLUMN = re.compile(
    r'data-stage="(\d+)".*?<span class="badge"[^>]*>([^<]*)</span>.*?'
    r'<p class="column-total">(.*?)</p>',
    re.S,
)
TOTAL = re.compile(r'<span class="total">([^<]*)</span>')
UNDATED = re.compile(r"Open deals without an expected close date</dt><dd>(\d+) ")


def _columns(client: Client) -> dict[int, tuple[int, list[str]]]:
    """Each stage's (count, totals) as the board shows them, read twice: once computed,
    once from the cache, and both must agree."""
    seen = []
    for _ in range(2):
        body = client.get(reverse("sales:board")).content.decode()
        seen.append(
            {
                int(stage): (int(count), TOTAL.findall(totals))
                for stage, count, totals in COLUMN.findall(body)
            }
        )
    assert seen[0] == seen[1]
    return seen[0]


def _undated(client: Client) -> int:
    counts = []
    for _ in range(2):
        found = UNDATED.search(client.get(reverse("sales:dashboard")).content.decode())
        assert found is not None
        counts.append(int(found.group(1)))
    assert counts[0] == counts[1]
    return counts[0]


def test_totals_follow_create_move_win_and_delete(
    client_for: Any, manager: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    first, second, *_ = open_stages(ensure_default_pipeline())
    client = client_for(manager)
    assert _columns(client)[first.pk] == (0, ["—"]) and _undated(client) == 0

    mine = make_opportunity(customer1, sales1, title="Mine", amount="1000", stage=first)
    assert _columns(client)[first.pk] == (1, ["1,000 IRR"]) and _undated(client) == 1
    theirs = make_opportunity(customer2, sales2, title="Theirs", amount="2000", stage=first)
    assert _columns(client)[first.pk] == (2, ["3,000 IRR"]) and _undated(client) == 2

    move_opportunity(mine, second, actor=sales1)
    columns = _columns(client)
    assert columns[first.pk] == (1, ["2,000 IRR"]) and columns[second.pk] == (1, ["1,000 IRR"])

    win_opportunity(theirs, actor=sales2)
    assert _columns(client)[first.pk] == (0, ["—"]) and _undated(client) == 1

    soft_delete(Opportunity.objects.get(pk=mine.pk), actor=manager)
    assert _columns(client)[second.pk] == (0, ["—"]) and _undated(client) == 0

    make_opportunity(customer1, sales1, title="Gone with its customer", stage=first)
    assert _columns(client)[first.pk] == (1, ["1,000 IRR"])
    soft_delete(customer1, actor=manager)
    assert _columns(client)[first.pk] == (0, ["—"]) and _undated(client) == 0


def test_each_reader_sees_the_totals_of_their_own_deals(
    client_for: Any, manager: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    first = open_stages(ensure_default_pipeline())[0]
    make_opportunity(customer1, sales1, title="Mine", amount="1000", stage=first)
    make_opportunity(customer2, sales2, title="Theirs", amount="2000", stage=first)
    # The manager's figures are cached first: an own-scope rep must not be given them.
    assert _columns(client_for(manager))[first.pk] == (2, ["3,000 IRR"])
    assert _columns(client_for(sales1))[first.pk] == (1, ["1,000 IRR"])
    assert _columns(client_for(sales2))[first.pk] == (1, ["2,000 IRR"])
    board = client_for(sales1).get(reverse("sales:board")).content.decode()
    assert "Mine" in board and "Theirs" not in board
    assert _undated(client_for(manager)) == 2
    assert _undated(client_for(sales1)) == _undated(client_for(sales2)) == 1


def _fill_first_column(customer: Any, owner: Any, deals: int) -> Any:
    pipeline = ensure_default_pipeline()
    stages = open_stages(pipeline)
    generate_open_deals(
        pipeline=pipeline, customers=[customer], owners=[owner], deals=deals * len(stages),
        now=timezone.now(),
    )  # fmt: skip
    return pipeline, stages[0]


def test_show_more_pages_through_a_column(
    client_for: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    pipeline, stage = _fill_first_column(customer1, sales1, CARDS_PER_COLUMN + 5)
    make_opportunity(customer2, sales2, title="Not for sales1", stage=stage)
    client = client_for(sales1)
    board = client.get(reverse("sales:board")).content.decode()
    url = reverse("sales:board_column", args=[pipeline.pk, stage.pk])
    assert f"{url}?offset={CARDS_PER_COLUMN}" in board and "Show more (5 more)" in board

    more = client.get(url, {"offset": CARDS_PER_COLUMN}, HTTP_HX_REQUEST="true")
    body = more.content.decode()
    assert more.status_code == 200 and "<html" not in body
    shown = set(re.findall(r'id="opportunity-(\d+)"', board))
    rest = re.findall(r'id="opportunity-(\d+)"', body)
    assert len(rest) == 5 and not shown & set(rest)
    assert "Show more" not in body and "Not for sales1" not in body
    expected = Opportunity.objects.filter(stage=stage, owner=sales1).order_by(
        "stage_entered_at", "pk"
    )
    assert [int(pk) for pk in rest] == [o.pk for o in expected][CARDS_PER_COLUMN:]

    first = client.get(url, {"offset": 0}, HTTP_HX_REQUEST="true").content.decode()
    assert f"?offset={CARDS_PER_COLUMN}" in first and "Show more (5 more)" in first

    # Without HTMX: the stage's table view, which pages through every deal.
    plain = client.get(url, {"offset": CARDS_PER_COLUMN})
    assert plain.status_code == 302 and plain["Location"].startswith(
        reverse("sales:opportunity_list")
    )


def test_show_more_refuses_bad_input_and_other_departments(
    client_for: Any, sales1: Any, service1: Any, marketing1: Any, customer1: Any
) -> None:
    pipeline, stage = _fill_first_column(customer1, sales1, 2)
    url = reverse("sales:board_column", args=[pipeline.pk, stage.pk])
    client = client_for(sales1)
    for offset in ("x", "-1", "1.5"):
        assert client.get(url, {"offset": offset}, HTTP_HX_REQUEST="true").status_code == 404
    won = pipeline.stages.get(is_won=True)
    for wrong in (
        reverse("sales:board_column", args=[pipeline.pk, won.pk]),
        reverse("sales:board_column", args=[pipeline.pk + 999, stage.pk]),
    ):
        assert client.get(wrong, HTTP_HX_REQUEST="true").status_code == 404
    for user in (service1, marketing1):
        assert client_for(user).get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_a_card_dropped_on_a_long_column_stays_in_sight(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    pipeline, first = _fill_first_column(customer1, sales1, CARDS_PER_COLUMN + 2)
    second = open_stages(pipeline)[1]
    deal = Opportunity.objects.filter(stage=first).order_by("stage_entered_at", "pk").first()
    assert deal is not None
    client = client_for(sales1)
    answer = client.post(
        reverse("sales:opportunity_move", args=[deal.pk]),
        {"stage": second.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    # Newest in its stage, so last in turn: shown anyway, marked, and left out of the rest.
    assert f'id="opportunity-{deal.pk}"' in answer and "data-moved" in answer
    more = re.search(rf'hx-get="([^"]*/stages/{second.pk}/cards/[^"]*)"', answer)
    assert more is not None and f"skip={deal.pk}" in more.group(1)
    rest = client.get(more.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true")
    assert f'id="opportunity-{deal.pk}"' not in rest.content.decode()
    # 27 deals were there: 25 shown in turn, the moved one, and these two.
    assert "Show more (2 more)" in answer
    assert rest.content.decode().count('class="kanban-card"') == 2


def test_cached_board_carries_each_readers_own_csrf_token(
    sales1: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1, title="Moving")
    second = open_stages(ensure_default_pipeline())[1]
    client_for(sales1).get(reverse("sales:board"))  # someone else's session fills the cache
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales1, backend="django.contrib.auth.backends.ModelBackend")
    body = client.get(reverse("sales:board")).content.decode()
    assert CSRF_PLACEHOLDER not in body
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None
    response = client.post(
        reverse("sales:opportunity_move", args=[deal.pk]),
        {"stage": second.pk, "return_to": "board", "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).stage_id == second.pk
