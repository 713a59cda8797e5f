from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import pipeline_views, views

app_name = "sales"

urlpatterns: list[URLPattern] = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/new/line/", views.order_line, name="order_line"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/payments/", views.order_pay, name="order_pay"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("leads/", pipeline_views.lead_list, name="lead_list"),
    path("leads/new/", pipeline_views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", pipeline_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/status/", pipeline_views.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", pipeline_views.lead_convert, name="lead_convert"),
    path("pipeline/", pipeline_views.board, name="board"),
    path("opportunities/<int:pk>/", pipeline_views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/move/", pipeline_views.opportunity_move, name="opportunity_move"),
    path(
        "opportunities/<int:pk>/won/",
        pipeline_views.opportunity_close,
        {"outcome": "won"},
        name="opportunity_win",
    ),
    path(
        "opportunities/<int:pk>/lost/",
        pipeline_views.opportunity_close,
        {"outcome": "lost"},
        name="opportunity_lose",
    ),
]
