"""Compile a validated rule tree (marketing.rules) into one queryset condition on Customer.

Every condition becomes `pk IN (SELECT customer_id FROM … WHERE …)` or its negation, so a
segment is one set-based statement however many conditions it has: counts and amounts are
`GROUP BY customer_id HAVING …` subqueries, funnels chained EXISTS over the click-stream.
"At most N" is written as the negation of "at least N+1", so customers with no rows at all
(no orders, no events) are counted as zero, as a marketer means it.

`only` narrows every subquery to one customer: the event-driven re-evaluation of a single
customer then reads a handful of index entries instead of the whole activity tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum

from peyvand.marketing.rules import FIELDS, field_spec

# Orders that are sales: a draft is not bought yet and a cancelled order never was.
COUNTED_ORDER_STATUSES = ("confirmed", "fulfilled")


class Compiler:
    def __init__(self, *, now: dt.datetime, only: int | None = None) -> None:
        self.now = now
        self.only = only

    def compile(self, tree: dict[str, Any]) -> Q:
        if "children" in tree:
            parts = [self.compile(child) for child in tree["children"]]
            if not parts:
                return Q()
            combined = parts[0]
            for part in parts[1:]:
                combined = (combined | part) if tree["match"] == "any" else (combined & part)
            return combined
        return self.condition(tree)

    # Helpers

    def _rows(self, qs: QuerySet[Any], column: str = "customer_id") -> QuerySet[Any]:
        qs = qs.filter(**{f"{column}__isnull": False})
        if self.only is not None:
            qs = qs.filter(**{column: self.only})
        return qs

    def _since(self, days: int | None) -> dt.datetime | None:
        return self.now - dt.timedelta(days=days) if days else None

    def _in(self, qs: QuerySet[Any], column: str = "customer_id") -> Q:
        # EXISTS rather than IN: negated, PostgreSQL plans it as an anti-join, where
        # NOT IN over a million ids falls back to a per-row scan once it outgrows work_mem.
        rows = self._rows(qs, column).filter(**{column: OuterRef("pk")})
        return Q(Exists(rows.order_by().values(column)))

    def _at_least(self, qs: QuerySet[Any], n: int, column: str, counted: str) -> Q:
        if n <= 0:
            return Q()
        if n == 1:
            return self._in(qs, column)
        if counted == "pk":
            # "Is there an n-th row?": an index probe per customer that passed the cheaper
            # conditions, where grouping the whole table would count every customer's rows.
            rows = self._rows(qs, column).filter(**{column: OuterRef("pk")}).order_by()
            return Q(Exists(rows.values(column)[n - 1 : n]))
        rows = self._rows(qs, column).order_by()
        grouped = (
            rows.values(column)
            .annotate(_n=Count(counted, distinct=True))
            .filter(_n__gte=n)
            .values(column)
        )
        return Q(pk__in=grouped)

    def _count(
        self, qs: QuerySet[Any], op: str, n: int, column: str = "customer_id", counted: str = "pk"
    ) -> Q:
        def at_least(k: int) -> Q:
            return self._at_least(qs, k, column, counted)

        if op == "gte":
            return at_least(n)
        if op == "gt":
            return at_least(n + 1)
        if op == "lt":
            return ~at_least(n) if n > 0 else Q(pk__in=[])
        if op == "lte":
            return ~at_least(n + 1)
        return at_least(n) & ~at_least(n + 1)

    def _sum(self, qs: QuerySet[Any], op: str, amount: Decimal, column: str, summed: str) -> Q:
        def above(strict: bool) -> Q:
            rows = self._rows(qs, column).order_by().values(column).annotate(_s=Sum(summed))
            lookup = "_s__gt" if strict else "_s__gte"
            return Q(pk__in=rows.filter(**{lookup: amount}).values(column))

        if op in ("gte", "gt"):
            return above(op == "gt") if (amount > 0 or op == "gt") else Q()
        # "less than X" includes the customers who spent nothing.
        return ~above(op == "lte")

    @staticmethod
    def _compare(prefix: str, op: str, value: Any) -> Q:
        lookups = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "eq": "exact"}
        if op == "ne":
            return ~Q(**{f"{prefix}__exact": value})
        return Q(**{f"{prefix}__{lookups[op]}": value})

    # Conditions

    def condition(self, node: dict[str, Any]) -> Q:
        key, op, value = node["field"], node["operator"], node.get("value")
        if key.startswith("custom."):
            return self.custom(node)
        group = key.split(".")[0]
        return getattr(self, f"_{group}")(node, key, op, value)

    def _profile(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        column = key.split(".", 1)[1]
        spec = FIELDS[key]
        if spec.type == "date":
            return self._date(column, op, value)
        return self._scalar(column, spec.type, op, value)

    def _scalar(self, column: str, kind: str, op: str, value: Any) -> Q:
        if op == "in":
            return Q(**{f"{column}__in": value})
        if op == "not_in":
            return ~Q(**{f"{column}__in": value})
        if op == "contains":
            return Q(**{f"{column}__icontains": value})
        if op == "is_set":
            return Q(**{f"{column}__isnull": False}) & ~Q(**{column: ""})
        if op == "is_empty":
            return Q(**{f"{column}__isnull": True}) | Q(**{column: ""})
        if kind == "text" and op == "eq":
            return Q(**{f"{column}__iexact": value})
        return self._compare(column, op, value)

    def _date(self, column: str, op: str, value: Any) -> Q:
        if op in ("in_last_days", "not_in_last_days"):
            recent = Q(**{f"{column}__gte": self.now - dt.timedelta(days=value)})
            return recent if op == "in_last_days" else ~recent
        day = dt.date.fromisoformat(value)
        return (
            Q(**{f"{column}__date__lt": day})
            if op == "before"
            else Q(**{f"{column}__date__gt": day})
        )

    def custom(self, node: dict[str, Any]) -> Q:
        spec = field_spec(node["field"])
        if spec is None:
            # A custom field switched off after the segment was saved: nobody matches it.
            return Q(pk__in=[])
        key, op = spec.extra["custom_key"], node["operator"]
        value: Any = node.get("value")
        has = Q(custom__has_key=key)
        if spec.type == "bool":
            return Q(**{f"custom__{key}": op == "is_true"})
        if op == "is_set":
            return has & ~Q(**{f"custom__{key}": ""}) & ~Q(**{f"custom__{key}__isnull": True})
        if op == "is_empty":
            return ~has | Q(**{f"custom__{key}": ""}) | Q(**{f"custom__{key}__isnull": True})
        if spec.type == "number":
            # A JSON number compared with a JSON number: numeric on both databases.
            return has & self._compare(f"custom__{key}", op, value)
        if spec.type == "date":
            if op in ("in_last_days", "not_in_last_days"):
                since = (self.now - dt.timedelta(days=value)).date().isoformat()
                recent = has & Q(**{f"custom__{key}__gte": since})
                return recent if op == "in_last_days" else ~recent
            # ISO dates sort as text.
            return has & Q(**{f"custom__{key}__{'lt' if op == 'before' else 'gt'}": value})
        if op in ("in", "not_in"):
            match = has & Q(**{f"custom__{key}__in": value})
            return match if op == "in" else ~match
        if op == "contains":
            return has & Q(**{f"custom__{key}__icontains": value})
        match = has & Q(**{f"custom__{key}__iexact": value})
        return match if op == "eq" else ~match

    def _tags(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.customers.models import Customer

        tagged = Customer.tags.through.objects.filter(tag__name__in=value)
        match = self._in(tagged)
        return match if op == "has_any" else ~match

    def _consent(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.customers.models import Consent

        rows = Consent.objects.filter(
            channel=node["channel"], purpose=node.get("purpose", "marketing")
        )
        if op == "withdrawn":
            return self._in(rows.filter(status="withdrawn"))
        granted = self._in(rows.filter(status="granted"))
        return granted if op == "granted" else ~granted

    def _score(self, qs: QuerySet[Any], column: str, op: str, value: Any) -> Q:
        if op == "is_set":
            return self._in(qs)
        if op == "is_empty":
            return ~self._in(qs)
        if op == "ne":
            return ~self._in(qs.filter(**{column: value}))
        if op in ("in", "not_in"):
            match = self._in(qs.filter(**{f"{column}__in": value}))
            return match if op == "in" else ~match
        lookup = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}[op]
        return self._in(qs.filter(**{f"{column}__{lookup}": value}))

    def _rfm(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.analytics.models import RfmRun, RfmScore

        latest = RfmRun.objects.order_by("-computed_at", "-pk").values("pk")[:1]
        scores = RfmScore.objects.filter(run_id=Subquery(latest))
        return self._score(scores, key.split(".")[1], op, value)

    def _clv(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.analytics.models import CustomerValue

        column = {"clv.value": "clv", "clv.p_alive": "probability_alive"}[key]
        return self._score(CustomerValue.objects.all(), column, op, value)

    def _churn(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.analytics.models import ChurnScore

        return self._score(ChurnScore.objects.all(), "probability", op, value)

    def _orders(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.sales.models import Order, OrderLine

        since = self._since(node.get("days"))
        if key == "orders.product":
            lines = OrderLine.objects.filter(
                product_id=node["product"],
                order__deleted_at__isnull=True,
                order__status__in=COUNTED_ORDER_STATUSES,
            )
            if since:
                lines = lines.filter(order__ordered_at__gte=since)
            return self._count(lines, op, value, column="order__customer_id", counted="order_id")
        orders = Order.objects.filter(deleted_at__isnull=True, status__in=COUNTED_ORDER_STATUSES)
        if since:
            orders = orders.filter(ordered_at__gte=since)
        if key == "orders.total":
            orders = orders.filter(total_currency=node["currency"])
            return self._sum(orders, op, Decimal(value), "customer_id", "total")
        return self._count(orders, op, value)

    def _interactions(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.channels.models import Interaction

        rows = Interaction.objects.filter(deleted_at__isnull=True)
        for param, column in (("channel", "channel"), ("direction", "direction")):
            if node.get(param):
                rows = rows.filter(**{column: node[param]})
        if since := self._since(node.get("days")):
            rows = rows.filter(occurred_at__gte=since)
        return self._count(rows, op, value)

    def _events(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.tracking.models import Event

        since = self._since(node.get("days"))

        def events(event_type: str | None, name: str | None) -> QuerySet[Any]:
            rows = Event.objects.filter(is_bot=False)
            if event_type:
                rows = rows.filter(type=event_type)
            if name:
                rows = rows.filter(name=name)
            if since:
                rows = rows.filter(occurred_at__gte=since)
            return rows

        if key == "events.count":
            return self._count(events(node.get("event_type"), node.get("event_name")), op, value)
        # A funnel: each step an event of the same customer at or after the step before it.
        steps = node["steps"]
        chained: Exists | None = None
        for step in reversed(steps[1:]):
            rows = events(step["event_type"], step["event_name"]).filter(
                customer_id=OuterRef("customer_id"), occurred_at__gte=OuterRef("occurred_at")
            )
            if chained is not None:
                rows = rows.filter(chained)
            chained = Exists(rows)
        first = events(steps[0]["event_type"], steps[0]["event_name"]).filter(chained)
        match = self._in(first)
        return match if op == "completed" else ~match

    def _offers(self, node: dict[str, Any], key: str, op: str, value: Any) -> Q:
        from peyvand.personalization.models import Decision

        rows = Decision.objects.all()
        if node.get("outcome"):
            rows = rows.filter(outcome=node["outcome"])
        if node.get("offer"):
            rows = rows.filter(offer_id=node["offer"])
        if since := self._since(node.get("days")):
            rows = rows.filter(decided_at__gte=since)
        return self._count(rows, op, value)


def compile_rules(tree: dict[str, Any], *, now: dt.datetime, only: int | None = None) -> Q:
    return Compiler(now=now, only=only).compile(tree)
