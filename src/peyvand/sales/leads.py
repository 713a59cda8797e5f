"""Every change to leads after capture (peyvand.sales.capture): round-robin assignment,
status, and conversion into a customer with an opportunity; the duplicate check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.choices import ObjectType
from peyvand.access.models import Department, User
from peyvand.access.scopes import restrict
from peyvand.audit.services import record
from peyvand.catalog.models import Product
from peyvand.core.problems import ServiceError
from peyvand.core.text import normalize_email, normalize_phone
from peyvand.customers.choices import ContactKind, PartyKind, RelationshipKind
from peyvand.customers.models import ContactPoint, Customer
from peyvand.customers.services import add_relationship, create_customer
from peyvand.sales.access import live_leads
from peyvand.sales.activities import carry_lead_activities
from peyvand.sales.choices import OPEN_LEAD_STATUSES, LeadStatus
from peyvand.sales.models import Lead, LeadAssignmentCursor, LeadSource, Opportunity, Pipeline
from peyvand.sales.opportunities import create_opportunity
from peyvand.sales.services import NotFound

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# How many matches of each kind a duplicate check lists; more would not help a person decide.
MAX_MATCHES = 10


@dataclass(frozen=True)
class Duplicates:
    """Records that share the lead's email or phone. `hidden` counts matches outside the
    actor's scope: the rep learns the lead is known without seeing whose it is."""

    customers: list[Customer] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.customers or self.leads or self.hidden)


def find_duplicates(
    *, email: str = "", phone: str = "", actor: Any, exclude: Lead | None = None
) -> Duplicates:
    """Customers (by their contact points) and open leads with the same normalised email or
    E.164 phone. `actor=None` (a system job) sees every match."""
    email, phone = normalize_email(email), normalize_phone(phone) if phone else ""
    contact_keys = [(ContactKind.EMAIL, email), (ContactKind.PHONE, phone)]
    customer_ids: set[int] = set()
    lead_ids: set[int] = set()
    for kind, value in contact_keys:
        if not value:
            continue
        customer_ids.update(
            ContactPoint.objects.filter(kind=kind, normalized=value).values_list(
                "customer_id", flat=True
            )
        )
        lookup = "email" if kind == ContactKind.EMAIL else "phone"
        leads = live_leads().filter(status__in=OPEN_LEAD_STATUSES, **{lookup: value})
        if exclude is not None:
            leads = leads.exclude(pk=exclude.pk)
        lead_ids.update(leads.values_list("pk", flat=True))
    customers = Customer.objects.filter(pk__in=customer_ids, deleted_at__isnull=True)
    leads_qs = Lead.objects.filter(pk__in=lead_ids)
    visible_customers = customers if actor is None else customers.visible_to(actor)
    visible_leads = leads_qs if actor is None else leads_qs.visible_to(actor)
    shown_customers = list(visible_customers.order_by("display_name", "pk")[:MAX_MATCHES])
    shown_leads = list(visible_leads.order_by("-created_at", "-pk")[:MAX_MATCHES])
    hidden = customers.count() - visible_customers.count() + len(lead_ids) - visible_leads.count()
    return Duplicates(customers=shown_customers, leads=shown_leads, hidden=hidden)


def lead_search(text: str) -> Q:
    """Name, company or email containing the text, or the same phone number."""
    text = text.strip()
    condition = Q(name__icontains=text) | Q(company__icontains=text)
    email = normalize_email(text)
    if email:
        condition |= Q(email__icontains=email)
    phone = normalize_phone(text)
    if phone:
        condition |= Q(phone=phone)
    return condition


def _clean(value: Any) -> str:
    return str(value or "").strip()


