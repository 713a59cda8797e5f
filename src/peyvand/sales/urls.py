from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales.views import forecast, orders, pipeline

app_name = "sales"

urlpatterns: list[URLPattern] = [
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_create, name="order_create"),
    path("orders/new/line/", orders.order_line, name="order_line"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/payments/", orders.order_pay, name="order_pay"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("leads/", pipeline.lead_list, name="lead_list"),
    path("leads/new/", pipeline.lead_create, name="lead_create"),
    path("leads/<int:pk>/", pipeline.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/status/", pipeline.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", pipeline.lead_convert, name="lead_convert"),
    path("pipeline/", pipeline.board, name="board"),
    path("opportunities/<int:pk>/", pipeline.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/move/", pipeline.opportunity_move, name="opportunity_move"),
    path(
        "opportunities/<int:pk>/won/",
        pipeline.opportunity_close,
        {"outcome": "won"},
        name="opportunity_win",
    ),
    path(
        "opportunities/<int:pk>/lost/",
        pipeline.opportunity_close,
        {"outcome": "lost"},
        name="opportunity_lose",
    ),
    path("dashboard/", forecast.dashboard, name="dashboard"),
    path("dashboard/refresh/", forecast.dashboard_refresh, name="dashboard_refresh"),
    path("targets/", forecast.targets, name="targets"),
    path("targets/<int:pk>/delete/", forecast.target_delete, name="target_delete"),
]
