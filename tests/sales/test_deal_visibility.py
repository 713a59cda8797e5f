"""Own-scope sales reps never see another rep's deals: list, table, Kanban, API and .ics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import ApiToken
from peyvand.sales.activities import plan_activity
from tests.sales.pipeline_factories import make_opportunity

SECRET = "Secret deal of sales2"


def test_one_rep_never_sees_the_other_reps_deal_anywhere(
    sales1: Any, sales2: Any, manager: Any, customer1: Any, customer2: Any, client_for: Any
) -> None:
    make_opportunity(customer1, sales1, title="Visible deal of sales1")
    theirs = make_opportunity(customer2, sales2, title=SECRET)
    start = timezone.now() + dt.timedelta(days=1)
    plan_activity(
        actor=sales2,
        kind="meeting",
        subject=f"Meeting on {SECRET}",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        opportunity=theirs,
        attendees=[sales1],
    )
    _token, raw = ApiToken.issue(sales1, name="t", scopes=["*"])
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    client = client_for(sales1)
    surfaces = {
        "table": client.get(reverse("sales:opportunity_list")),
        "list": client.get(reverse("sales:opportunity_list"), {"layout": "cards", "q": "Secret"}),
        "kanban": client.get(reverse("sales:board")),
        "api": api.get("/api/v1/opportunities", {"q": "Secret"}),
        "ics": client.get(reverse("sales:calendar_download")),
    }
    for name, response in surfaces.items():
        assert response.status_code == 200, name
        assert SECRET not in response.content.decode(), name
    assert "Visible deal of sales1" in surfaces["kanban"].content.decode()
    for url in (
        reverse("sales:opportunity_detail", args=[theirs.pk]),
        reverse("sales:opportunity_edit", args=[theirs.pk]),
        reverse("sales:activity_panel", args=["opportunity", theirs.pk]),
    ):
        assert client.get(url).status_code == 404
    assert api.get(f"/api/v1/opportunities/{theirs.pk}/history").status_code == 404
    managers = client_for(manager).get(reverse("sales:opportunity_list")).content.decode()
    assert SECRET in managers
