from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.service import views
from peyvand.service.orders import mobile
from peyvand.service.orders import views as order_views
from peyvand.service.reports import views as report_views
from peyvand.service.tickets import views as ticket_views

app_name = "service"

urlpatterns: list[URLPattern] = [
    path("kb/", views.article_list, name="kb_list"),
    path("kb/new/", views.article_edit, name="kb_new"),
    path("kb/<int:pk>/", views.article_detail, name="kb_detail"),
    path("kb/<int:pk>/edit/", views.article_edit, name="kb_edit"),
    path("kb/<int:pk>/transition/", views.article_transition, name="kb_transition"),
    path("kb/<int:pk>/attachments/", views.attachment_upload, name="kb_attachment_upload"),
    path(
        "kb/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="kb_attachment",
    ),
    path(
        "kb/<int:pk>/attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="kb_attachment_delete",
    ),
    path("tickets/", ticket_views.ticket_queue, name="ticket_queue"),
    path("tickets/breaches/", report_views.breach_report, name="breach_report"),
    path("tickets/breaches.csv", report_views.breach_export, name="breach_export"),
    path("analytics/", report_views.service_analytics, name="analytics"),
    path("tickets/<int:pk>/", ticket_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/status/", ticket_views.ticket_status, name="ticket_status"),
    path("tickets/<int:pk>/reply/", ticket_views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", ticket_views.ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/change/", ticket_views.ticket_change, name="ticket_change"),
    path("tickets/<int:pk>/watch/", ticket_views.ticket_watch, name="ticket_watch"),
    path("tickets/<int:pk>/merge/", ticket_views.ticket_merge, name="ticket_merge"),
    path("tickets/<int:pk>/split/", ticket_views.ticket_split, name="ticket_split"),
    path("tickets/<int:pk>/macro/", ticket_views.ticket_apply_macro, name="ticket_macro"),
    path("survey/<str:token>/", ticket_views.csat_survey, name="csat"),
    path("macros/", ticket_views.macro_list, name="macro_list"),
    path("macros/<int:pk>/", ticket_views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", ticket_views.macro_delete, name="macro_delete"),
    path("customers/<int:customer_id>/tickets/new/", ticket_views.ticket_new, name="ticket_new"),
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/mine/", order_views.my_orders, name="my_orders"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/<slug:action>/", order_views.order_action, name="order_action"),
    path("orders/mobile/", mobile.mobile_page, name="order_mobile"),
    path(
        "orders/mobile/manifest.webmanifest", mobile.mobile_manifest, name="order_mobile_manifest"
    ),
    path("orders/mobile/sw.js", mobile.mobile_worker, name="order_mobile_worker"),
    path("orders/mobile/orders.json", mobile.mobile_orders, name="order_mobile_data"),
    path("orders/mobile/sync/", mobile.mobile_sync, name="order_mobile_sync"),
    path(
        "customers/<int:customer_id>/orders/", order_views.customer_orders, name="customer_orders"
    ),
    path("customers/<int:customer_id>/orders/new/", order_views.order_new, name="order_new"),
]
