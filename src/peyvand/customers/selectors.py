"""Read side of customers: what the 360 page and the API show, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
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
from django.db.models.expressions import Combinable, RawSQL
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from peyvand.access.models import Department, User
from peyvand.access.scopes import can, department_ids, restrict, roles_of
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


def order_totals_query(customer: CustomerArg | int, *, user: Any) -> QuerySet[Any]:
    """Rows (total_currency, count, total): the customer's orders per currency, never
    added across currencies."""
    from peyvand.sales.choices import OrderStatus
    from peyvand.sales.models import Order

    return (
        Order.objects.visible_to(user)
        .filter(customer=customer, deleted_at__isnull=True)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("total_currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("total_currency")
        .values_list("total_currency", "count", "total")
    )


def order_totals(customer: CustomerArg, *, user: Any) -> list[dict[str, Any]]:
    return [
        {"currency": currency, "count": count, "total": total}
        for currency, count, total in order_totals_query(customer, user=user)
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


def _order_totals_json(customer_id: int, *, user: Any) -> Any:
    """The order totals as one JSON array of {currency, count, total}: an aggregate over
    the grouped rows, which the ORM cannot nest, so the grouped query is wrapped as SQL.
    Keyed by the customer's id rather than correlated; the caller fetches that customer."""
    from peyvand.sales.models import Order

    try:
        sql, params = order_totals_query(customer_id, user=user).query.sql_with_params()
    except EmptyResultSet:  # the user may see no orders at all
        return Value(None, output_field=JSONField())
    postgres = connections[router.db_for_read(Order)].vendor == "postgresql"
    array, obj = (
        ("JSONB_AGG", "JSONB_BUILD_OBJECT") if postgres else ("JSON_GROUP_ARRAY", "JSON_OBJECT")
    )
    # The wrapper is constant text; values travel as the grouped query's parameters.
    return RawSQL(  # noqa: S611
        f"SELECT {array}({obj}('currency', t.total_currency, 'count', t.\"count\", "
        f"'total', t.total)) FROM ({sql}) t",
        params,
        output_field=JSONField(),
    )


def _folded_customer(customer_id: int, *, user: Any) -> QuerySet[Customer]:
    """The customer, if the user may see it, with every part of the 360 view as JSON."""
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
    parts["owner_json"] = JSONObject(**_user_fields("owner"))
    parts["department_json"] = JSONObject(**_department_fields("department"))
    parts["order_totals_json"] = _order_totals_json(customer_id, user=user)
    parts["custom_fields_json"] = _json_rows(
        CustomFieldDefinition.objects.filter(is_active=True),
        id=F("id"),
        key=F("key"),
        label=F("label"),
        label_fa=F("label_fa"),
        field_type=F("field_type"),
        position=F("position"),
    )
    return (
        restrict(Customer.objects.alive(), user)
        .filter(pk=customer_id)
        .order_by()
        .defer("search_text", "name_key")  # large, and no part of the view
        .annotate(**parts)
    )


# Building and compiling the folded query costs the server several times what the database
# needs to answer it, and for one user with given rights its SQL differs only in the
# customer's id. So it is compiled once per user and rights, with a stand-in id that is
# swapped for the real one on every call, like a prepared statement. The SQL still comes
# from restrict()/visible_to(): a change of roles or departments changes the key.
_STAND_IN_ID = -(2**62) - 360
_PLACEHOLDER = re.compile(r"%%|%s")


