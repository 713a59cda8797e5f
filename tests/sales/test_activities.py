"""Activities: planned ones are desk tasks, done ones are interactions on the timeline; a
lead's done activities follow it to the customer on conversion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peyvand.channels.models import Interaction
from peyvand.desk.choices import TaskStatus
from peyvand.desk.models import Task
from peyvand.sales.activities import complete_activity, log_activity, plan_activity
from peyvand.sales.choices import ActivityStatus
from peyvand.sales.leads import convert_lead
from peyvand.sales.models import Activity
from peyvand.sales.services import NotFound
from tests.sales.pipeline_factories import make_lead, make_opportunity

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _at(hours: int) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)


def test_planned_call_is_a_task_and_completing_puts_it_on_the_timeline(
    sales1: Any, customer1: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    call = plan_activity(
        actor=sales1, kind="call", subject="Follow up", starts_at=_at(2), opportunity=deal
    )
    task = Task.objects.get()
    assert (task.kind, task.due_at, task.assignee, task.customer) == (
        "call",
        call.starts_at,
        sales1,
        customer1,
    )
    assert call.task == task and not Interaction.objects.exists()
    complete_activity(call, actor=sales1, notes="Agreed on a demo")
    call.refresh_from_db()
    task.refresh_from_db()
    interaction = Interaction.objects.get()
    assert call.status == ActivityStatus.DONE and task.status == TaskStatus.DONE
    assert (interaction.channel, interaction.customer, interaction.related) == (
        "phone",
        customer1,
        deal,
    )
    assert "Agreed on a demo" in interaction.body
    complete_activity(call, actor=sales1)
    assert Interaction.objects.count() == 1


def test_meeting_needs_an_end_after_its_start(sales1: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    with pytest.raises(ValidationError) as error:
        plan_activity(
            actor=sales1,
            kind="meeting",
            subject="",
            starts_at=_at(3),
            ends_at=_at(2),
            opportunity=deal,
        )
    assert set(error.value.message_dict) == {"subject", "ends_at"}
    assert not Activity.objects.exists() and not Task.objects.exists()


def test_other_reps_deal_is_not_found(sales1: Any, sales2: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    with pytest.raises(NotFound):
        plan_activity(actor=sales2, kind="call", subject="x", starts_at=_at(1), opportunity=deal)
    assert not Activity.objects.exists()


def test_lead_activities_stay_on_the_lead_until_conversion(sales1: Any, currencies: None) -> None:
    lead = make_lead(sales1, name="Prospect")
    logged = log_activity(
        actor=sales1, kind="email", subject="Sent brochure", starts_at=_at(-1), lead=lead
    )
    assert logged.interaction is None and not Interaction.objects.exists()
    customer, _opportunity = convert_lead(lead, actor=sales1, title="Deal")
    logged.refresh_from_db()
    interaction = Interaction.objects.get()
    assert logged.interaction == interaction
    assert (interaction.customer, interaction.channel, interaction.related) == (
        customer,
        "email",
        lead,
    )


def test_logging_in_the_future_is_refused(sales1: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    with pytest.raises(ValidationError):
        log_activity(actor=sales1, kind="call", subject="x", starts_at=_at(5), opportunity=deal)


def test_plan_meeting_through_htmx_and_see_it_escaped(
    sales1: Any, sales2: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    url = reverse("sales:activity_plan", args=["opportunity", deal.pk])
    client = client_for(sales1)
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "<html" not in form.content.decode()
    response = client.post(
        url,
        {
            "kind": "meeting",
            "subject": f"Demo {SCRIPT}",
            "starts_at": "1405/01/20 10:00",
            "ends_at": "1405/01/20 11:30",
            "location": "دفتر تهران",
            "attendees": [sales2.pk],
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert ESCAPED in body and SCRIPT not in body and "دفتر تهران" in body
    meeting = Activity.objects.get()
    assert list(meeting.attendees.all()) == [sales2]
    assert meeting.ends_at - meeting.starts_at == dt.timedelta(minutes=90)
    page = client.get(reverse("sales:opportunity_detail", args=[deal.pk])).content.decode()
    assert ESCAPED in page and "Plan activity" in page
    assert client_for(sales2).post(url, {"kind": "call"}).status_code == 404


def test_log_from_lead_page_without_js_shows_errors_in_persian(
    sales1: Any, client_for: Any, currencies: None
) -> None:
    from tests.conftest import speak_persian

    lead = make_lead(sales1)
    url = reverse("sales:activity_log", args=["lead", lead.pk])
    speak_persian(sales1)
    client = client_for(sales1)
    bad = client.post(url, {"kind": "call", "subject": "", "starts_at": "1405/13/40"})
    assert bad.status_code == 400
    assert not Activity.objects.exists()
    ok = client.post(
        url,
        {
            "kind": "call",
            "subject": "تماس اول",
            "starts_at": "2026-01-02 09:00",
            "direction": "outbound",
        },
    )
    assert ok.status_code == 302
    assert "تماس اول" in client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert client.get(reverse("sales:activity_panel", args=["order", lead.pk])).status_code == 404


def test_mark_done_from_the_panel(
    sales1: Any, sales2: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    call = plan_activity(
        actor=sales1, kind="call", subject="Ring", starts_at=_at(-1), opportunity=deal
    )
    url = reverse("sales:activity_complete", args=[call.pk])
    assert client_for(sales2).post(url, {"notes": "x"}).status_code == 404
    call.refresh_from_db()
    assert call.status == ActivityStatus.PLANNED
    response = client_for(sales1).post(url, {"notes": f"Outcome {SCRIPT}"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="activities"' in body
    assert ESCAPED in body and SCRIPT not in body
    call.refresh_from_db()
    assert call.status == ActivityStatus.DONE and call.interaction is not None
    assert Task.objects.get().status == TaskStatus.DONE


def test_htmx_form_errors_come_back_into_the_form_slot(
    sales1: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    url = reverse("sales:activity_plan", args=["opportunity", deal.pk])
    response = client_for(sales1).post(
        url,
        {"kind": "meeting", "subject": "Demo", "starts_at": "2026-03-01 10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#activity-form-slot"
    assert "Say when the meeting ends." in response.content.decode()
    assert not Activity.objects.exists()
    panel = client_for(sales1).get(reverse("sales:activity_panel", args=["opportunity", deal.pk]))
    assert panel.status_code == 200 and 'id="activities"' in panel.content.decode()
