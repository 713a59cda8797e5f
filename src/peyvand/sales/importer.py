"""CSV import of orders: one row per order line, rows sharing an order number form one order.

Columns: customer_external_ref or customer_email, order_number, date, currency, sku,
quantity, unit_price, and optionally discount_percent and description. An order whose rows
are all good is created; an order with any bad row is not, and every bad row is reported.
Order numbers already in the database are skipped, so importing a file twice is harmless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.catalog.csvfile import (
    CsvError,
    ImportReport,
    RowError,
    parse_date,
    parse_decimal,
    read_rows,
)
from peyvand.catalog.models import Product
from peyvand.core.problems import ServiceError
from peyvand.core.text import normalize_email
from peyvand.customers.models import Customer
from peyvand.sales.access import order_customers
from peyvand.sales.models import Order
from peyvand.sales.services import create_order

REQUIRED = [
    ["customer_external_ref", "customer_email"],
    ["order_number"],
    ["date"],
    ["currency"],
    ["sku"],
    ["quantity"],
    ["unit_price"],
]


@dataclass
class _Row:
    line: int
    customer_ref: str
    customer_email: str
    date: dt.date | None
    currency: str
    sku: str
    quantity: Decimal | None
    unit_price: Decimal | None
    discount: Decimal | None
    description: str


@dataclass
class _OrderGroup:
    number: str
    rows: list[_Row] = field(default_factory=list)
    bad: bool = False


class _Rollback(Exception):
    """Leaves the dry run's transaction without committing anything."""


def _parse_row(line: int, row: dict[str, str], errors: list[RowError]) -> tuple[_Row, bool]:
    ok = True

    def number(column: str, *, required: bool = True) -> Decimal | None:
        nonlocal ok
        text = row.get(column, "")
        if not text and not required:
            return None
        if not text:
            errors.append(RowError(line, column, _("This field is required.")))
            ok = False
            return None
        try:
            return parse_decimal(text)
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
            ok = False
            return None

    date = None
    try:
        date = parse_date(row["date"])
    except ValueError as exc:
        errors.append(RowError(line, "date", str(exc)))
        ok = False
    for column in ("currency", "sku"):
        if not row.get(column):
            errors.append(RowError(line, column, _("This field is required.")))
            ok = False
    ref, email = row.get("customer_external_ref", ""), normalize_email(row.get("customer_email"))
    if not ref and not email:
        errors.append(
            RowError(line, "customer_external_ref", _("Give the customer's reference or email."))
        )
        ok = False
    parsed = _Row(
        line=line,
        customer_ref=ref,
        customer_email=email,
        date=date,
        currency=row.get("currency", "").upper(),
        sku=row.get("sku", ""),
        quantity=number("quantity"),
        unit_price=number("unit_price"),
        discount=number("discount_percent", required=False),
        description=row.get("description", ""),
    )
    return parsed, ok


def _customers(actor: Any, rows: list[_Row]) -> tuple[dict[str, Customer], dict[str, Customer]]:
    """Customers the actor may order for, by external reference and by email (one query each)."""
    scope = (
        Customer.objects.filter(deleted_at__isnull=True)
        if actor is None
        else order_customers(actor, "add")
    )
    refs = {r.customer_ref for r in rows if r.customer_ref}
    emails = {r.customer_email for r in rows if r.customer_email and not r.customer_ref}
    by_ref = {c.external_ref: c for c in scope.filter(external_ref__in=refs)} if refs else {}
    by_email: dict[str, Customer] = {}
    if emails:
        found = scope.filter(
            contact_points__kind="email", contact_points__normalized__in=emails
        ).values_list("contact_points__normalized", "pk")
        pks = dict(found)
        customers = scope.in_bulk(set(pks.values()))
        by_email = {email: customers[pk] for email, pk in pks.items()}
    return by_ref, by_email


