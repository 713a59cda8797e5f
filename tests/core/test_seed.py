"""`peyvand seed`: deterministic, realistic bulk data that the product can work with."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Min

from peyvand.access.models import User
from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.models import Interaction
from peyvand.core.seed import SeedOptions, seed
from peyvand.core.text import normalize_phone, to_persian_digits
from peyvand.customers.models import ContactPoint, Customer
from peyvand.customers.search import name_key_for, search_text_for
from peyvand.sales.models import Order

UNTIL = dt.date(2025, 3, 20)
PERSIAN = re.compile("[\u0600-\u06ff]")
SMALL = SeedOptions(customers=300, orders=1500, interactions=3000, seed=7, until=UNTIL)


def _run(options: SeedOptions = SMALL, workers: int = 0) -> Any:
    return seed(options, workers=workers)


def _fingerprint(result: Any) -> dict[str, list[Any]]:
    """What a run wrote, independent of where its id ranges start."""
    c0, c1 = result.id_ranges["customers"]
    o0, o1 = result.id_ranges["orders"]
    customers = Customer.objects.filter(pk__range=(c0, c1)).order_by("pk")
    orders = Order.objects.filter(pk__range=(o0, o1)).order_by("pk")
    return {
        "customers": list(
            customers.values_list("display_name", "kind", "currency", "owner_id", "created_at")
        ),
        "contacts": list(
            ContactPoint.objects.filter(customer__in=customers)
            .order_by("pk")
            .values_list("kind", "value", "normalized")
        ),
        "orders": [
            (o.customer_id - c0, o.ordered_at, o.total.amount, str(o.total.currency), o.status)
            for o in orders
        ],
        "interactions": list(
            Interaction.objects.filter(customer__in=customers)
            .order_by("pk")
            .values_list("channel", "direction", "occurred_at", "subject", "duration_seconds")
        ),
    }


@pytest.mark.django_db
def test_same_seed_same_data_whatever_the_worker_count(personas: Any) -> None:
    first = _fingerprint(_run())
    second = _fingerprint(_run(workers=2))
    other_seed = _fingerprint(_run(SeedOptions(customers=300, seed=8, until=UNTIL)))
    assert first == second
    assert first["customers"] != other_seed["customers"]
    assert len(first["orders"]) == 1500
    assert len(first["interactions"]) == 3000


@pytest.mark.django_db
def test_rows_look_like_real_data(personas: Any) -> None:
    result = _run()
    customers = Customer.objects.filter(pk__range=result.id_ranges["customers"])
    names = list(customers.values_list("display_name", flat=True))
    assert len(names) == 300
    assert sum(bool(PERSIAN.search(n)) for n in names) > 150
    assert any(re.fullmatch(r"[A-Za-z' .ÀÜüößçİıŞ-]+", n) for n in names)
    # Persian names as typed on Arabic keyboards are part of real data.
    assert any("ي" in n or "ك" in n for n in names)
    assert customers.filter(kind="organization").exists()

    phones = ContactPoint.objects.filter(customer__in=customers, kind="phone")
    assert phones.count() > 250
    for value, normalized in phones.values_list("value", "normalized"):
        assert re.fullmatch(r"\+[1-9]\d{7,14}", normalized)
        assert normalize_phone(value) == normalized, value
    assert phones.filter(normalized__startswith="+989").count() > 200
    assert phones.exclude(normalized__startswith="+98").exists()

    for customer in customers.prefetch_related("contact_points", "tags")[:60]:
        assert customer.name_key == name_key_for(customer.display_name)
        assert customer.search_text == search_text_for(
            display_name=customer.display_name,
            first_name=customer.first_name,
            last_name=customer.last_name,
            organization_name=customer.organization_name,
            contact_values=[p.normalized for p in customer.contact_points.all()],
            tags=[t.name for t in customer.tags.all()],
        )

    orders = Order.objects.filter(pk__range=result.id_ranges["orders"])
    assert orders.filter(total__lte=0).count() == 0
    currencies = dict(
        orders.values_list("total_currency")
        .annotate(n=Count("pk"))
        .values_list("total_currency", "n")
    )
    assert set(currencies) <= {"IRR", "USD", "EUR"}
    assert currencies["IRR"] > sum(currencies.values()) / 2
    per_customer = sorted(
        orders.values("customer").annotate(n=Count("pk")).values_list("n", flat=True)
    )
    # Repeat purchase: a few customers buy many times, most buy a few times.
    assert per_customer[-1] >= 5 * per_customer[len(per_customer) // 2]
    end = dt.datetime.combine(UNTIL, dt.time(), tzinfo=dt.UTC)
    first_order = orders.aggregate(m=Min("ordered_at"))["m"]
    assert end - dt.timedelta(days=3 * 365) <= first_order
    assert not orders.filter(ordered_at__gte=end).exists()
    for order in orders.select_related("customer")[:200]:
        assert order.ordered_at > order.customer.created_at

    interactions = Interaction.objects.filter(customer__in=customers)
    assert set(interactions.values_list("channel", flat=True)) == set(InteractionChannel.values)
    assert not interactions.filter(occurred_at__gte=end).exists()
    related = interactions.exclude(related_id="")
    assert related.exists()
    for interaction in related[:50]:
        assert Order.objects.get(pk=int(interaction.related_id)).customer_id == (
            interaction.customer_id
        )
    assert interactions.filter(channel="phone", duration_seconds__gt=0).exists()


@pytest.mark.django_db
def test_every_reference_points_at_a_real_row(personas: Any) -> None:
    result = _run()
    customers = Customer.objects.filter(pk__range=result.id_ranges["customers"])
    user_ids = set(User.objects.values_list("pk", flat=True))
    owners = set(customers.exclude(owner=None).values_list("owner_id", flat=True))
    assert owners and owners <= user_ids
    # Owners are sales people; with the personas present no seed users are made.
    assert owners <= {personas["sales1"].pk, personas["sales2"].pk}
    assert not User.objects.filter(username__startswith="seed.").exists()
    assert not customers.filter(department=None).exists()
    orders = Order.objects.filter(pk__range=result.id_ranges["orders"])
    assert orders.filter(customer__in=customers).count() == 1500
    assert Interaction.objects.filter(customer__in=customers).count() == 3000
    agents = set(Interaction.objects.exclude(agent=None).values_list("agent_id", flat=True))
    assert agents <= user_ids


@pytest.mark.django_db
def test_sales_users_are_created_when_there_are_none() -> None:
    result = _run(SeedOptions(customers=50, orders=60, seed=2, until=UNTIL))
    made = User.objects.filter(username__startswith="seed.sales")
    assert made.count() >= 3
    assert all(not u.has_usable_password() for u in made)
    owners = set(
        Customer.objects.filter(pk__range=result.id_ranges["customers"])
        .exclude(owner=None)
        .values_list("owner_id", flat=True)
    )
    assert owners <= set(made.values_list("pk", flat=True))


@pytest.mark.django_db
def test_search_finds_seeded_customers(personas: Any) -> None:
    result = _run()
    customers = Customer.objects.filter(pk__range=result.id_ranges["customers"])
    mobile = ContactPoint.objects.filter(
        customer__in=customers, kind="phone", normalized__startswith="+989"
    ).first()
    assert mobile is not None
    national = "0" + mobile.normalized[3:]
    for query in (mobile.normalized, national, to_persian_digits(national)):
        assert mobile.customer_id in set(
            Customer.objects.search(query).values_list("pk", flat=True)
        )
    email = ContactPoint.objects.filter(customer__in=customers, kind="email").first()
    assert email is not None
    assert email.customer_id in set(
        Customer.objects.search(email.value).values_list("pk", flat=True)
    )
    person = customers.filter(kind="person", display_name__contains="ی").first()
    assert person is not None
    # Typed with Arabic letters, as on an Arabic keyboard.
    typed = person.last_name.replace("ی", "ي").replace("ک", "ك")
    assert person.pk in set(Customer.objects.search(typed).values_list("pk", flat=True))


@pytest.mark.django_db
def test_one_audit_row_per_run_and_the_chain_holds(personas: Any) -> None:
    before = ChangeLog.objects.count()
    result = _run()
    rows = ChangeLog.objects.order_by("-seq")[: ChangeLog.objects.count() - before]
    assert len(rows) == 1
    entry = rows[0]
    assert entry.action == "import"
    assert entry.after["counts"]["customers"] == 300
    assert entry.after["id_ranges"]["customers"] == list(result.id_ranges["customers"])
    assert verify_chain().ok


@pytest.mark.django_db
def test_command_reports_progress_and_rejects_nonsense(personas: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed",
        "--customers=40",
        "--orders=1_000",
        "--interactions=200",
        "--seed=5",
        "--until=2025-01-01",
        "--actor=manager",
        stdout=out,
        stderr=err,
    )
    assert "Seeded 40 customers" in out.getvalue()
    assert "orders: 1,000/1,000" in err.getvalue()
    assert ChangeLog.objects.order_by("-seq").first().actor_name == "manager"
    with pytest.raises(CommandError):
        call_command("seed", "--customers=0", "--orders=5")
    with pytest.raises(CommandError):
        call_command("seed", "--customers=5", "--actor=nobody-here")
    with pytest.raises(CommandError):
        call_command("seed", "--customers=-5")


# --- PostgreSQL bulk load: indexes and constraints dropped for empty tables, then remade ----

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="index deferral is PostgreSQL's bulk-load path"
)
SEEDED_TABLES = [
    Customer._meta.db_table,
    ContactPoint._meta.db_table,
    Customer.tags.through._meta.db_table,
    Order._meta.db_table,
    Interaction._meta.db_table,
]


def _schema() -> dict[str, Any]:
    """Every index and constraint of the seeded tables, with its definition and validity."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisready "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = ANY(%s::regclass[])",
            [SEEDED_TABLES],
        )
        indexes = {name: (sql, valid, ready) for name, sql, valid, ready in cur.fetchall()}
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[])",
            [SEEDED_TABLES],
        )
        constraints = {name: (sql, valid) for name, sql, valid in cur.fetchall()}
    return {"indexes": indexes, "constraints": constraints}


