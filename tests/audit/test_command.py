"""`peyvand audit verify` through Django's call_command (the CLI run is in test_backup.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import record


@pytest.fixture
def chain(make_customer, sales1) -> None:
    for i in range(3):
        customer = make_customer(sales1, f"C{i}")
        with record(customer, actor=sales1):
            customer.notes = "changed"
            customer.save()


@pytest.mark.usefixtures("chain")
def test_verify_reports_every_row() -> None:
    out = StringIO()
    call_command("audit", "verify", "--batch-size", "2", stdout=out)
    assert out.getvalue().strip() == "OK: 6 rows verified"


@pytest.mark.usefixtures("chain")
def test_verify_names_the_altered_row() -> None:
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {ChangeLog._meta.db_table} SET actor_name = 'ghost' WHERE seq = 3")
    with pytest.raises(CommandError, match=r"row #3 was altered") as exc:
        call_command("audit", "verify", stdout=StringIO())
    assert exc.value.returncode == 1


@pytest.mark.usefixtures("chain")
def test_verify_names_the_missing_row() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {ChangeLog._meta.db_table} WHERE seq = 2")
    with pytest.raises(CommandError, match=r"row #2 is missing"):
        call_command("audit", "verify", stdout=StringIO())


@pytest.mark.usefixtures("chain")
def test_verify_notices_a_removed_tail() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {ChangeLog._meta.db_table} WHERE seq >= 5")
    with pytest.raises(CommandError, match=r"rows after #4 were removed"):
        call_command("audit", "verify", stdout=StringIO())


@pytest.mark.django_db
def test_verify_rejects_a_silly_batch_size() -> None:
    with pytest.raises(CommandError, match="batch-size"):
        call_command("audit", "verify", "--batch-size", "0", stdout=StringIO())