def _validated_lead(lead: Lead, errors: dict[str, list[str]]) -> None:
    try:
        lead.full_clean(exclude=["source", "owner", "department", "product", "web_form"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


def build_lead(
    *,
    name: str = "",
    company: str = "",
    email: str = "",
    phone: str = "",
    source: LeadSource | None = None,
    status: str = LeadStatus.NEW,
    referrer: str = "",
    notes: str = "",
    city: str = "",
    language: str = "",
    product: Product | None = None,
    **utm: str,
) -> Lead:
    """An unsaved lead with normalised contacts, or ValidationError naming every bad field."""
    unknown = set(utm) - set(UTM_FIELDS)
    if unknown:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    name, company = _clean(name), _clean(company)
    if not name and not company:
        errors["name"] = [_("Give the person's name or the company.")]
    email_key = normalize_email(email)
    if email_key:
        try:
            validate_email(email_key)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    phone_key = ""
    if _clean(phone):
        phone_key = normalize_phone(phone)
        if not phone_key:
            errors["phone"] = [_("Enter a valid phone number.")]
    if not email_key and not _clean(phone) and "email" not in errors:
        errors["email"] = [_("Give an email address or a phone number.")]
    if status not in OPEN_LEAD_STATUSES:
        errors["status"] = [_("A new lead cannot have this status.")]
    if source is not None and not source.is_active:
        errors["source"] = [_("This lead source is no longer in use.")]
    lead = Lead(
        name=name,
        company=company,
        email=email_key,
        phone=phone_key,
        source=source,
        status=status,
        referrer=_clean(referrer),
        notes=notes or "",
        city=_clean(city),
        language=language or "",
        product=product,
        **{key: _clean(utm.get(key)) for key in UTM_FIELDS},
    )
    _validated_lead(lead, errors)
    return lead


def round_robin_members(department: Department) -> list[User]:
    """Active members whose own (non-manager) role lets them work leads, in a fixed order."""
    members = department.members.filter(is_active=True).prefetch_related("roles").order_by("pk")
    return [
        user
        for user in members
        if any(
            not role.is_manager and "change" in role.permissions.get(ObjectType.LEAD, [])
            for role in user.roles.all()
        )
    ]


def locked_cursor(department: Department) -> LeadAssignmentCursor:
    cursor = LeadAssignmentCursor.objects.select_for_update().filter(department=department).first()
    if cursor is not None:
        return cursor
    try:
        with transaction.atomic():
            return LeadAssignmentCursor.objects.create(department=department)
    except IntegrityError:
        # Another transaction created the cursor first; wait for its lock.
        return LeadAssignmentCursor.objects.select_for_update().get(department=department)


def _locked_lead(lead: Lead, actor: Any, action: str = "change") -> Lead:
    leads = live_leads() if actor is None else restrict(live_leads(), actor, action)
    locked = leads.select_for_update().filter(pk=lead.pk).first()
    if locked is None:
        raise NotFound(_("Lead not found."), field="lead", code="not_found")
    return locked


@transaction.atomic
def assign_lead(lead: Lead, *, actor: Any, department: Department | None = None) -> User:
    """Give the lead to the next rep of `department` (default: the lead's) in turn. The
    department's cursor row is locked, so concurrent assignments take distinct turns."""
    department = department or lead.department
    if department is None:
        raise ServiceError(
            _("Choose the department whose reps share the leads."), field="department"
        )
    # Locking the lead first, then the cursor, in every caller keeps the lock order fixed.
    return _give_to_next_rep(_locked_lead(lead, actor), department, actor=actor)


def take_turn(cursor: LeadAssignmentCursor, members: list[User]) -> User:
    """The rep after the cursor's last one (wrapping around); moves the cursor, unsaved."""
    owner = next((user for user in members if user.pk > cursor.last_user_id), members[0])
    cursor.last_user_id = owner.pk
    return owner


def next_rep(department: Department) -> User:
    """The department's next rep in turn, advancing its cursor (locked until commit)."""
    cursor = locked_cursor(department)
    members = round_robin_members(department)
    if not members:
        raise ServiceError(
            _("Nobody in %(department)s works leads.") % {"department": department},
            field="department",
            code="no_members",
        )
    owner = take_turn(cursor, members)
    cursor.save(update_fields=["last_user_id"])
    return owner


def _give_to_next_rep(lead: Lead, department: Department, *, actor: Any) -> User:
    owner = next_rep(department)
    with record(lead, actor=actor):
        lead.owner = owner
        lead.department = department
        lead.save(update_fields=["owner", "department", "updated_at"])
    return owner


# What a person may correct on a lead after capture; the rest is set by capture itself.
EDITABLE_FIELDS = ("name", "company", "email", "phone", "city", "language", "notes", "product")


@transaction.atomic
def update_lead(lead: Lead, *, actor: Any, **changes: Any) -> Lead:
    """Correct a lead's details (validated and normalised like a new lead), audited. A
    converted lead is history and stays as it was."""
    unknown = set(changes) - {*EDITABLE_FIELDS, "source"}
    if unknown:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))}")
    lead = _locked_lead(lead, actor)
    if lead.status == LeadStatus.CONVERTED:
        raise ServiceError(_("This lead is already converted."), field="lead", code="converted")
    values = {name: getattr(lead, name) for name in EDITABLE_FIELDS} | changes
    # An unchanged source passes even if it was retired since; a new one must be in use.
    source = changes.get("source") if changes.get("source") != lead.source else None
    checked = build_lead(source=source, **{k: v for k, v in values.items() if k != "source"})
    with record(lead, actor=actor):
        for name in EDITABLE_FIELDS:
            setattr(lead, name, getattr(checked, name))
        if "source" in changes:
            lead.source = changes["source"]
        lead.save()
    return lead


