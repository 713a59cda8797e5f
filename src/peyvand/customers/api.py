"""REST endpoints of the customers app, mounted by peyvand.config.api at /customers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, Language, ObjectType
from peyvand.access.models import Department, User
from peyvand.access.scopes import department_ids
from peyvand.audit.timeline import customer_timeline
from peyvand.core.api.access import require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import MAX_LIMIT, Ordering, PageParams, TimeCursor, paginate
from peyvand.core.api.schemas import (
    CustomerRef,
    DepartmentRef,
    InputSchema,
    MoneyOut,
    UserRef,
)
from peyvand.customers.access import get_customer_for
from peyvand.customers.choices import (
    Channel,
    ConsentPurpose,
    ConsentStatus,
    ContactKind,
    PartyKind,
)
from peyvand.customers.models import Consent, ContactPoint, Customer
from peyvand.customers.selectors import customer_360_document, search_page
from peyvand.customers.services import (
    add_contact_point,
    create_customer,
    delete_customer,
    set_consent,
    update_customer,
)

router = Router(tags=["customers"])

SORTS: dict[str, Ordering] = {
    "display_name": Ordering("display_name"),
    "id": Ordering("id"),
    "updated_at": Ordering("updated_at"),
    "-updated_at": Ordering("updated_at", descending=True),
}
SEARCH_LIMIT = 20


# --- responses ------------------------------------------------------------------------


class ContactPointOut(Schema):
    id: int
    kind: str
    label: str
    value: str
    is_primary: bool


class ConsentOut(Schema):
    channel: str
    purpose: str
    status: str
    source: str
    recorded_at: dt.datetime


class CustomerFields(Schema):
    id: int
    kind: str
    display_name: str
    first_name: str
    last_name: str
    organization_name: str
    preferred_language: str
    preferred_channel: str
    currency: str
    owner: UserRef | None
    department: DepartmentRef | None
    custom: dict[str, Any] = Field(description="Custom field values by key.")
    notes: str
    external_ref: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerOut(CustomerFields):
    tags: list[str]
    contact_points: list[ContactPointOut]

    # A search page comes with both folded in (`search_page`); other reads prefetch them.
    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        folded: list[str] | None = getattr(obj, "folded_tags", None)
        return folded if folded is not None else [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_contact_points(obj: Customer) -> list[Any]:
        folded: list[dict[str, Any]] | None = getattr(obj, "folded_contact_points", None)
        return folded if folded is not None else list(obj.contact_points.all())


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class CustomerSearchResults(Schema):
    items: list[CustomerOut]


class RelationshipOut(Schema):
    id: int
    kind: str = Field(description="Read as: this customer <kind> `customer` (or the reverse).")
    direction: Literal["outgoing", "incoming"]
    customer: CustomerRef = Field(description="The other party.")
    note: str


class InteractionBrief(Schema):
    id: int
    channel: str
    direction: str
    occurred_at: dt.datetime
    subject: str
    agent: UserRef | None


class OrderTotal(Schema):
    currency: str
    count: int
    total: MoneyOut


class TaskBrief(Schema):
    id: int
    title: str
    status: str
    priority: int
    due_at: dt.datetime | None
    assignee: UserRef | None
    department: DepartmentRef | None


class CustomFieldValue(Schema):
    key: str
    label: str
    type: str
    value: Any = Field(description="Null when not filled in.")


class Customer360Out(CustomerFields):
    """The customer with everything the company knows about them, as the caller may see it."""

    tags: list[str]
    contact_points: list[ContactPointOut]
    consents: list[ConsentOut]
    relationships: list[RelationshipOut]
    latest_interactions: list[InteractionBrief]
    order_totals: list[OrderTotal] = Field(
        description="Per currency; amounts in different currencies are never added."
    )
    open_tasks: list[TaskBrief]
    custom_fields: list[CustomFieldValue]


class TimelineEntryOut(Schema):
    kind: str = Field(description="interaction, order, task or change.")
    at: dt.datetime
    title: str
    body: str
    channel: str
    direction: str
    actor: str
    url: str = Field(description="Where the entry opens in the staff UI; empty if nowhere.")


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


# --- requests -------------------------------------------------------------------------


class ContactPointIn(InputSchema):
    kind: ContactKind
    value: str = Field(min_length=1, max_length=500)
    label: str = Field("", max_length=60)
    is_primary: bool = False


class ConsentIn(InputSchema):
    channel: Channel
    purpose: ConsentPurpose
    status: ConsentStatus
    source: str = Field(min_length=1, max_length=120, description="Where the decision came from.")
    recorded_at: dt.datetime | None = Field(None, description="Defaults to now.")


CustomValue = str | int | float | bool | None


class CustomerPatch(InputSchema):
    """Only the fields sent change. `tags`, `custom` and `contact_points` replace the whole
    set when sent. Owner and department are not settable here."""

    kind: PartyKind | None = None
    display_name: str | None = Field(None, max_length=200)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    organization_name: str | None = Field(None, max_length=200)
    preferred_language: Language | None = None
    preferred_channel: Channel | Literal[""] | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    notes: str | None = Field(None, max_length=20_000)
    external_ref: str | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=100)
    custom: dict[str, CustomValue] | None = None
    contact_points: list[ContactPointIn] | None = Field(None, max_length=100)


class CustomerIn(InputSchema):
    """A new customer; it belongs to the caller and the caller's department."""

    kind: PartyKind = PartyKind.PERSON
    display_name: str = Field(
        "", max_length=200, description="Defaults to first + last name, or the organisation."
    )
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    organization_name: str = Field("", max_length=200)
    preferred_language: Language = Language.FA
    preferred_channel: Channel | Literal[""] = ""
    currency: str = Field("IRR", min_length=3, max_length=3)
    notes: str = Field("", max_length=20_000)
    external_ref: str = Field("", max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=100)
    custom: dict[str, CustomValue] = Field(default_factory=dict)
    contact_points: list[ContactPointIn] = Field(default_factory=list, max_length=100)


