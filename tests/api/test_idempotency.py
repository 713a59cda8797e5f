"""Idempotency-Key on POST: replayed, never re-run; reused with another body, refused."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from peyvand.access.models import ApiToken
from peyvand.core.models import IdempotencyRecord
from peyvand.desk.models import Task
from tests.api.conftest import fields_of, problem_of

pytestmark = pytest.mark.django_db


def post_task(client: Client, key: str | None, title: str = "Call back") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        "/api/v1/tasks", {"title": title}, content_type="application/json", headers=headers
    )


def test_same_key_and_body_replays_without_running_again(api_client, sales1) -> None:
    client = api_client(sales1)
    first = post_task(client, "key-1")
    assert first.status_code == 201
    again = post_task(client, "key-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1


def test_key_order_and_spacing_do_not_make_another_request(api_client, sales1) -> None:
    client = api_client(sales1)
    body_a = '{"title": "T", "priority": 3}'
    body_b = '{"priority":3,"title":"T"}'
    headers = {"Idempotency-Key": "same"}
    a = client.post("/api/v1/tasks", body_a, content_type="application/json", headers=headers)
    b = client.post("/api/v1/tasks", body_b, content_type="application/json", headers=headers)
    assert a.status_code == b.status_code == 201
    assert Task.objects.count() == 1


def test_same_key_with_another_body_is_refused(api_client, sales1) -> None:
    client = api_client(sales1)
    assert post_task(client, "key-2", "First").status_code == 201
    problem = problem_of(post_task(client, "key-2", "Second"), 422)
    assert fields_of(problem) == {"Idempotency-Key"}
    assert list(Task.objects.values_list("title", flat=True)) == ["First"]


def test_keys_belong_to_their_user(api_client, sales1, sales2) -> None:
    assert post_task(api_client(sales1), "shared").status_code == 201
    second = post_task(api_client(sales2), "shared")
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert Task.objects.count() == 2


def test_without_a_key_every_post_runs(api_client, sales1) -> None:
    client = api_client(sales1)
    post_task(client, None)
    post_task(client, None)
    assert Task.objects.count() == 2


def test_failures_are_not_stored_so_a_fixed_retry_runs(api_client, sales1) -> None:
    client = api_client(sales1)
    headers = {"Idempotency-Key": "retry-me"}
    bad = client.post("/api/v1/tasks", {}, content_type="application/json", headers=headers)
    problem_of(bad, 422)
    assert not IdempotencyRecord.objects.exists()
    assert post_task(client, "retry-me").status_code == 201


def test_keys_expire_after_a_day(api_client, sales1) -> None:
    client = api_client(sales1)
    post_task(client, "old")
    IdempotencyRecord.objects.update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    again = post_task(client, "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Task.objects.count() == 2
    record = IdempotencyRecord.objects.get()
    assert record.expires_at - record.created_at == dt.timedelta(hours=24)


def test_malformed_key_is_400(api_client, sales1) -> None:
    problem_of(post_task(api_client(sales1), "x" * 256), 400)
    assert not Task.objects.exists()


def test_unauthenticated_keyed_post_is_401_and_stores_nothing() -> None:
    problem_of(post_task(Client(), "anon"), 401)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_run_once(sales1) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is not shared between threads")
    from peyvand.access.defaults import ensure_departments_and_roles

    ensure_departments_and_roles()
    _token, raw = ApiToken.issue(sales1, scopes=["*"])
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def worker() -> None:
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        barrier.wait()
        statuses.append(post_task(client, "race").status_code)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Task.objects.count() == 1
    assert statuses == [201] * 4
