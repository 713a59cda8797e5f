"""Soft delete, restore and the recycle bin page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.audit.recycle import restore, soft_delete
from peyvand.audit.services import verify_chain
from peyvand.catalog.models import Product
from peyvand.customers.models import ContactPoint, Customer
from peyvand.sales.models import Order
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

BIN = reverse("audit:recycle_bin")


def _restore_url(obj) -> str:
    return reverse("audit:restore", args=[obj._meta.label_lower, obj.pk])


def test_soft_delete_and_restore_are_audited(make_customer, sales1) -> None:
    customer = make_customer(sales1, "Ali")
    soft_delete(customer, actor=sales1)
    customer.refresh_from_db()
    assert customer.is_deleted and customer.deleted_by == sales1
    deleted = ChangeLog.objects.get(action="delete")
    assert deleted.actor == sales1 and deleted.customer_id == customer.pk
    assert deleted.before["deleted_at"] is None and deleted.after["deleted_at"]

    restore(customer, actor=sales1)
    customer.refresh_from_db()
    assert customer.deleted_at is None and customer.deleted_by is None
    restored = ChangeLog.objects.get(action="restore")
    assert restored.after["deleted_at"] is None and restored.seq > deleted.seq
    assert verify_chain().ok


def test_deleting_twice_or_restoring_a_live_row_writes_nothing(make_customer, sales1) -> None:
    customer = make_customer(sales1)
    restore(customer, actor=sales1)
    soft_delete(customer, actor=sales1)
    soft_delete(Customer.objects.get(pk=customer.pk), actor=sales1)
    assert list(ChangeLog.objects.values_list("action", flat=True)) == ["create", "delete"]


def test_rows_without_soft_delete_are_refused(make_customer, sales1) -> None:
    point = ContactPoint.objects.create(
        customer=make_customer(sales1), kind="email", value="a@example.com"
    )
    with pytest.raises(TypeError):
        soft_delete(point, actor=sales1)
    assert ContactPoint.objects.filter(pk=point.pk).exists()


def test_sales_rep_sees_only_own_deleted_customers(make_customer, sales1, sales2, client_for):
    mine = make_customer(sales1, "Mine deleted")
    theirs = make_customer(sales2, "Theirs deleted")
    make_customer(sales1, "Mine alive")
    soft_delete(mine, actor=sales1)
    soft_delete(theirs, actor=sales2)

    response = client_for(sales1).get(BIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mine deleted" in body
    assert "Theirs deleted" not in body and "Mine alive" not in body
    assert _restore_url(mine) in body


def test_sales_rep_cannot_restore_someone_elses_customer(make_customer, sales1, sales2, client_for):
    theirs = make_customer(sales2, "Theirs")
    soft_delete(theirs, actor=sales2)
    before = ChangeLog.objects.count()

    response = client_for(sales1).post(_restore_url(theirs))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_deleted and ChangeLog.objects.count() == before


def test_sales_rep_restores_own_customer(make_customer, sales1, client_for) -> None:
    mine = make_customer(sales1, "Mine")
    soft_delete(mine, actor=sales1)

    response = client_for(sales1).post(_restore_url(mine), follow=True)

    assert response.redirect_chain[-1][0] == BIN
    mine.refresh_from_db()
    assert not mine.is_deleted
    assert ChangeLog.objects.filter(action="restore", actor=sales1).count() == 1
    body = response.content.decode()
    message = body[body.index('class="msg-success"') :]
    assert "Mine" in message[: message.index("</li>")]


def test_restoring_a_live_row_is_not_found(make_customer, manager, client_for) -> None:
    alive = make_customer(manager)
    assert client_for(manager).post(_restore_url(alive)).status_code == 404


def test_restore_needs_post_and_a_known_type(make_customer, sales1, client_for) -> None:
    mine = make_customer(sales1)
    soft_delete(mine, actor=sales1)
    client = client_for(sales1)
    assert client.get(_restore_url(mine)).status_code == 405
    bogus = reverse("audit:restore", args=["access.user", sales1.pk])
    assert client.post(bogus).status_code == 404


def test_interactions_are_beyond_a_sales_rep_but_not_a_manager(
    make_customer, sales1, manager, client_for
) -> None:
    customer = make_customer(sales1, "Owner of the call")
    interaction = InteractionFactory(customer=customer, subject="Deleted call")
    soft_delete(interaction, actor=manager)

    assert "Deleted call" not in client_for(sales1).get(BIN).content.decode()
    assert client_for(sales1).post(_restore_url(interaction)).status_code == 404

    response = client_for(manager).get(BIN, {"type": "comms.interaction"})
    assert "Deleted call" in response.content.decode()
    assert client_for(manager).post(_restore_url(interaction)).status_code == 302
    interaction.refresh_from_db()
    assert not interaction.is_deleted


def test_persona_without_delete_grants_sees_an_empty_bin(
    make_customer, service1, manager, client_for
) -> None:
    soft_delete(make_customer(manager, "Gone"), actor=manager)
    response = client_for(service1).get(BIN)
    assert response.status_code == 200
    assert "Gone" not in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client) -> None:
    response = client.get(BIN)
    assert response.status_code == 302 and "login" in response["Location"]


def test_names_are_escaped(make_customer, sales1, client_for) -> None:
    customer = make_customer(sales1, "<script>alert(1)</script>")
    soft_delete(customer, actor=sales1)
    body = client_for(sales1).get(BIN).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_manager_bin_merges_every_type_newest_first_with_bounded_queries(
    make_customer, manager, client_for, django_assert_max_num_queries
) -> None:
    for i in range(4):
        customer = make_customer(manager, f"Customer {i}")
        soft_delete(customer, actor=manager)
        order = Order.objects.create(number=f"ORD-{i}", customer=customer, total=Money(1000, "IRR"))
        soft_delete(order, actor=manager)
        interaction = InteractionFactory(customer=customer, subject=f"Call {i}")
        soft_delete(interaction, actor=manager)
        product = Product.objects.create(
            sku=f"SKU-{i}", name=f"Product {i}", unit_price=Money(10, "USD")
        )
        soft_delete(product, actor=manager)
    client = client_for(manager)
    client.get(BIN)  # warm the session and content-type caches
    with django_assert_max_num_queries(16):
        response = client.get(BIN)
    body = response.content.decode()
    assert body.count("<tr>") == 1 + 16
    assert body.index("Product 3") < body.index("Customer 0")


def test_bin_pages(make_customer, manager, client_for) -> None:
    for i in range(27):
        soft_delete(make_customer(manager, f"Deleted {i:02d}"), actor=manager)
    client = client_for(manager)
    first = client.get(BIN, {"type": "customers.customer"}).content.decode()
    second = client.get(BIN, {"type": "customers.customer", "page": 2}).content.decode()
    assert "Deleted 26" in first and "Deleted 00" not in first
    assert "Deleted 00" in second and "Deleted 26" not in second