@postgres_only
@pytest.mark.django_db
def test_seed_into_empty_tables_leaves_every_index_and_constraint_valid(personas: Any) -> None:
    before = _schema()
    # Enough indexes that dropping and rebuilding them is really exercised (39 since the
    # unread order and interaction indexes went).
    assert len(before["indexes"]) > 30 and any(
        "FOREIGN KEY" in d for d, _ in before["constraints"].values()
    )
    messages: list[str] = []
    result = seed(SMALL, workers=0, progress=messages.append)
    assert any("indexes and constraints of empty tables dropped" in m for m in messages)
    after = _schema()
    assert after == before
    assert all(valid and ready for _, valid, ready in after["indexes"].values())
    assert all(valid for _, valid in after["constraints"].values())
    # The rebuilt indexes hold the loaded rows: the planner's index paths find them.
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        c0, c1 = result.id_ranges["customers"]
        cur.execute(
            "SELECT count(*) FROM sales_order WHERE customer_id BETWEEN %s AND %s", [c0, c1]
        )
        assert cur.fetchone()[0] == 1500
        number = Order.objects.filter(pk=result.id_ranges["orders"][0]).values_list(
            "number", flat=True
        )[0]
        cur.execute("SELECT count(*) FROM sales_order WHERE number = %s", [number])
        assert cur.fetchone()[0] == 1
    mobile = ContactPoint.objects.filter(kind="phone").values_list("normalized", flat=True).first()
    assert mobile and Customer.objects.search(mobile).exists()


