"""Views of the desk app: each person's and each department's work queue (کارتابل).

Every action works as a plain form post (redirecting back) and, under HTMX, answers with
the fragment to swap in.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.models import User
from peyvand.access.scopes import can, is_manager
from peyvand.customers.models import Customer
from peyvand.desk import services
from peyvand.desk.access import get_department_for, get_task_for
from peyvand.desk.forms import AssignForm, CommentForm, TaskForm, apply_service_errors
from peyvand.desk.models import Task
from peyvand.desk.selectors import all_desks as select_all_desks
from peyvand.desk.selectors import build_desk, task_history


def _back(request: HttpRequest, task: Task | None = None) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    if task is not None:
        return redirect("desk:task_detail", pk=task.pk)
    return redirect("desk:my_desk")


def _flash_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        messages.error(request, " ".join(str(error) for error in errors))


def _row(request: HttpRequest, task: Task, **extra: Any) -> HttpResponse:
    return render(
        request,
        "desk/partials/task_row.html",
        {
            "task": task,
            "now": timezone.now(),
            "can_assign": can(request.user, ObjectType.TASK, "assign"),
            **extra,
        },
    )


def _task_form(request: HttpRequest, data: Any = None, **initial: Any) -> TaskForm:
    return TaskForm(data, initial=initial, can_assign=can(request.user, ObjectType.TASK, "assign"))


def _desk_page(request: HttpRequest, template: str, tasks: Any, **context: Any) -> HttpResponse:
    user = request.user
    return render(
        request,
        template,
        {
            "desk": build_desk(tasks),
            "now": timezone.now(),
            "can_add": can(user, ObjectType.TASK, "add"),
            "can_assign": can(user, ObjectType.TASK, "assign"),
            **context,
        },
    )


@login_required
@require_GET
def my_desk(request: HttpRequest) -> HttpResponse:
    user = request.user
    tasks = Task.objects.visible_to(user).on_desk_of(user)
    return _desk_page(
        request,
        "desk/my_desk.html",
        tasks,
        form=_task_form(request),
        departments=list(user.departments.filter(is_active=True)),  # type: ignore[union-attr]
    )


@login_required
@require_GET
def department_desk(request: HttpRequest, code: str) -> HttpResponse:
    department = get_department_for(request.user, code)
    tasks = Task.objects.visible_to(request.user).on_department_desk(department)
    return _desk_page(
        request,
        "desk/department_desk.html",
        tasks,
        department=department,
        form=_task_form(request, department=department.pk),
    )


@login_required
@require_GET
def all_desks(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    users, departments = select_all_desks()
    return render(request, "desk/all_desks.html", {"users": users, "departments": departments})


@login_required
@require_GET
def user_desk(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone's desk, as they see it: managers only."""
    if not is_manager(request.user):
        raise Http404
    person = get_object_or_404(User, pk=pk, is_active=True)
    tasks = Task.objects.on_desk_of(person)
    return _desk_page(request, "desk/user_desk.html", tasks, person=person)


@login_required
@require_POST
def task_create(request: HttpRequest) -> HttpResponse:
    form = _task_form(request, request.POST)
    task: Task | None = None
    if form.is_valid():
        data = form.cleaned_data
        customer = None
        if data["customer"]:
            customer = (
                Customer.objects.visible_to(request.user)
                .alive()
                .filter(pk=data["customer"])
                .first()
            )
            if customer is None:
                form.add_error(None, _("Customer not found."))
        if form.is_valid():
            try:
                task = services.create_task(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    kind=data["kind"],
                    priority=data["priority"],
                    due_at=data["due_at"],
                    remind_at=data["remind_at"],
                    assignee=data.get("assignee"),
                    department=data.get("department"),
                    customer=customer,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
    if request.htmx:  # type: ignore[attr-defined]
        if task is not None:
            form = _task_form(
                request,
                customer=request.POST.get("customer", ""),
                department=request.POST.get("department", ""),
            )
        return render(
            request,
            "desk/partials/quick_add.html",
            {
                "form": form,
                "created": task,
                "now": timezone.now(),
                "can_assign": can(request.user, ObjectType.TASK, "assign"),
            },
        )
    if task is None:
        _flash_errors(request, form)
    else:
        messages.success(request, _("Task added."))
    return _back(request)


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for(request.user, pk)
    comments = task.comments.select_related("author")
    return render(
        request,
        "desk/task_detail.html",
        {
            "task": task,
            "now": timezone.now(),
            "comments": comments,
            "comment_form": CommentForm(),
            "history": task_history(task),
            "can_assign": can(request.user, ObjectType.TASK, "assign"),
            "assign_form": AssignForm(
                initial={"assignee": task.assignee_id, "department": task.department_id}
            ),
        },
    )


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = services.complete_task(get_task_for(request.user, pk, "change"), actor=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return _row(request, task)
    messages.success(request, _("Task completed."))
    return _back(request, task)


@login_required
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    task = services.reopen_task(get_task_for(request.user, pk, "change"), actor=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return _row(request, task)
    messages.success(request, _("Task reopened."))
    return _back(request, task)


@login_required
@require_http_methods(["GET", "POST"])
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for(request.user, pk, "assign")
    if request.method == "GET":
        form = AssignForm(initial={"assignee": task.assignee_id, "department": task.department_id})
        return render(request, "desk/partials/assign_form.html", {"task": task, "form": form})
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            task = services.assign_task(
                task,
                actor=request.user,
                assignee=form.cleaned_data["assignee"],
                department=form.cleaned_data["department"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if not form.is_valid():
        if request.htmx:  # type: ignore[attr-defined]
            # htmx 2 swaps only 2xx answers; the form with its errors must replace the old one.
            return render(request, "desk/partials/assign_form.html", {"task": task, "form": form})
        _flash_errors(request, form)
        return _back(request, task)
    if request.htmx:  # type: ignore[attr-defined]
        return _row(request, task)
    messages.success(request, _("Task reassigned."))
    return _back(request, task)


@login_required
@require_http_methods(["GET", "POST"])
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for(request.user, pk, "change")
    form = CommentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.comment_on_task(task, actor=request.user, body=form.cleaned_data["body"])
                form = CommentForm()
            except ValidationError as exc:
                apply_service_errors(form, exc)
        if not request.htmx:  # type: ignore[attr-defined]
            _flash_errors(request, form)
            return redirect(reverse("desk:task_detail", args=[task.pk]))
    return render(
        request,
        "desk/partials/comments.html",
        {"task": task, "comments": task.comments.select_related("author"), "comment_form": form},
    )
