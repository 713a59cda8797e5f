"""Pipeline and stage admin: managers only; the rules spanning stages hold after every save."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from peyvand.sales.models import Pipeline
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.sales.pipeline_factories import make_opportunity


def _post(rows: list[dict[str, Any]], **pipeline: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": pipeline.get("name", "Projects"),
        "name_fa": pipeline.get("name_fa", "پروژه‌ها"),
        "stages-TOTAL_FORMS": str(len(rows)),
        # Rows of existing stages are the formset's initial forms, as the page renders them.
        "stages-INITIAL_FORMS": str(sum(1 for row in rows if row.get("pk"))),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "40",
    }
    if pipeline.get("is_active", True):
        data["is_active"] = "on"
    if pipeline.get("is_default"):
        data["is_default"] = "on"
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                value = "on"
            if value is not False:
                data[f"stages-{index}-{key}"] = value
    return data


ROWS = [
    {"name": "Brief", "name_fa": "شرح کار", "win_probability": "20", "ORDER": "1"},
    {"name": "Offer", "name_fa": "پیشنهاد", "win_probability": "60", "ORDER": "2"},
    {"name": "Signed", "win_probability": "100", "is_won": True, "ORDER": "3"},
    {"name": "Dropped", "win_probability": "0", "is_lost": True, "ORDER": "4"},
]


def test_only_managers_reach_the_screens(
    manager: Any, sales1: Any, service1: Any, client_for: Any
) -> None:
    for user in (sales1, service1):
        assert client_for(user).get(reverse("sales:pipeline_admin_list")).status_code == 404
        assert (
            client_for(user).post(reverse("sales:pipeline_admin_create"), _post(ROWS)).status_code
            == 404
        )
    assert not Pipeline.objects.filter(name="Projects").exists()
    assert client_for(manager).get(reverse("sales:pipeline_admin_list")).status_code == 200


def test_create_pipeline_with_bilingual_stages_in_order(manager: Any, client_for: Any) -> None:
    rows = [dict(row) for row in ROWS]
    rows[0]["ORDER"], rows[1]["ORDER"] = "2", "1"
    response = client_for(manager).post(reverse("sales:pipeline_admin_create"), _post(rows))
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Projects")
    stages = list(pipeline.stages.order_by("position"))
    assert [s.name for s in stages] == ["Offer", "Brief", "Signed", "Dropped"]
    assert [s.win_probability for s in stages] == [60, 20, 100, 0]
    assert stages[1].name_fa == "شرح کار" and stages[2].is_won and stages[3].is_lost


def test_exactly_one_won_and_one_lost_stage(manager: Any, client_for: Any) -> None:
    rows = [dict(row) for row in ROWS]
    rows[1]["is_won"] = True
    rows[3]["is_lost"] = False
    response = client_for(manager).post(reverse("sales:pipeline_admin_create"), _post(rows))
    body = response.content.decode()
    assert response.status_code == 400
    assert "exactly one won stage" in body and "exactly one lost stage" in body
    assert not Pipeline.objects.filter(name="Projects").exists()
    rows = [dict(row) for row in ROWS]
    rows[1]["name"], rows[1]["win_probability"] = "brief", "101"
    bad = client_for(manager).post(reverse("sales:pipeline_admin_create"), _post(rows))
    assert bad.status_code == 400
    assert "Ensure this value is less than or equal to 100." in bad.content.decode()


def test_rename_and_protect_stages_holding_deals(
    manager: Any, sales1: Any, customer1: Any, client_for: Any
) -> None:
    pipeline = ensure_default_pipeline()
    make_opportunity(customer1, sales1)
    stages = list(pipeline.stages.order_by("position"))
    rows = [
        {
            "pk": str(s.pk),
            "name": s.name,
            "name_fa": s.name_fa,
            "win_probability": str(s.win_probability),
            "is_won": s.is_won,
            "is_lost": s.is_lost,
            "ORDER": str(i + 1),
        }
        for i, s in enumerate(stages)
    ]
    rows[0]["DELETE"] = "on"
    url = reverse("sales:pipeline_admin_edit", args=[pipeline.pk])
    refused = client_for(manager).post(url, _post(rows, name="Sales", is_default=True))
    assert refused.status_code == 400
    assert "cannot be removed" in refused.content.decode()
    del rows[0]["DELETE"]
    rows[0]["name"], rows[0]["name_fa"] = "Discovery", "کشف نیاز"
    rows[1]["DELETE"] = "on"
    saved = client_for(manager).post(url, _post(rows, name="Sales", is_default=True))
    assert saved.status_code == 302
    names = list(pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names == ["Discovery", "Proposal", "Negotiation", "Won", "Lost"]


def test_default_pipeline_moves_and_cannot_be_dropped(manager: Any, client_for: Any) -> None:
    old = ensure_default_pipeline()
    response = client_for(manager).post(
        reverse("sales:pipeline_admin_create"), _post(ROWS, is_default=True)
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new = Pipeline.objects.get(name="Projects")
    assert new.is_default and not old.is_default
    rows = [
        {
            "pk": str(s.pk),
            "name": s.name,
            "win_probability": str(s.win_probability),
            "is_won": s.is_won,
            "is_lost": s.is_lost,
            "ORDER": str(i + 1),
        }
        for i, s in enumerate(new.stages.order_by("position"))
    ]
    undefault = client_for(manager).post(
        reverse("sales:pipeline_admin_edit", args=[new.pk]), _post(rows)
    )
    assert undefault.status_code == 400
    assert "Make another pipeline the default instead." in undefault.content.decode()
