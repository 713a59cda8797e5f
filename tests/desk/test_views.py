from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.desk.models import Task, TaskComment
from peyvand.desk.querysets import local_day_bounds
from peyvand.desk.services import create_task
from tests.conftest import speak_persian
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'
HTMX = {"HTTP_HX_REQUEST": "true"}


def _desk_of(sales1: Any) -> dict[str, Task]:
    now = timezone.now()
    _, end_of_day = local_day_bounds(now)
    return {
        "upcoming": TaskFactory(
            assignee=sales1, title="Upcoming", due_at=now + dt.timedelta(days=3)
        ),
        "overdue": TaskFactory(
            assignee=sales1, title="Late one", due_at=now - dt.timedelta(days=2)
        ),
        "today": TaskFactory(
            assignee=sales1,
            title="Today",
            due_at=min(now + dt.timedelta(minutes=5), end_of_day - dt.timedelta(seconds=1)),
        ),
        "undated": TaskFactory(assignee=sales1, title="Someday"),
        "queue": TaskFactory(department=Department.objects.get(code="sales"), title="Sales queue"),
        "done": TaskFactory(assignee=sales1, title="Finished", status="done"),
        "other": TaskFactory(
            assignee=None, department=Department.objects.get(code="service"), title="Service only"
        ),
    }


def test_my_desk_puts_overdue_first_with_a_badge_and_counts(
    client_for: Any, sales1: Any, django_assert_max_num_queries: Any
) -> None:
    tasks = _desk_of(sales1)
    client = client_for(sales1)
    client.get("/")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("desk:my_desk"))
    assert response.status_code == 200
    html = response.content.decode()
    order = [
        html.index(f'id="task-{tasks[key].pk}"')
        for key in ("overdue", "today", "upcoming", "undated")
    ]
    assert order == sorted(order)
    assert f'id="task-{tasks["queue"].pk}"' in html
    assert f'id="task-{tasks["done"].pk}"' not in html
    assert "Service only" not in html
    assert 'class="badge overdue"' in html
    desk = response.context["desk"]
    assert (desk.counts.open, desk.counts.overdue, desk.counts.today) == (5, 1, 1)


def test_desk_query_count_does_not_grow_with_tasks(
    client_for: Any, sales1: Any, customer_of_sales1: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(40):
        TaskFactory(
            assignee=sales1,
            customer=customer_of_sales1,
            due_at=timezone.now() + dt.timedelta(hours=n),
        )
    client = client_for(sales1)
    client.get("/")
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_due_dates_are_jalali_in_persian(client_for: Any, sales1: Any) -> None:
    speak_persian(sales1)
    TaskFactory(assignee=sales1, due_at=dt.datetime(2024, 8, 2, 10, 0, tzinfo=dt.UTC))
    html = client_for(sales1).get("/").content.decode()
    assert "۱۴۰۳/۰۵/۱۲" in html


def test_reminder_badge(client_for: Any, sales1: Any) -> None:
    TaskFactory(assignee=sales1, title="Ping", reminded_at=timezone.now())
    html = client_for(sales1).get("/").content.decode()
    assert 'class="badge reminder"' in html


def test_task_titles_are_escaped_everywhere(client_for: Any, sales1: Any, manager: Any) -> None:
    task = create_task(actor=sales1, title=XSS, description=XSS)
    client = client_for(sales1)
    client.post(reverse("desk:task_comment", args=[task.pk]), {"body": XSS})
    pages = [
        client.get("/"),
        client.get(reverse("desk:task_detail", args=[task.pk])),
        client.post(reverse("desk:task_complete", args=[task.pk]), **HTMX),
        client_for(manager).get(reverse("desk:user_desk", args=[sales1.pk])),
    ]
    for response in pages:
        html = response.content.decode()
        assert XSS not in html
    assert "&lt;script&gt;" in pages[1].content.decode()


@pytest.mark.parametrize(
    ("method", "name", "data"),
    [
        ("get", "desk:task_detail", {}),
        ("post", "desk:task_complete", {}),
        ("post", "desk:task_reopen", {}),
        ("get", "desk:task_assign", {}),
        ("post", "desk:task_assign", {"assignee": ""}),
        ("get", "desk:task_comment", {}),
        ("post", "desk:task_comment", {"body": "hello"}),
    ],
)
def test_sales2_gets_404_on_sales1s_task(
    client_for: Any,
    sales1: Any,
    sales2: Any,
    manager: Any,
    method: str,
    name: str,
    data: dict[str, str],
) -> None:
    task = create_task(actor=sales1, title="Mine")
    url = reverse(name, args=[task.pk])
    assert getattr(client_for(sales2), method)(url, data).status_code == 404
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("open", sales1)
    assert not TaskComment.objects.exists()
    assert client_for(manager).get(reverse("desk:task_detail", args=[task.pk])).status_code == 200


def test_task_detail_shows_comments_and_history(client_for: Any, sales1: Any, sales2: Any) -> None:
    task = create_task(actor=sales1, title="History")
    client = client_for(sales1)
    client.post(
        reverse("desk:task_assign", args=[task.pk]), {"assignee": sales1.pk, "department": ""}
    )
    client.post(reverse("desk:task_comment", args=[task.pk]), {"body": "First note"})
    client.post(reverse("desk:task_complete", args=[task.pk]))
    html = client.get(reverse("desk:task_detail", args=[task.pk])).content.decode()
    assert "First note" in html
    assert html.count("<li><time") >= 2


def test_non_manager_gets_404_on_all_desks(client_for: Any, personas: dict[str, Any]) -> None:
    for name in ("sales1", "sales2", "service1", "marketing1"):
        assert client_for(personas[name]).get(reverse("desk:all_desks")).status_code == 404
        assert (
            client_for(personas[name])
            .get(reverse("desk:user_desk", args=[personas["sales1"].pk]))
            .status_code
            == 404
        )


def test_manager_sees_every_desk_with_counts(
    client_for: Any, manager: Any, sales1: Any, django_assert_max_num_queries: Any
) -> None:
    _desk_of(sales1)
    client = client_for(manager)
    client.get("/")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("desk:all_desks"))
    assert response.status_code == 200
    people = {u.username: u for u in response.context["users"]}
    assert (
        people["sales1"].open_count,
        people["sales1"].overdue_count,
        people["sales1"].today_count,
    ) == (4, 1, 1)
    departments = {d.code: d for d in response.context["departments"]}
    assert departments["sales"].queue_count == 1
    assert departments["service"].open_count == 1
    assert response.content.decode().count("desk/department/") == Department.objects.count()


