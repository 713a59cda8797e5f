"""Read side of customers: what the 360 page and the API show, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from peyvand.access.models import Department, User
from peyvand.access.scopes import can, get_for
from peyvand.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomFieldDefinition,
    Relationship,
)

LATEST_INTERACTIONS = 10

# A customer: a Customer row, or OuterRef("pk") when the part is folded into the query
# that fetches the customer itself.
CustomerArg = Customer | Combinable


def custom_field_pairs(
    customer: Customer, definitions: list[CustomFieldDefinition]
) -> list[dict[str, Any]]:
    custom = customer.custom or {}
    return [{"definition": d, "value": custom.get(d.key)} for d in definitions]


# --- the parts, limited by the user's own rights ----------------------------------------------
# The caller has already authorised the customer itself (`get_for`); each part below is
# also limited by what the user may see of it. Both the page and the API build on these.


def visible_relationships(customer: CustomerArg, *, user: Any) -> QuerySet[Relationship]:
    visible_customers = Customer.objects.visible_to(user).alive().values("pk")
    return Relationship.objects.filter(
        Q(from_customer=customer, to_customer__in=visible_customers)
        | Q(to_customer=customer, from_customer__in=visible_customers)
    )


def latest_interactions(customer: CustomerArg, *, user: Any) -> QuerySet[Any]:
    from peyvand.channels.models import Interaction

    return (
        Interaction.objects.visible_to(user)
        .filter(customer=customer, deleted_at__isnull=True)
        .order_by("-occurred_at", "-pk")
    )


def order_totals(customer: CustomerArg, *, user: Any) -> list[dict[str, Any]]:
    """Count and sum of the customer's orders per currency (never added across currencies)."""
    from peyvand.sales.choices import OrderStatus
    from peyvand.sales.models import Order

    return [
        {"currency": row["total_currency"], "count": row["count"], "total": row["total"]}
        for row in Order.objects.visible_to(user)
        .filter(customer=customer, deleted_at__isnull=True)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("total_currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("total_currency")
    ]


def open_tasks(customer: CustomerArg, *, user: Any) -> QuerySet[Any] | None:
    """Open work about a customer the user may see belongs on the page, whoever holds it;
    None when the user may not see tasks at all."""
    from peyvand.desk.choices import OPEN_STATUSES
    from peyvand.desk.models import Task

    if not can(user, "task", "view"):
        return None
    # Undated work last on every database (SQLite would put NULLs first).
    return Task.objects.filter(customer=customer, status__in=OPEN_STATUSES).order_by(
        F("due_at").asc(nulls_last=True), "-priority", "pk"
    )


def customer_360(customer: Customer, *, user: Any) -> dict[str, Any]:
    """Everything about one customer the user may see, as model instances (the 360 page)."""
    profile = (
        Customer.objects.select_related("owner", "department", "merged_into")
        .prefetch_related("tags")
        .get(pk=customer.pk)
    )
    tasks = open_tasks(profile, user=user)
    definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
    return {
        "profile": profile,
        "tags": [t.name for t in profile.tags.all()],
        "contact_points": list(ContactPoint.objects.filter(customer=profile)),
        "consents": list(Consent.objects.filter(customer=profile)),
        "relationships": list(
            visible_relationships(profile, user=user).select_related("from_customer", "to_customer")
        ),
        "latest_interactions": list(
            latest_interactions(profile, user=user).select_related("agent")[:LATEST_INTERACTIONS]
        ),
        "order_totals": order_totals(profile, user=user),
        "open_tasks": list(tasks.select_related("assignee", "department")) if tasks else [],
        "custom_fields": custom_field_pairs(profile, definitions),
    }


# --- the same, folded into one query (the API) ------------------------------------------------


class JSONArrayAgg(Aggregate):
    """The rows' values as one JSON array (PostgreSQL jsonb_agg, SQLite json_group_array);
    None on PostgreSQL when there are no rows."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra)


def _json_rows(qs: QuerySet[Any], **fields: Any) -> Subquery:
    """`qs` as one JSON array of objects with `fields` (names → expressions), for a
    subquery of the query that fetches the customer. A constant GROUP BY key is dropped by
    Django, so the aggregate spans every row `qs` selects."""
    return Subquery(
        qs.order_by()
        .annotate(_all=Value(1))
        .values("_all")
        .annotate(rows=JSONArrayAgg(JSONObject(**fields)))
        .values("rows"),
        output_field=JSONField(),
    )


def _user_fields(path: str) -> dict[str, Any]:
    return {
        "id": F(f"{path}__id"),
        "username": F(f"{path}__username"),
        "first_name": F(f"{path}__first_name"),
        "last_name": F(f"{path}__last_name"),
    }


def _department_fields(path: str) -> dict[str, Any]:
    return {
        "id": F(f"{path}__id"),
        "code": F(f"{path}__code"),
        "name": F(f"{path}__name"),
        "name_fa": F(f"{path}__name_fa"),
    }


def _user(row: dict[str, Any] | None) -> User | None:
    # Unsaved instances, so that the names come from the models' own rules.
    return User(**row) if row and row["id"] is not None else None


def _department(row: dict[str, Any] | None) -> Department | None:
    return Department(**row) if row and row["id"] is not None else None


def _when(value: str | None) -> dt.datetime | None:
    """A timestamp out of JSON: PostgreSQL writes the offset, SQLite stores UTC without it."""
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(value)
    return make_aware(parsed, dt.UTC) if is_naive(parsed) else parsed


def customer_360_document(user: Any, pk: Any) -> dict[str, Any]:
    """The 360 view of one customer for the API, in three queries: the customer with its
    tags, contact points, consent, relationships, latest interactions and open tasks
    folded in as JSON, the order totals, and the custom field definitions.

    404 for a customer that is missing or not the user's to see (`get_for`); every part is
    limited exactly as on the page, by the same querysets.
    """
    from peyvand.channels.models import Interaction

    outer = OuterRef("pk")
    parts: dict[str, Any] = {
        "tags_json": _json_rows(
            Customer.tags.through.objects.filter(customer=outer), name=F("tag__name")
        ),
        "contact_points_json": _json_rows(
            ContactPoint.objects.filter(customer=outer),
            id=F("id"),
            kind=F("kind"),
            label=F("label"),
            value=F("value"),
            is_primary=F("is_primary"),
        ),
        "consents_json": _json_rows(
            Consent.objects.filter(customer=outer),
            channel=F("channel"),
            purpose=F("purpose"),
            status=F("status"),
            source=F("source"),
            recorded_at=F("recorded_at"),
        ),
        "relationships_json": _json_rows(
            visible_relationships(outer, user=user),
            id=F("id"),
            kind=F("kind"),
            note=F("note"),
            from_id=F("from_customer_id"),
            from_name=F("from_customer__display_name"),
            to_id=F("to_customer_id"),
            to_name=F("to_customer__display_name"),
        ),
        "interactions_json": _json_rows(
            # The page's rows by id, so that the limit applies before the aggregate.
            Interaction.objects.filter(
                pk__in=latest_interactions(OuterRef(outer), user=user).values("pk")[
                    :LATEST_INTERACTIONS
                ]
            ),
            id=F("id"),
            channel=F("channel"),
            direction=F("direction"),
            occurred_at=F("occurred_at"),
            subject=F("subject"),
            agent=JSONObject(**_user_fields("agent")),
        ),
    }
    tasks = open_tasks(outer, user=user)
    if tasks is not None:
        parts["tasks_json"] = _json_rows(
            tasks,
            id=F("id"),
            title=F("title"),
            status=F("status"),
            priority=F("priority"),
            due_at=F("due_at"),
            assignee=JSONObject(**_user_fields("assignee")),
            department=JSONObject(**_department_fields("department")),
        )
    profile = get_for(
        user,
        Customer.objects.alive().select_related("owner", "department").annotate(**parts),
        pk,
    )
    for point in profile.contact_points_json or []:
        point["is_primary"] = bool(point["is_primary"])  # SQLite's JSON holds 0/1
    contact_points = sorted(
        profile.contact_points_json or [],
        key=lambda p: (p["kind"], not p["is_primary"], p["id"]),
    )
    consents = sorted(profile.consents_json or [], key=lambda c: (c["channel"], c["purpose"]))
    for consent in consents:
        consent["recorded_at"] = _when(consent["recorded_at"])
    interactions = []
    for item in profile.interactions_json or []:
        item["occurred_at"] = _when(item["occurred_at"])
        item["agent"] = _user(item["agent"])
        interactions.append(item)
    interactions.sort(key=lambda i: (i["occurred_at"], i["id"]), reverse=True)
    open_work = []
    for task in getattr(profile, "tasks_json", None) or []:
        task["due_at"] = _when(task["due_at"])
        task["assignee"] = _user(task["assignee"])
        task["department"] = _department(task["department"])
        open_work.append(task)
    # The order of `open_tasks`: undated work last.
    open_work.sort(
        key=lambda t: (
            t["due_at"] is None,
            t["due_at"] or dt.datetime.min.replace(tzinfo=dt.UTC),
            -t["priority"],
            t["id"],
        )
    )
    relationships = sorted(profile.relationships_json or [], key=lambda r: r["id"])
    definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
    return {
        "profile": profile,
        "tags": sorted(t["name"] for t in profile.tags_json or []),
        "contact_points": contact_points,
        "consents": consents,
        "relationships": relationships,
        "latest_interactions": interactions,
        "order_totals": order_totals(profile, user=user),
        "open_tasks": open_work,
        "custom_fields": custom_field_pairs(profile, definitions),
    }