class CustomerFilters(PageParams):
    q: str | None = Field(None, description="Name fragment, email, phone (any format), tag…")
    tag: str | None = Field(None, description="Exact tag name.")
    owner: int | None = Field(None, description="Owner's user id.")
    kind: PartyKind | None = None
    updated_since: dt.datetime | None = Field(None, description="Changed at or after this time.")
    sort: Literal["display_name", "id", "updated_at", "-updated_at"] = Field(
        "display_name", description="`updated_at` with `updated_since` suits synchronisation."
    )


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=200)
    limit: int = Field(SEARCH_LIMIT, ge=1, le=MAX_LIMIT)


class TimelineParams(PageParams):
    pass


# --- endpoints ------------------------------------------------------------------------


def _customers(request: HttpRequest) -> Any:
    return (
        Customer.objects.visible_to(api_user(request))
        .alive()
        .select_related("owner", "department")
        .prefetch_related(
            "tags", Prefetch("contact_points", queryset=ContactPoint.objects.order_by("kind", "pk"))
        )
    )


def _home_department(user: User) -> Department | None:
    ids = department_ids(user)
    return Department.objects.filter(pk=ids[0]).first() if ids else None


@router.get("", response=CustomerPage, summary="List customers")
@require_scope(ApiScope.CUSTOMERS_READ)
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]) -> Any:
    """Customers the caller may see, cursor-paginated."""
    qs = _customers(request)
    if filters.q:
        qs = qs.search(filters.q)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.updated_since is not None:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return paginate(qs, filters, SORTS[filters.sort])


@router.post("", response={201: CustomerOut}, summary="Create a customer")
@require_scope(ApiScope.CUSTOMERS_WRITE)
def create_customer_endpoint(request: HttpRequest, payload: CustomerIn) -> Status[Customer]:
    user = api_user(request)
    require_action(user, ObjectType.CUSTOMER, Action.ADD)
    data = payload.model_dump()
    customer = create_customer(actor=user, owner=user, department=_home_department(user), **data)
    return Status(201, _customers(request).get(pk=customer.pk))


