"""Order numbers stay unique when many orders are placed at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies
from peyvand.sales.models import Order
from tests.factories import CustomerFactory
from tests.sales.factories import make_order


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_get_distinct_sequential_numbers() -> None:
    ensure_currencies()
    customer = CustomerFactory(department=Department.objects.create(code="d", name="D"))
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def place() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                make_order(customer)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    serials = sorted(
        int(n.rsplit("-", 1)[1]) for n in Order.objects.values_list("number", flat=True)
    )
    assert serials == list(range(1, 41))
