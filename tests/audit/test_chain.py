from __future__ import annotations

import pytest
from django.db import connection

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import record, verify_chain
from peyvand.customers.models import Customer


def _make_changes(actor, n: int = 3) -> list[Customer]:
    customers = []
    for i in range(n):
        c = Customer(display_name=f"مشتری {i}")
        with record(c, actor=actor):
            c.save()
        with record(c, actor=actor):
            c.display_name = f"مشتری {i} <b>x</b>"
            c.save()
        customers.append(c)
    return customers


@pytest.mark.django_db
def test_chain_verifies_and_records_before_after(manager) -> None:
    _make_changes(manager)
    assert verify_chain().ok
    update = ChangeLog.objects.filter(action="update").first()
    assert update.before["display_name"] == "مشتری 0"
    assert update.after["display_name"] == "مشتری 0 <b>x</b>"
    assert update.actor == manager


@pytest.mark.django_db
def test_no_row_when_nothing_changed(manager) -> None:
    [c] = _make_changes(manager, 1)
    count = ChangeLog.objects.count()
    with record(c, actor=manager):
        c.save()
    assert ChangeLog.objects.count() == count


@pytest.mark.django_db
def test_edit_in_database_is_detected(manager) -> None:
    _make_changes(manager)
    target = ChangeLog.objects.get(seq=3)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {ChangeLog._meta.db_table} SET object_repr = %s WHERE id = %s",
            ["forged", target.pk],
        )
    result = verify_chain()
    assert not result.ok and result.seq == 3 and "altered" in result.problem


@pytest.mark.django_db
def test_deleted_row_is_detected(manager) -> None:
    _make_changes(manager)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {ChangeLog._meta.db_table} WHERE seq = 2")
    result = verify_chain()
    assert not result.ok and result.seq == 2


@pytest.mark.django_db
def test_deleted_tail_is_detected(manager) -> None:
    _make_changes(manager)
    last = ChangeLog.objects.order_by("-seq").first()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {ChangeLog._meta.db_table} WHERE seq = %s", [last.seq])
    result = verify_chain()
    assert not result.ok and result.seq == last.seq


@pytest.mark.django_db
def test_payload_erased_without_a_forget_is_detected(manager) -> None:
    _make_changes(manager)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {ChangeLog._meta.db_table} SET before = NULL, after = NULL, "
            f"object_repr = '', redacted = %s WHERE seq = 2",
            [True],
        )
    result = verify_chain()
    assert not result.ok and result.seq == 2 and "without a forget" in result.problem


@pytest.mark.django_db
def test_unredacting_a_row_is_detected(manager) -> None:
    _make_changes(manager)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {ChangeLog._meta.db_table} SET after = NULL WHERE seq = 4",
        )
    result = verify_chain()
    assert not result.ok and result.seq == 4 and "altered" in result.problem


@pytest.mark.django_db
def test_row_inserted_past_the_head_is_detected(manager) -> None:
    _make_changes(manager, 1)
    last = ChangeLog.objects.order_by("-seq").first()
    forged = ChangeLog.objects.get(pk=last.pk)
    forged.pk, forged.seq, forged.prev_hash = None, last.seq + 1, last.hash
    forged.save()
    result = verify_chain()
    assert not result.ok and result.seq == last.seq + 1 and "not part" in result.problem


@pytest.mark.django_db
def test_empty_chain_verifies(db) -> None:
    result = verify_chain()
    assert result.ok and result.checked == 0
