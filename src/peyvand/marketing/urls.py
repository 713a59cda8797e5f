from __future__ import annotations

from django.urls import include, path

from peyvand.marketing import views
from peyvand.marketing.attribution import views as attribution

app_name = "marketing"

urlpatterns = [
    path("attribution/", attribution.report, name="attribution"),
    path("attribution/costs/", attribution.add_cost, name="attribution_cost"),
    path("attribution/backfill/", attribution.backfill, name="attribution_backfill"),
    path("", include("peyvand.marketing.consent.urls")),
    path("segments/", views.segment_list_view, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/builder/", views.builder, name="builder"),
    path("segments/preview/", views.preview, name="preview"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/rebuild/", views.segment_rebuild, name="segment_rebuild"),
    path("segments/<int:pk>/members/add/", views.static_add, name="static_add"),
    path(
        "segments/<int:pk>/members/<int:customer_id>/remove/",
        views.static_remove,
        name="static_remove",
    ),
]
