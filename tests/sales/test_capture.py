"""capture_lead: one audited write with owner, scores and the first-response deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.core.problems import ServiceError
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import AssignmentAction, LeadChannel, ScoringCondition
from peyvand.sales.models import AssignmentRule, Lead, LeadSource, ScoringRule


def _sales() -> Department:
    return Department.objects.get(code="sales")


def _logs(lead: Lead) -> list[ChangeLog]:
    return list(
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id=str(lead.pk)
        )
    )


def test_capture_assigns_scores_sets_deadline_in_one_audited_write(
    sales1: Any, sales2: Any, settings: Any
) -> None:
    settings.PEYVAND_LEAD_RESPONSE_HOURS = 8
    ScoringRule.objects.create(name="Company", field="company", points=15)
    ScoringRule.objects.create(
        name="Google",
        field="utm_source",
        condition=ScoringCondition.EQUALS,
        value="google",
        points=5,
    )
    ScoringRule.objects.create(name="Fax", field="city", condition="contains", value="x", points=9)
    before = timezone.now()
    lead, duplicates = capture_lead(
        actor=None,
        channel=LeadChannel.WEB_FORM,
        name="Nima",
        company="Arian",
        email="nima@example.com",
        utm_source="Google",
        department=_sales(),
        assign=True,
    )
    assert not duplicates
    lead.refresh_from_db()
    assert lead.owner in (sales1, sales2) and lead.department == _sales()
    assert lead.score == 20  # company + google; the city rule does not match
    assert lead.learned_score is None  # no model trained yet
    assert lead.channel == LeadChannel.WEB_FORM
    assert lead.respond_by is not None
    assert (
        before + dt.timedelta(hours=8) <= lead.respond_by <= timezone.now() + dt.timedelta(hours=8)
    )
    [log] = _logs(lead)
    assert log.action == "create" and log.actor_id is None
    assert log.after["owner_id"] == lead.owner_id and log.after["score"] == 20


def test_source_response_hours_override_the_default(sales1: Any, settings: Any) -> None:
    settings.PEYVAND_LEAD_RESPONSE_HOURS = 24
    source = LeadSource.objects.create(code="call", name="Phone call", response_hours=2)
    lead, _ = capture_lead(actor=sales1, name="A", email="a@example.com", source=source)
    assert lead.respond_by - lead.created_at == dt.timedelta(hours=2)


def test_a_matching_rule_decides_before_round_robin(sales1: Any, sales2: Any) -> None:
    AssignmentRule.objects.create(
        name="Tehran to sales2",
        match_city="Tehran, تهران",
        action=AssignmentAction.USER,
        user=sales2,
        position=1,
    )
    tehran = [
        capture_lead(
            actor=sales1,
            name=f"T{i}",
            email=f"t{i}@example.com",
            city=" تهران ",
            department=_sales(),
            assign=True,
        )[0]
        for i in range(3)
    ]
    assert {lead.owner for lead in tehran} == {sales2}
    elsewhere = [
        capture_lead(
            actor=sales1,
            name=f"S{i}",
            email=f"s{i}@example.com",
            city="Shiraz",
            department=_sales(),
            assign=True,
        )[0]
        for i in range(2)
    ]
    assert {lead.owner for lead in elsewhere} == {sales1, sales2}


def test_an_explicit_owner_is_kept(sales1: Any, sales2: Any) -> None:
    AssignmentRule.objects.create(name="All to 2", action=AssignmentAction.USER, user=sales2)
    lead, _ = capture_lead(
        actor=sales1, name="Mine", email="m@example.com", owner=sales1, assign=True
    )
    assert lead.owner == sales1


def test_bad_input_or_nobody_to_assign_writes_nothing(manager: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        capture_lead(actor=manager, name="", email="bad", department=_sales(), assign=True)
    assert set(caught.value.message_dict) == {"name", "email"}
    with pytest.raises(ServiceError) as refused:
        capture_lead(
            actor=manager,
            name="X",
            email="x@example.com",
            department=Department.objects.get(code="marketing"),
            assign=True,
        )
    assert refused.value.field == "department"
    assert not Lead.objects.exists() and not ChangeLog.objects.exists()


def test_persian_and_script_text_is_stored_as_given(sales1: Any) -> None:
    lead, _ = capture_lead(
        actor=sales1,
        name="<script>alert(1)</script> سارا 🎉",
        company="شركت آريان",
        email="s@example.com",
        owner=sales1,
    )
    lead.refresh_from_db()
    assert lead.name == "<script>alert(1)</script> سارا 🎉"
    assert lead.company == "شركت آريان"