@postgres_only
@pytest.mark.django_db
def test_seed_into_non_empty_tables_keeps_the_indexes_and_adds_rows(personas: Any) -> None:
    first = seed(SMALL, workers=0)
    before = _schema()
    messages: list[str] = []
    second = seed(
        SeedOptions(customers=200, orders=700, interactions=900, seed=9, until=UNTIL),
        workers=2,
        progress=messages.append,
    )
    assert not any("dropped" in m for m in messages)
    assert _schema() == before
    assert second.id_ranges["customers"][0] > first.id_ranges["customers"][1]
    assert Customer.objects.count() == 500
    assert Order.objects.count() == 2200
    assert Interaction.objects.count() == 3900
    assert ChangeLog.objects.filter(action="import").count() == 2
    assert verify_chain().ok


@postgres_only
@pytest.mark.django_db
def test_deferred_foreign_keys_are_validated_when_they_come_back(personas: Any) -> None:
    """Without replica mode (a database user who is not a superuser) the foreign keys are
    dropped too; remaking them checks every loaded row, so a dangling id cannot slip in."""
    from django.db import IntegrityError, transaction

    from peyvand.core.seed import defer_indexes, restore_indexes

    before = _schema()
    with connection.cursor() as cur:
        with transaction.atomic():
            deferred = defer_indexes(cur, SEEDED_TABLES, foreign_keys=True)
            assert any("FOREIGN KEY" in d.sql for d in deferred)
            remaining = _schema()["constraints"]
            assert not any("FOREIGN KEY" in d for d, _ in remaining.values())
            restore_indexes(cur, deferred, say=lambda _msg: None)
        assert _schema() == before
        with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
            deferred = defer_indexes(cur, [Order._meta.db_table], foreign_keys=True)
            cur.execute(
                "INSERT INTO sales_order (number, customer_id, created_at, updated_at, "
                "ordered_at, status, total_currency, total, external_ref, notes) VALUES "
                "('X-1', 987654321, now(), now(), now(), 'draft', 'IRR', 1, '', '')"
            )
            # The dangling row went in while its key was away ...
            assert Order.objects.filter(number="X-1").exists()
            # ... and bringing the key back refuses it.
            restore_indexes(cur, deferred, say=lambda _msg: None)
    assert _schema() == before
    assert not Order.objects.filter(number="X-1").exists()
