"""Lead sources and their first-response hours: the service (validated, audited) and the
managers' screen (everyone else 404), in both languages, escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from peyvand.audit.models import ChangeLog
from peyvand.sales.capture import capture_lead
from peyvand.sales.lead_sources import MAX_RESPONSE_HOURS, save_lead_source
from peyvand.sales.models import LeadSource
from tests.conftest import speak_persian

URL = "/sales/leads/sources/"


def _changes(source: LeadSource) -> list[ChangeLog]:
    return list(
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(LeadSource), object_id=str(source.pk)
        ).order_by("pk")
    )


def test_save_validates_audits_and_new_leads_get_the_hours(manager: Any, sales1: Any) -> None:
    source = save_lead_source(None, actor=manager, name="Trade fair", code="Fair")
    assert source.code == "fair" and source.response_hours is None
    for hours in (0, MAX_RESPONSE_HOURS + 1):
        with pytest.raises(ValidationError) as caught:
            save_lead_source(source, actor=manager, name="Trade fair", response_hours=hours)
        assert set(caught.value.message_dict) == {"response_hours"}
    save_lead_source(None, actor=manager, name="Website", code="web")
    with pytest.raises(ValidationError) as caught:
        save_lead_source(source, actor=manager, name=" website ", response_hours=3)
    assert set(caught.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as caught:
        save_lead_source(None, actor=manager, name="", code="web")
    assert set(caught.value.message_dict) == {"name", "code"}
    source.refresh_from_db()
    assert source.response_hours is None and len(_changes(source)) == 1

    save_lead_source(
        source,
        actor=manager,
        name="Trade fair",
        name_fa="نمایشگاه",
        code="ignored",
        response_hours=3,
    )
    source.refresh_from_db()
    assert source.code == "fair" and source.response_hours == 3
    change = _changes(source)[-1]
    assert change.actor_id == manager.pk
    assert (change.before["response_hours"], change.after["response_hours"]) == (None, 3)
    lead, _ = capture_lead(actor=sales1, name="Ali", email="ali@example.com", source=source)
    assert lead.respond_by - lead.created_at == dt.timedelta(hours=3)
    # Saving what is already there writes nothing.
    save_lead_source(source, actor=manager, name="Trade fair", name_fa="نمایشگاه", response_hours=3)
    assert len(_changes(source)) == 2


def test_only_managers_reach_the_screen(
    manager: Any, sales1: Any, service1: Any, marketing1: Any, client_for: Any
) -> None:
    source = LeadSource.objects.create(name="Website", code="web")
    assert client_for(manager).get(URL).status_code == 200
    for persona in (sales1, service1, marketing1):
        client = client_for(persona)
        assert client.get(URL).status_code == 404
        assert client.get(f"{URL}{source.pk}/").status_code == 404
        response = client.post(f"{URL}{source.pk}/", {"name": "Hacked", "response_hours": "1"})
        assert response.status_code == 404
    source.refresh_from_db()
    assert source.name == "Website" and source.response_hours is None
    assert client_for(manager).get(f"{URL}999999/").status_code == 404


def test_manager_adds_and_edits_sources_in_persian(manager: Any, client_for: Any) -> None:
    speak_persian(manager)
    client = client_for(manager)
    page = client.get(URL)
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
    response = client.post(
        URL,
        {"name": "<script>x</script>", "code": "fair", "is_active": "on", "response_hours": "4"},
    )
    assert response.status_code == 302
    source = LeadSource.objects.get(code="fair")
    assert source.response_hours == 4 and source.is_active
    html = client.get(URL).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    # A bad number of hours: the form says so in Persian and nothing changes.
    bad = client.post(f"{URL}{source.pk}/", {"name": "Fair", "response_hours": "0"})
    assert bad.status_code == 400
    assert "response_hours" in bad.context["form"].errors
    assert "مطمئن شوید این مقدار بزرگتر و یا مساوی 1 است." in bad.content.decode()
    source.refresh_from_db()
    assert source.name == "<script>x</script>" and source.response_hours == 4
    # Deactivate and clear the hours (back to the default); the code stays.
    done = client.post(
        f"{URL}{source.pk}/", {"name": "Fair", "code": "other", "response_hours": ""}
    )
    assert done.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.code, source.is_active, source.response_hours) == (
        "Fair",
        "fair",
        False,
        None,
    )
