from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.analytics.costs import views as cost_views

app_name = "analytics"

urlpatterns: list[URLPattern] = [
    path("costs/", cost_views.cost_report, name="costs"),
    path("costs/rates/", cost_views.set_rate, name="cost_rate"),
    path("costs/recompute/", cost_views.recompute, name="costs_recompute"),
]
