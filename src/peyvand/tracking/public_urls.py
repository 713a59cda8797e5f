"""The links in sent messages: short, public, under /t/."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.tracking import views

app_name = "track"

urlpatterns: list[URLPattern] = [
    path("c/<str:token>", views.message_click, name="click"),
    path("o/<str:token>.gif", views.message_open, name="open"),
]