@router.get("/search", response=CustomerSearchResults, summary="Search customers")
@require_scope(ApiScope.CUSTOMERS_READ)
def search_customers(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Best matches for a name fragment, email or phone in any format (0912…, +98912…,
    ۰۹۱۲…), tolerant of Arabic/Persian letter variants; at most `limit`, by name."""
    return {"items": search_page(api_user(request), params.q, limit=params.limit)}


@router.get("/{customer_id}", response=Customer360Out, summary="Customer 360")
@require_scope(ApiScope.CUSTOMERS_READ)
def read_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """Profile, contact points, consent, relationships, latest interactions, order totals
    by currency, open tasks and custom fields, in a fixed number of queries."""
    view = customer_360_document(api_user(request), customer_id)
    profile: Customer = view["profile"]
    return {
        **{field: getattr(profile, field) for field in CustomerFields.model_fields},
        "tags": view["tags"],
        "contact_points": view["contact_points"],
        "consents": view["consents"],
        "relationships": [
            {
                "id": rel["id"],
                "kind": rel["kind"],
                "direction": "outgoing" if rel["from_id"] == profile.pk else "incoming",
                "customer": {"id": rel["to_id"], "display_name": rel["to_name"]}
                if rel["from_id"] == profile.pk
                else {"id": rel["from_id"], "display_name": rel["from_name"]},
                "note": rel["note"],
            }
            for rel in view["relationships"]
        ],
        "latest_interactions": view["latest_interactions"],
        "order_totals": [
            {
                "currency": row["currency"],
                "count": row["count"],
                "total": {"amount": str(row["total"]), "currency": row["currency"]},
            }
            for row in view["order_totals"]
        ],
        "open_tasks": view["open_tasks"],
        "custom_fields": [
            {
                "key": pair["definition"].key,
                "label": str(pair["definition"]),
                "type": pair["definition"].field_type,
                "value": pair["value"],
            }
            for pair in view["custom_fields"]
        ],
    }


@router.patch("/{customer_id}", response=CustomerOut, summary="Change a customer")
@require_scope(ApiScope.CUSTOMERS_WRITE)
def update_customer_endpoint(
    request: HttpRequest, customer_id: int, payload: CustomerPatch
) -> Customer:
    user = api_user(request)
    customer = get_customer_for(user, customer_id, Action.CHANGE)
    changes = payload.model_dump(include=payload.model_fields_set)
    for field in ("tags", "custom", "contact_points"):
        if field in changes and changes[field] is None:
            changes[field] = [] if field != "custom" else {}
    update_customer(customer, actor=user, **changes)
    return _customers(request).get(pk=customer.pk)


@router.delete("/{customer_id}", response={204: None}, summary="Delete a customer")
@require_scope(ApiScope.CUSTOMERS_WRITE)
def delete_customer_endpoint(request: HttpRequest, customer_id: int) -> Status[None]:
    """Moves the customer to the recycle bin, from where it can be restored."""
    user = api_user(request)
    delete_customer(get_customer_for(user, customer_id, Action.DELETE), actor=user)
    return Status(204, None)


@router.get("/{customer_id}/timeline", response=TimelinePage, summary="Customer timeline")
@require_scope(ApiScope.CUSTOMERS_READ)
def read_timeline(
    request: HttpRequest, customer_id: int, params: Query[TimelineParams]
) -> dict[str, Any]:
    """Interactions, orders, tasks and changes, newest first. The cursor is the time of
    the last entry: the next page holds what is strictly older."""
    user = api_user(request)
    customer = get_customer_for(user, customer_id)
    before = TimeCursor.decode(params.cursor) if params.cursor else None
    entries = customer_timeline(customer, user=user, limit=params.limit + 1, before=before)
    items = entries[: params.limit]
    more = len(entries) > params.limit
    return {"items": items, "next_cursor": TimeCursor.encode(items[-1].at) if more else None}


@router.post(
    "/{customer_id}/contact-points", response={201: ContactPointOut}, summary="Add a contact point"
)
@require_scope(ApiScope.CUSTOMERS_WRITE)
def create_contact_point(
    request: HttpRequest, customer_id: int, payload: ContactPointIn
) -> Status[ContactPoint]:
    user = api_user(request)
    customer = get_customer_for(user, customer_id, Action.CHANGE)
    return Status(201, add_contact_point(customer, actor=user, **payload.model_dump()))


@router.post("/{customer_id}/consents", response={201: ConsentOut}, summary="Record consent")
@require_scope(ApiScope.CUSTOMERS_WRITE)
def record_consent(request: HttpRequest, customer_id: int, payload: ConsentIn) -> Status[Consent]:
    """The latest decision for one channel and purpose; earlier ones stay in the audit log."""
    user = api_user(request)
    customer = get_customer_for(user, customer_id, Action.CHANGE)
    return Status(201, set_consent(customer, actor=user, **payload.model_dump()))
