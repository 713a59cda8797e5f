from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales.views import activities, opportunities, orders, pipeline, pipeline_admin

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
    path("opportunities/", opportunities.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", opportunities.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_edit, name="opportunity_edit"),
    path("pipelines/", pipeline_admin.pipeline_admin_list, name="pipeline_admin_list"),
    path("pipelines/new/", pipeline_admin.pipeline_admin_edit, name="pipeline_admin_create"),
    path("pipelines/<int:pk>/", pipeline_admin.pipeline_admin_edit, name="pipeline_admin_edit"),
    path("lists/", pipeline_admin.sales_lists, name="sales_lists"),
    path("lists/<str:kind>/", pipeline_admin.sales_list_save, name="sales_list_add"),
    path("lists/<str:kind>/<int:pk>/", pipeline_admin.sales_list_save, name="sales_list_save"),
    path(
        "<str:about>/<int:pk>/activities/",
        activities.activity_panel,
        name="activity_panel",
    ),
    path(
        "<str:about>/<int:pk>/activities/plan/",
        activities.activity_form,
        {"mode": "plan"},
        name="activity_plan",
    ),
    path(
        "<str:about>/<int:pk>/activities/log/",
        activities.activity_form,
        {"mode": "log"},
        name="activity_log",
    ),
    path(
        "activities/<int:pk>/complete/",
        activities.activity_complete,
        name="activity_complete",
    ),
    path("calendar/", activities.calendar_settings, name="calendar"),
    path("calendar/meetings.ics", activities.calendar_download, name="calendar_download"),
    path("calendar/feed/<str:token>.ics", activities.calendar_feed, name="calendar_feed"),
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
]
