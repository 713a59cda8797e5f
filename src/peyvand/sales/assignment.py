"""Assignment rules: who a new lead goes to (by territory, language, product, source; to a
person, by round robin, or to the least-loaded rep), and the audited changes to the rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from peyvand.access.models import Department, User
from peyvand.audit.services import record
from peyvand.core.problems import ServiceError
from peyvand.core.text import normalize_text
from peyvand.sales.choices import OPEN_LEAD_STATUSES, AssignmentAction
from peyvand.sales.leads import locked_cursor, round_robin_members, take_turn
from peyvand.sales.models import AssignmentRule, Lead, LeadAssignmentCursor


@dataclass(frozen=True)
class Assignment:
    owner: User
    department: Department | None
    rule: AssignmentRule | None


def _cities(rule: AssignmentRule) -> set[str]:
    return {normalize_text(city) for city in rule.match_city.split(",") if city.strip()}


def rule_matches(rule: AssignmentRule, lead: Lead) -> bool:
    """Every condition the rule sets holds for the lead (unset conditions match anything)."""
    if rule.match_city and normalize_text(lead.city) not in _cities(rule):
        return False
    if rule.match_language and lead.language != rule.match_language:
        return False
    if rule.match_product_id and lead.product_id != rule.match_product_id:
        return False
    return not (rule.match_source_id and lead.source_id != rule.match_source_id)


def _no_members(department: Department) -> ServiceError:
    return ServiceError(
        _("Nobody in %(department)s works leads.") % {"department": department},
        field="department",
        code="no_members",
    )


def open_lead_loads(members: Sequence[User]) -> dict[int, int]:
    """Open leads per rep."""
    return dict(
        User.objects.filter(pk__in=[m.pk for m in members])
        .annotate(
            load=Count(
                "owned_leads",
                filter=Q(
                    owned_leads__status__in=OPEN_LEAD_STATUSES,
                    owned_leads__deleted_at__isnull=True,
                ),
            )
        )
        .values_list("pk", "load")
    )


def active_rules() -> list[AssignmentRule]:
    return list(AssignmentRule.objects.filter(is_active=True).select_related("user", "department"))


class Assigner:
    """Deals leads to owners; use it as a context manager inside the capturing transaction.
    Rules, reps, loads and the locked round-robin cursors are read once per Assigner, so a
    bulk capture uses one for all its leads (cursors are written back on exit), and its
    least-loaded counts include the leads it has dealt itself."""

    def __init__(self) -> None:
        self.rules = active_rules()
        self._members: dict[int, list[User]] = {}
        self._loads: dict[int, dict[int, int]] = {}
        self._cursors: dict[int, LeadAssignmentCursor] = {}

    def __enter__(self) -> Assigner:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            for cursor in self._cursors.values():
                cursor.save(update_fields=["last_user_id"])

    def members(self, department: Department) -> list[User]:
        if department.pk not in self._members:
            self._members[department.pk] = round_robin_members(department)
        members = self._members[department.pk]
        if not members:
            raise _no_members(department)
        return members

    def least_loaded(self, department: Department) -> User:
        """The rep of the department with the fewest open leads (ties: the lowest id)."""
        members = self.members(department)
        if department.pk not in self._loads:
            self._loads[department.pk] = open_lead_loads(members)
        loads = self._loads[department.pk]
        return min(members, key=lambda user: (loads.get(user.pk, 0), user.pk))

    def _apply(self, rule: AssignmentRule, lead: Lead) -> Assignment | None:
        if rule.action == AssignmentAction.USER:
            if rule.user is None or not rule.user.is_active:
                return None  # a rule naming someone who left falls through to the next
            return Assignment(rule.user, rule.department or lead.department, rule)
        if rule.department is None or not rule.department.is_active:
            return None
        if rule.action == AssignmentAction.LEAST_LOADED:
            return Assignment(self.least_loaded(rule.department), rule.department, rule)
        return Assignment(self._next(rule.department), rule.department, rule)

    def _next(self, department: Department) -> User:
        members = self.members(department)
        if department.pk not in self._cursors:
            # Locked until the transaction ends: concurrent captures take distinct turns.
            self._cursors[department.pk] = locked_cursor(department)
        return take_turn(self._cursors[department.pk], members)

    def choose(self, lead: Lead, *, department: Department | None) -> Assignment:
        """The first active matching rule decides; with none, round robin in `department`
        (the default)."""
        assignment = next(
            (
                found
                for rule in self.rules
                if rule_matches(rule, lead) and (found := self._apply(rule, lead)) is not None
            ),
            None,
        )
        if assignment is None:
            if department is None:
                raise ServiceError(
                    _("Choose the department whose reps share the leads."), field="department"
                )
            assignment = Assignment(self._next(department), department, None)
        if assignment.department is not None and assignment.department.pk in self._loads:
            loads = self._loads[assignment.department.pk]
            loads[assignment.owner.pk] = loads.get(assignment.owner.pk, 0) + 1
        return assignment


def choose_owner(lead: Lead, *, department: Department | None) -> Assignment:
    """Who one new lead goes to (see Assigner)."""
    with Assigner() as assigner:
        return assigner.choose(lead, department=department)


def _check_rule(rule: AssignmentRule) -> None:
    errors: dict[str, list[str]] = {}
    if rule.action == AssignmentAction.USER and rule.user_id is None:
        errors["user"] = [_("Choose the person who gets the leads.")]
    if rule.action != AssignmentAction.USER and rule.department_id is None:
        errors["department"] = [_("Choose the department whose reps share the leads.")]
    try:
        rule.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_assignment_rule(rule: AssignmentRule, *, actor: Any) -> AssignmentRule:
    """Create or change a rule (audited); ValidationError per field, nothing written then."""
    _check_rule(rule)
    # The form has already put the new values on `rule`: the before comes from the row.
    with record(rule, actor=actor, stored=True):
        rule.save()
    return rule