def test_department_desk_for_members_and_managers_only(
    client_for: Any, personas: dict[str, Any]
) -> None:
    _desk_of(personas["sales1"])
    url = reverse("desk:department_desk", args=["sales"])
    response = client_for(personas["sales2"]).get(url)
    assert response.status_code == 200
    assert "Sales queue" in response.content.decode()
    assert "Late one" not in response.content.decode()  # sales1's own task, outside sales2's scope
    assert client_for(personas["manager"]).get(url).status_code == 200
    assert client_for(personas["service1"]).get(url).status_code == 404
    assert (
        client_for(personas["sales1"])
        .get(reverse("desk:department_desk", args=["nope"]))
        .status_code
        == 404
    )


def test_quick_add_over_htmx(client_for: Any, sales1: Any, customer_of_sales1: Any) -> None:
    response = client_for(sales1).post(
        reverse("desk:task_create"),
        {
            "title": "Send brochure",
            "kind": "follow_up",
            "priority": "3",
            "due_at": "1403/05/12",
            "customer": customer_of_sales1.pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    task = Task.objects.get()
    html = response.content.decode()
    assert 'hx-swap-oob="afterbegin:#desk-new-tasks"' in html
    assert f'id="task-{task.pk}"' in html
    assert (task.assignee, task.customer, task.kind, task.priority) == (
        sales1,
        customer_of_sales1,
        "follow_up",
        3,
    )
    assert timezone.localtime(task.due_at).date() == dt.date(2024, 8, 2)


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "kind": "todo", "priority": "2"},
        {"title": "x", "kind": "todo", "priority": "2", "due_at": "tomorrow-ish"},
        {"title": "x", "kind": "todo", "priority": "2", "due_at": "1403/12/31"},
        {"title": "x", "kind": "todo", "priority": "7"},
    ],
)
def test_quick_add_bad_input_changes_nothing(
    client_for: Any, sales1: Any, data: dict[str, str]
) -> None:
    response = client_for(sales1).post(reverse("desk:task_create"), data, **HTMX)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Task.objects.exists()


def test_quick_add_refuses_a_customer_out_of_scope(
    client_for: Any, sales2: Any, customer_of_sales1: Any
) -> None:
    client_for(sales2).post(
        reverse("desk:task_create"),
        {"title": "Peek", "kind": "todo", "priority": "2", "customer": customer_of_sales1.pk},
        **HTMX,
    )
    assert not Task.objects.exists()


def test_inline_complete_reassign_and_comment(client_for: Any, sales1: Any, sales2: Any) -> None:
    task = create_task(actor=sales1, title="Inline")
    client = client_for(sales1)
    row = client.post(reverse("desk:task_complete", args=[task.pk]), **HTMX)
    assert row.status_code == 200 and "Reopen" in row.content.decode()
    row = client.post(reverse("desk:task_reopen", args=[task.pk]), **HTMX)
    assert "Complete" in row.content.decode()
    form = client.get(reverse("desk:task_assign", args=[task.pk]), **HTMX)
    assert 'name="assignee"' in form.content.decode()
    comments = client.post(reverse("desk:task_comment", args=[task.pk]), {"body": "On it"}, **HTMX)
    assert "On it" in comments.content.decode()
    row = client.post(reverse("desk:task_assign", args=[task.pk]), {"assignee": sales2.pk}, **HTMX)
    assert row.status_code == 200
    task.refresh_from_db()
    assert task.assignee == sales2
    # Handed over: sales1 no longer works it (but still sees it as its creator).
    assert client_for(sales2).get(reverse("desk:task_detail", args=[task.pk])).status_code == 200


def test_plain_posts_redirect_back(client_for: Any, sales1: Any) -> None:
    task = create_task(actor=sales1, title="No JS")
    response = client_for(sales1).post(reverse("desk:task_complete", args=[task.pk]), {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client_for(sales1).post(
        reverse("desk:task_reopen", args=[task.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("desk:task_detail", args=[task.pk])


def test_marketer_cannot_reassign(client_for: Any, marketing1: Any, sales1: Any) -> None:
    task = create_task(actor=marketing1, title="Campaign")
    client = client_for(marketing1)
    assert client.get(reverse("desk:task_assign", args=[task.pk])).status_code == 404
    assert (
        client.post(
            reverse("desk:task_assign", args=[task.pk]), {"assignee": sales1.pk}
        ).status_code
        == 404
    )
    html = client.get("/").content.decode()
    assert reverse("desk:task_assign", args=[task.pk]) not in html
