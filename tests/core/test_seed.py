"""`peyvand seed`: deterministic, realistic bulk data that the product can work with."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
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
