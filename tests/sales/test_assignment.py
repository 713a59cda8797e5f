"""Assignment rules: matching, the three actions, the order of rules, the staff service."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from peyvand.access.models import Department, Role, User
from peyvand.audit.models import ChangeLog
from peyvand.catalog.models import Product
from peyvand.sales.assignment import Assigner, choose_owner, save_assignment_rule
from peyvand.sales.choices import AssignmentAction
from peyvand.sales.models import AssignmentRule, Lead, LeadSource
from tests.conftest import PASSWORD
from tests.sales.pipeline_factories import make_lead


def _sales() -> Department:
    return Department.objects.get(code="sales")


def _lead(**fields: Any) -> Lead:
    return Lead(name="X", email="x@example.com", **fields)


def test_every_set_condition_must_match(sales1: Any, sales2: Any, currencies: None) -> None:
    web = LeadSource.objects.create(code="web", name="Website")
    product = Product.objects.create(sku="P1", name="CRM", unit_price=1)
    AssignmentRule.objects.create(
        name="Persian web leads for CRM",
        match_language="fa",
        match_source=web,
        match_product=product,
        action=AssignmentAction.USER,
        user=sales2,
    )
    matching = _lead(language="fa", source=web, product=product)
    assert choose_owner(matching, department=_sales()).owner == sales2
    for other in (
        _lead(language="en", source=web, product=product),
        _lead(language="fa", source=None, product=product),
        _lead(language="fa", source=web, product=None),
    ):
        assignment = choose_owner(other, department=_sales())
        assert assignment.rule is None  # fell through to round robin


def test_first_rule_by_position_wins_and_inactive_rules_are_skipped(
    sales1: Any, sales2: Any
) -> None:
    AssignmentRule.objects.create(
        name="Off", position=0, is_active=False, action=AssignmentAction.USER, user=sales1
    )
    AssignmentRule.objects.create(
        name="Second", position=2, action=AssignmentAction.USER, user=sales1
    )
    AssignmentRule.objects.create(
        name="First", position=1, action=AssignmentAction.USER, user=sales2
    )
    assignment = choose_owner(_lead(), department=_sales())
    assert (assignment.owner, assignment.rule.name) == (sales2, "First")


def test_a_rule_naming_an_inactive_user_falls_through(sales1: Any, sales2: Any) -> None:
    gone = User.objects.create_user("gone", password=PASSWORD, is_active=False)
    AssignmentRule.objects.create(name="Gone", position=0, action="user", user=gone)
    AssignmentRule.objects.create(name="Next", position=1, action="user", user=sales1)
    assert choose_owner(_lead(), department=_sales()).owner == sales1


def test_least_loaded_gives_to_the_rep_with_fewest_open_leads(sales1: Any, sales2: Any) -> None:
    for i in range(3):
        make_lead(sales1, email=f"a{i}@example.com")
    make_lead(sales2, email="b@example.com")
    AssignmentRule.objects.create(
        name="Load", action=AssignmentAction.LEAST_LOADED, department=_sales()
    )
    assert Assigner().least_loaded(_sales()) == sales2
    # Closed leads are not load.
    Lead.objects.filter(owner=sales1).update(status="disqualified")
    assert Assigner().least_loaded(_sales()) == sales1
    assert choose_owner(_lead(), department=None).owner == sales1


def test_one_assigner_counts_the_leads_it_deals_itself(sales1: Any, sales2: Any) -> None:
    make_lead(sales1, email="a@example.com")
    AssignmentRule.objects.create(
        name="Load", action=AssignmentAction.LEAST_LOADED, department=_sales()
    )
    with Assigner() as assigner:
        owners = [assigner.choose(_lead(), department=None).owner for _ in range(5)]
    # sales2 starts one lead behind, then they alternate.
    assert owners == [sales2, sales1, sales2, sales1, sales2]


def test_round_robin_rule_uses_its_department(sales1: Any, sales2: Any) -> None:
    other = Department.objects.create(code="export", name="Export sales")
    rep = User.objects.create_user("exporter", password=PASSWORD)
    rep.departments.add(other)
    rep.roles.add(Role.objects.get(code="sales_rep"))
    AssignmentRule.objects.create(name="English to export", match_language="en", department=other)
    assignment = choose_owner(_lead(language="en"), department=_sales())
    assert (assignment.owner, assignment.department) == (rep, other)


def test_saving_a_rule_checks_its_action_and_is_audited(manager: Any, sales2: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        save_assignment_rule(
            AssignmentRule(name="No one", action=AssignmentAction.USER), actor=manager
        )
    assert "user" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        save_assignment_rule(
            AssignmentRule(name="No dept", action=AssignmentAction.ROUND_ROBIN), actor=manager
        )
    assert "department" in caught.value.message_dict
    assert not AssignmentRule.objects.exists()
    rule = save_assignment_rule(
        AssignmentRule(name="To 2", action="user", user=sales2), actor=manager
    )
    assert ChangeLog.objects.filter(object_id=str(rule.pk), actor=manager).count() == 1
