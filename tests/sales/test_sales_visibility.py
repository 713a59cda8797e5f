"""Own-scope reps never see another rep's leads, on any surface (list, search, desk, API,
export, import jobs), nor another rep's deals in the CSV export; managers see all.
Deals on the list, table, Kanban, search, API and .ics: test_deal_visibility.py; the
dashboard and its reports: test_forecast_views.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import ApiToken
from peyvand.sales.models import Lead
from tests.sales.pipeline_factories import make_lead, make_opportunity

SECRET = "Secret lead of sales2"
FORMULA = '=HYPERLINK("http://evil")'


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_one_rep_never_sees_the_other_reps_leads_anywhere(
    sales1: Any, sales2: Any, manager: Any, client_for: Any
) -> None:
    make_lead(sales1, name="Lead of sales1", company=FORMULA, email="one@example.com")
    theirs = make_lead(sales2, name=SECRET, email="secret@example.com", phone="09121112233")
    # Overdue: the other rep's desk shows it red, never this rep's.
    Lead.objects.filter(pk=theirs.pk).update(respond_by=timezone.now() - dt.timedelta(hours=3))
    _token, raw = ApiToken.issue(sales1, name="t", scopes=["*"])
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    client = client_for(sales1)
    lists = reverse("sales:lead_list")
    surfaces = {
        "list": client.get(lists),
        "search by name": client.get(lists, {"q": "Secret"}),
        "search by phone": client.get(lists, {"q": "۰۹۱۲۱۱۱۲۲۳۳"}),
        "desk": client.get(reverse("desk:my_desk")),
        "api list": api.get("/api/v1/leads"),
        "api search": api.get("/api/v1/leads", {"q": "secret@example.com"}),
        "export": client.get(reverse("sales:lead_export")),
        "export search": client.get(reverse("sales:lead_export"), {"q": "Secret"}),
    }
    for name, response in surfaces.items():
        assert response.status_code == 200, name
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode("utf-8-sig")
        assert SECRET not in body and "secret@example.com" not in body, name
    for url in (
        reverse("sales:lead_detail", args=[theirs.pk]),
        reverse("sales:activity_panel", args=["lead", theirs.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("sales:lead_convert", args=[theirs.pk]),
        reverse("sales:lead_status", args=[theirs.pk]),
    ):
        assert client.post(url, {"status": "contacted"}).status_code == 404, url
    assert api.get(f"/api/v1/leads/{theirs.pk}").status_code == 404

    # The rep's own export: their lead, formulas neutralised, columns the import reads.
    rows = _csv(client.get(reverse("sales:lead_export")))
    assert rows[0][:4] == ["name", "company", "email", "phone"]
    assert [r[0] for r in rows[1:]] == ["Lead of sales1"]
    assert rows[1][1] == "'" + FORMULA
    # The manager exports both; the other rep's search finds only their own.
    everyone = _csv(client_for(manager).get(reverse("sales:lead_export")))
    assert {r[0] for r in everyone[1:]} == {"Lead of sales1", SECRET}
    own = _csv(client_for(sales2).get(reverse("sales:lead_export"), {"q": "lead"}))
    assert [r[0] for r in own[1:]] == [SECRET]


def test_deal_export_is_in_scope_and_refused_without_the_permission(
    sales1: Any,
    sales2: Any,
    manager: Any,
    service1: Any,
    marketing1: Any,
    customer1: Any,
    customer2: Any,
    client_for: Any,
) -> None:
    make_opportunity(customer1, sales1, title="Deal of sales1", amount="1500")
    make_opportunity(customer2, sales2, title="Secret deal of sales2")
    url = reverse("sales:opportunity_export")
    rows = _csv(client_for(sales1).get(url))
    assert rows[0][:3] == ["id", "title", "customer"]
    assert [(r[1], r[6], r[7]) for r in rows[1:]] == [("Deal of sales1", "1500.00", "IRR")]
    assert len(_csv(client_for(sales1).get(url, {"q": "Secret"}))) == 1
    assert len(_csv(client_for(manager).get(url))) == 3
    page = client_for(sales1).get(reverse("sales:opportunity_list")).content.decode()
    assert url in page
    for persona in (service1, marketing1):
        client = client_for(persona)
        assert client.get(url).status_code == 404
        assert client.get(reverse("sales:lead_export")).status_code == 404