def import_orders_csv(
    source: str | Path | IO[Any], *, actor: Any, dry_run: bool = False
) -> ImportReport:
    """Import orders from CSV (see the module docstring); a dry run validates and commits
    nothing. `report.created` counts orders, `report.skipped` orders already imported."""
    report = ImportReport(dry_run=dry_run)
    groups: dict[str, _OrderGroup] = {}
    rows: list[_Row] = []
    try:
        for line, raw in read_rows(source, REQUIRED):
            report.rows += 1
            parsed, ok = _parse_row(line, raw, report.errors)
            number = raw.get("order_number", "")
            if not number:
                report.errors.append(RowError(line, "order_number", _("This field is required.")))
                continue
            group = groups.setdefault(number, _OrderGroup(number))
            group.rows.append(parsed)
            group.bad = group.bad or not ok
            rows.append(parsed)
    except CsvError as exc:
        report.errors.append(RowError(0, "", str(exc)))
        return report

    existing = set(Order.objects.filter(number__in=list(groups)).values_list("number", flat=True))
    by_ref, by_email = _customers(actor, rows)
    skus = {r.sku for r in rows if r.sku}
    products = {p.sku: p for p in Product.objects.sellable().filter(sku__in=skus)}
    try:
        with transaction.atomic():
            for group in groups.values():
                if group.number in existing:
                    report.skipped += 1
                    continue
                if _create(group, actor, by_ref, by_email, products, report.errors):
                    report.created += 1
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _create(
    group: _OrderGroup,
    actor: Any,
    by_ref: dict[str, Customer],
    by_email: dict[str, Customer],
    products: dict[str, Product],
    errors: list[RowError],
) -> bool:
    first = group.rows[0]
    customer = by_ref.get(first.customer_ref) if first.customer_ref else None
    if customer is None and not first.customer_ref:
        customer = by_email.get(first.customer_email)
    ok = not group.bad
    if customer is None and (first.customer_ref or first.customer_email):
        column = "customer_external_ref" if first.customer_ref else "customer_email"
        errors.append(RowError(first.line, column, _("Customer not found.")))
        ok = False
    for row in group.rows:
        if row.sku and row.sku not in products:
            errors.append(RowError(row.line, "sku", _("No product for sale has this SKU.")))
            ok = False
        for column, value, expected in (
            ("customer_external_ref", row.customer_ref, first.customer_ref),
            ("customer_email", row.customer_email, first.customer_email),
            ("date", row.date, first.date),
            ("currency", row.currency, first.currency),
        ):
            if value != expected and row is not first:
                errors.append(
                    RowError(
                        row.line,
                        column,
                        _("Rows of the same order must agree on customer, date and currency."),
                    )
                )
                ok = False
    if not ok or customer is None or first.date is None:
        return False
    ordered_at = timezone.make_aware(dt.datetime.combine(first.date, dt.time(12)))
    try:
        with transaction.atomic():
            create_order(
                actor=actor,
                customer=customer,
                currency=first.currency,
                number=group.number,
                ordered_at=ordered_at,
                lines=[
                    {
                        "product": products[row.sku],
                        "description": row.description,
                        "quantity": row.quantity,
                        "unit_price": row.unit_price,
                        "discount_percent": row.discount or Decimal(0),
                    }
                    for row in group.rows
                ],
            )
    except ServiceError as exc:
        errors.append(_service_error(group, exc))
        return False
    return True


_FIELD_COLUMNS = {
    "quantity": "quantity",
    "unit_price": "unit_price",
    "discount_percent": "discount_percent",
    "product": "sku",
    "description": "description",
    "currency": "currency",
    "customer": "customer_external_ref",
    "number": "order_number",
}


def _service_error(group: _OrderGroup, exc: ServiceError) -> RowError:
    """Point a service's "lines.<i>.<field>" error at the CSV row and column it came from."""
    parts = (exc.field or "").split(".")
    row = group.rows[0]
    if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
        row = group.rows[int(parts[1])]
    return RowError(row.line, _FIELD_COLUMNS.get(parts[-1], parts[-1]), exc.message)
