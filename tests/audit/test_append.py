"""`append_changes`, the bulk writer of the chain: the rows it writes are the rows
`write_changes` would write, so `verify_chain` accepts them and catches tampering."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.audit.models import ChainHead, ChangeLog
from peyvand.audit.services import (
    RowChange,
    append_changes,
    canonical_json,
    record,
    snapshot,
    verify_chain,
)
from peyvand.customers.models import Customer

# Text that means something to COPY, to JSON or to SQL, in both scripts.
AWKWARD = 'tab\there, line\nbreak\r, back\\slash \\N, "quote", <b>x</b>, مشتری\u200cها'

# PostgreSQL refuses NUL in text and in jsonb, whoever writes the row.
texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)


def _entry(seq: int) -> ChangeLog:
    return ChangeLog.objects.get(seq=seq)


@pytest.mark.django_db
def test_appended_rows_verify_between_ordinary_writes(manager: Any) -> None:
    first = Customer(display_name="First", owner=manager)
    with record(first, actor=manager):
        first.save()
    before = snapshot(first)
    after = {**before, "display_name": AWKWARD, "notes": AWKWARD}
    count = append_changes(
        Customer,
        [
            RowChange("update", first.pk, AWKWARD, first.pk, canonical_json(before), None),
            RowChange("update", first.pk, "x" * 300, None, None, canonical_json(after)),
        ],
        actor=manager,
    )
    with record(first, actor=manager):
        first.notes = "after the bulk rows"
        first.save()

    assert count == 2
    assert verify_chain().ok and verify_chain().checked == 4
    second, third = _entry(2), _entry(3)
    assert second.object_repr == AWKWARD and second.before == before and second.after is None
    assert second.actor == manager and second.customer_id == first.pk
    assert third.after["display_name"] == AWKWARD and third.customer_id is None
    assert third.object_repr == "x" * 255
    assert third.prev_hash == second.hash and _entry(4).prev_hash == third.hash


@pytest.mark.django_db
def test_nothing_to_append_leaves_the_chain_alone(manager: Any) -> None:
    assert append_changes(Customer, [], actor=manager) == 0
    assert not ChangeLog.objects.exists()
    assert verify_chain().ok


@pytest.mark.django_db
def test_tampering_with_an_appended_row_is_detected(manager: Any) -> None:
    append_changes(
        Customer,
        [RowChange("create", pk, f"C{pk}", pk, None, canonical_json({"id": pk})) for pk in (1, 2)],
        actor=None,
    )
    assert verify_chain().ok
    assert _entry(1).actor_name == "system"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ChangeLog._meta.db_table} SET object_repr = %s WHERE seq = 2", ["forged"]
        )
    result = verify_chain()
    assert not result.ok and result.seq == 2


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=json_values, after=st.dictionaries(texts, json_values), repr_=texts)
def test_any_payload_round_trips_and_verifies(before: Any, after: Any, repr_: str) -> None:
    ChangeLog.objects.all().delete()
    ChainHead.objects.all().delete()
    append_changes(
        Customer,
        [RowChange("update", 7, repr_, 7, canonical_json(before), canonical_json(after))],
    )
    entry = _entry(1)
    assert entry.before == before and entry.after == after
    assert verify_chain().ok


@pytest.mark.django_db
def test_changes_that_fail_halfway_write_nothing_and_leave_the_connection_usable(
    manager: Any,
) -> None:
    # More rows than one write of the streaming COPY, so the failure comes while it is open.
    def changes() -> Any:
        for pk in range(1, 1200):
            yield RowChange("create", pk, f"C{pk}", pk, None, canonical_json({"id": pk}))
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        append_changes(Customer, changes(), actor=manager)

    assert not ChangeLog.objects.exists()
    assert append_changes(Customer, [RowChange("create", 1, "C1", 1, None, "{}")]) == 1
    assert verify_chain().ok and verify_chain().checked == 1