@dataclass(frozen=True)
class Template:
    """A query compiled with a stand-in for the customer's id (it may appear more than
    once): its SQL and parameters, and for PostgreSQL the statement text to PREPARE, the
    other parameters written in as literals and the id as $1."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]
    statement: str

    @classmethod
    def compile(cls, sql: str, params: tuple[Any, ...], *, vendor: str) -> Template:
        slots = tuple(i for i, value in enumerate(params) if value == _STAND_IN_ID)
        if not slots:
            raise RuntimeError("the customer id must appear in the query")
        statement = ""
        if vendor == "postgresql" and sql:
            from psycopg.sql import Literal

            numbers = iter(range(len(params)))

            def placeholder(match: re.Match[str]) -> str:
                if match[0] == "%%":
                    return "%"
                i = next(numbers)
                return "$1" if i in slots else Literal(params[i]).as_string()

            statement = _PLACEHOLDER.sub(placeholder, sql)
        return cls(sql, params, slots, statement)

    def bind(self, customer_id: int) -> tuple[str, list[Any]]:
        values = list(self.params)
        for slot in self.slots:
            values[slot] = customer_id
        return self.sql, values


_PREPARED: OrderedDict[tuple[Any, ...], Template] = OrderedDict()
_PREPARED_MAX = 256
_PREPARED_LOCK = threading.Lock()


def _rights_key(user: Any) -> tuple[Any, ...]:
    """Everything restrict() reads from the user."""
    roles = tuple(
        (r.pk, r.scope, r.is_manager, json.dumps(r.permissions, sort_keys=True))
        for r in roles_of(user)
    )
    return (user.pk, user.is_active, user.is_superuser, roles, tuple(department_ids(user)))


def _prepared(
    name: str, build: Callable[..., QuerySet[Any]], *, user: Any, using: str
) -> Template | None:
    """`build(customer_id, user=user)` compiled once per rights, with a stand-in id;
    None when the user's rights leave nothing to select."""
    key = (name, using, _rights_key(user))
    with _PREPARED_LOCK:
        prepared = _PREPARED.get(key)
        if prepared is not None:
            _PREPARED.move_to_end(key)
    if prepared is None:
        try:
            sql, params = build(_STAND_IN_ID, user=user).query.sql_with_params()
        except EmptyResultSet:
            sql, params = "", (_STAND_IN_ID,)
        prepared = Template.compile(sql, tuple(params), vendor=connections[using].vendor)
        with _PREPARED_LOCK:
            _PREPARED[key] = prepared
            while len(_PREPARED) > _PREPARED_MAX:
                _PREPARED.popitem(last=False)
    return prepared if prepared.sql else None


# PostgreSQL plans the folded query in several times the time it takes to run it. Prepared
# on the server once per connection (a pooled or persistent one lives on), it is planned
# once there too, and each call sends only the customer's id: the query's other parameters
# (dozens of JSON keys, the user's ids) are literals in the statement, which also spares
# the client-side conversion that psycopg caches only for queries of up to 50 parameters.
# Statements are named after their text; few differ (one per user and rights).
_SERVER_PREPARED: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()
_SERVER_PREPARED_MAX = 64


def _server_prepared(using: str, query: Template, customer_id: int) -> tuple[str, list[Any]]:
    """`query` for this customer: an EXECUTE of a statement prepared on this connection
    (PostgreSQL), otherwise the SQL itself."""
    if not query.statement:
        return query.bind(customer_id)
    connection = connections[using]
    connection.ensure_connection()
    with _PREPARED_LOCK:
        done = _SERVER_PREPARED.setdefault(connection.connection, set())
    name = "peyvand_" + hashlib.sha256(query.statement.encode()).hexdigest()[:24]
    if name not in done:
        with connection.cursor() as cursor:
            if len(done) >= _SERVER_PREPARED_MAX:
                cursor.execute("DEALLOCATE ALL")
                done.clear()
            # Without parameters: the literals in the statement are quoted already.
            cursor.execute(f"PREPARE {name} AS {query.statement}")
        done.add(name)
    return f"EXECUTE {name}(%s)", [customer_id]


def _json(value: Any) -> Any:
    # Decimals stay exact; PostgreSQL hands jsonb over as text here, SQLite always does.
    return json.loads(value, parse_float=Decimal) if isinstance(value, str) else value


