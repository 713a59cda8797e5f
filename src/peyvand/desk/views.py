"""Views of the desk app: each person's and each department's work queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peyvand.desk.models import Task


@login_required
def my_desk(request: HttpRequest) -> HttpResponse:
    tasks = (
        Task.objects.visible_to(request.user)
        .on_desk_of(request.user)
        .open()
        .select_related("customer", "assignee")
        .order_by("due_at", "-priority")[:100]
    )
    return render(request, "desk/my_desk.html", {"tasks": tasks})
