from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from peyvand.audit.models import ChangeLog


@admin.register(ChangeLog)
class ChangeLogAdmin(admin.ModelAdmin):
    """Read-only: the change log is written by services alone, and any edit would break
    the hash chain."""

    list_display = ("seq", "at", "actor_name", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")
    search_fields = ("object_id", "object_repr", "actor_name", "request_id")
    date_hierarchy = "at"
    list_select_related = ("content_type",)
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in ChangeLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