def customer_360_document(user: Any, pk: Any) -> dict[str, Any]:
    """The 360 view of one customer for the API, in one query: the customer with its
    owner, department, tags, contact points, consent, relationships, latest interactions,
    open tasks, order totals and the custom field definitions folded in as JSON.

    404 for a customer that is missing or not the user's to see, as `get_for`; every part
    is limited exactly as on the page, by the same querysets.
    """
    from peyvand.sales.models import Order

    try:
        customer_id = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    using = router.db_for_read(Customer)
    query = _prepared("customer", _folded_customer, user=user, using=using)
    found = (
        list(Customer.objects.db_manager(using).raw(*_server_prepared(using, query, customer_id)))
        if query
        else []
    )
    if not found:
        raise Http404
    profile = found[0]
    folded = {
        name: _json(getattr(profile, f"{name}_json", None))
        for name in ("tags", "contact_points", "consents", "relationships", "interactions",
                     "tasks", "owner", "department", "order_totals", "custom_fields")
    }  # fmt: skip
    profile.owner = _user(folded.pop("owner"))
    profile.department = _department(folded.pop("department"))
    part: dict[str, list[dict[str, Any]]] = {name: rows or [] for name, rows in folded.items()}
    for point in part["contact_points"]:
        point["is_primary"] = bool(point["is_primary"])  # SQLite's JSON holds 0/1
    part["contact_points"].sort(key=lambda p: (p["kind"], not p["is_primary"], p["id"]))
    part["consents"].sort(key=lambda c: (c["channel"], c["purpose"]))
    for consent in part["consents"]:
        consent["recorded_at"] = _when(consent["recorded_at"])
    for item in part["interactions"]:
        item["occurred_at"] = _when(item["occurred_at"])
        item["agent"] = _user(item["agent"])
    part["interactions"].sort(key=lambda i: (i["occurred_at"], i["id"]), reverse=True)
    for task in part["tasks"]:
        task["due_at"] = _when(task["due_at"])
        task["assignee"] = _user(task["assignee"])
        task["department"] = _department(task["department"])
    # The order of `open_tasks`: undated work last.
    part["tasks"].sort(
        key=lambda t: (
            t["due_at"] is None,
            t["due_at"] or dt.datetime.min.replace(tzinfo=dt.UTC),
            -t["priority"],
            t["id"],
        )
    )
    part["relationships"].sort(key=lambda r: r["id"])
    # Exact as the ORM gives them: PostgreSQL sums to numeric, SQLite to int/float.
    places = Decimal(1).scaleb(-Order._meta.get_field("total").decimal_places)
    totals = [
        {
            "currency": row["currency"],
            "count": row["count"],
            "total": Decimal(str(row["total"])).quantize(places),
        }
        for row in sorted(part["order_totals"], key=lambda row: row["currency"])
    ]
    # Unsaved instances in the model's order (Meta.ordering), for their labels and types.
    definitions = sorted(
        (CustomFieldDefinition(**row) for row in part["custom_fields"]),
        key=lambda d: (d.position, d.key),
    )
    return {
        "profile": profile,
        "tags": sorted(t["name"] for t in part["tags"]),
        "contact_points": part["contact_points"],
        "consents": part["consents"],
        "relationships": part["relationships"],
        "latest_interactions": part["interactions"],
        "order_totals": totals,
        "open_tasks": part["tasks"],
        "custom_fields": custom_field_pairs(profile, definitions),
    }


def search_page(user: Any, q: str, *, limit: int) -> list[Customer]:
    """The first `limit` customers (by name) the user may see that match `q`, for the
    search API: each with its owner and department, and with its tags (`folded_tags`, by
    name) and contact points (`folded_contact_points`, by kind then id) folded into the
    same query as JSON.

    Two queries whatever the page size: the candidates (`CustomerQuerySet.search`: the
    trigram probe of a fragment, or the contact points of a complete phone or email), then
    the page. Two prefetches instead would add two round trips and Django's prefetch
    machinery for twenty rows, most of the API's time beyond the search itself.
    """
    outer = OuterRef("pk")
    page = list(
        Customer.objects.visible_to(user)
        .alive()
        .select_related("owner", "department")
        .search(q)
        .order_by("display_name", "pk")
        .annotate(
            tags_json=_json_rows(
                Customer.tags.through.objects.filter(customer=outer), name=F("tag__name")
            ),
            contact_points_json=_json_rows(
                ContactPoint.objects.filter(customer=outer),
                id=F("id"),
                kind=F("kind"),
                label=F("label"),
                value=F("value"),
                is_primary=F("is_primary"),
            ),
        )[:limit]
    )
    for customer in page:
        customer.folded_tags = sorted(t["name"] for t in _json(customer.tags_json) or [])
        points = _json(customer.contact_points_json) or []
        for point in points:
            point["is_primary"] = bool(point["is_primary"])  # SQLite's JSON holds 0/1
        customer.folded_contact_points = sorted(points, key=lambda p: (p["kind"], p["id"]))
    return page