@transaction.atomic
def reassign_lead(lead: Lead, *, actor: Any, owner: User) -> Lead:
    """Give the lead to `owner` (the caller checks that the actor may assign)."""
    lead = _locked_lead(lead, actor)
    if not owner.is_active:
        raise ServiceError(_("This user is not active."), field="owner")
    with record(lead, actor=actor):
        lead.owner = owner
        lead.save(update_fields=["owner", "updated_at"])
    return lead


@transaction.atomic
def set_lead_status(lead: Lead, status: str, *, actor: Any) -> Lead:
    """Move a lead between the working statuses; leaving "new" is its first response."""
    lead = _locked_lead(lead, actor)
    if status not in {*OPEN_LEAD_STATUSES, LeadStatus.DISQUALIFIED}:
        raise ServiceError(_("Choose a valid status."), field="status")
    if lead.status == LeadStatus.CONVERTED:
        raise ServiceError(_("This lead is already converted."), field="status", code="converted")
    if lead.status == status:
        return lead
    with record(lead, actor=actor):
        if lead.first_response_at is None and status != LeadStatus.NEW:
            lead.first_response_at = timezone.now()
        lead.status = status
        lead.save(update_fields=["status", "first_response_at", "updated_at"])
    return lead


def _customers_for(lead: Lead, *, actor: Any, owner: Any) -> Customer:
    """The customer the deal is with: the company, its contact person linked as an
    employee; or the person alone. Contact details go to the person."""
    contacts = [
        {"kind": ContactKind.EMAIL, "value": lead.email},
        {"kind": ContactKind.PHONE, "value": lead.phone},
    ]
    contacts = [c for c in contacts if c["value"]]
    common = {"owner": owner, "department": lead.department, "actor": actor}
    person = None
    if lead.name:
        person = create_customer(
            display_name=lead.name,
            kind=PartyKind.PERSON,
            contact_points=contacts,
            **common,
        )
    if not lead.company and person is not None:
        return person
    organisation = create_customer(
        display_name=lead.company,
        kind=PartyKind.ORGANIZATION,
        organization_name=lead.company,
        contact_points=[] if person is not None else contacts,
        **common,
    )
    if person is not None:
        add_relationship(person, organisation, actor=actor, kind=RelationshipKind.EMPLOYEE_OF)
    return organisation


@transaction.atomic
def convert_lead(
    lead: Lead,
    *,
    actor: Any,
    title: str = "",
    amount: Decimal | int | str = 0,
    currency: str | None = None,
    pipeline: Pipeline | None = None,
    expected_close_date: dt.date | None = None,
    customer: Customer | None = None,
) -> tuple[Customer, Opportunity]:
    """Turn the lead into a customer (or attach it to the existing `customer`) and an open
    opportunity, in one transaction: on any error nothing is created and the lead is as it
    was. Every row written is in the audit log."""
    lead = _locked_lead(lead, actor)
    if lead.status == LeadStatus.CONVERTED:
        raise ServiceError(_("This lead is already converted."), field="lead", code="converted")
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ServiceError(
            _("A disqualified lead cannot be converted."), field="lead", code="disqualified"
        )
    owner = lead.owner or (actor if getattr(actor, "pk", None) else None)
    if customer is None:
        customer = _customers_for(lead, actor=actor, owner=owner)
    opportunity = create_opportunity(
        actor=actor,
        customer=customer,
        title=_clean(title) or str(lead),
        amount=amount,
        currency=currency,
        pipeline=pipeline,
        expected_close_date=expected_close_date,
        owner=owner,
        department=lead.department,
    )
    now = timezone.now()
    with record(lead, actor=actor, customer_id=customer.pk):
        lead.status = LeadStatus.CONVERTED
        lead.converted_at = now
        lead.first_response_at = lead.first_response_at or now
        lead.converted_customer = customer
        lead.converted_opportunity = opportunity
        lead.save()
    carry_lead_activities(lead, actor=actor)
    return customer, opportunity
