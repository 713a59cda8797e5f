from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.service import views
from peyvand.service.tickets import views as ticket_views

app_name = "service"

urlpatterns: list[URLPattern] = [
    path("kb/", views.article_list, name="kb_list"),
    path("kb/new/", views.article_edit, name="kb_new"),
    path("kb/<int:pk>/", views.article_detail, name="kb_detail"),
    path("kb/<int:pk>/edit/", views.article_edit, name="kb_edit"),
    path("kb/<int:pk>/transition/", views.article_transition, name="kb_transition"),
    path("tickets/", ticket_views.ticket_queue, name="ticket_queue"),
    path("tickets/<int:pk>/", ticket_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/status/", ticket_views.ticket_status, name="ticket_status"),
    path("tickets/<int:pk>/reply/", ticket_views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", ticket_views.ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/watch/", ticket_views.ticket_watch, name="ticket_watch"),
    path("tickets/<int:pk>/merge/", ticket_views.ticket_merge, name="ticket_merge"),
    path("tickets/<int:pk>/split/", ticket_views.ticket_split, name="ticket_split"),
    path("tickets/<int:pk>/macro/", ticket_views.ticket_apply_macro, name="ticket_macro"),
    path("survey/<str:token>/", ticket_views.csat_survey, name="csat"),
    path("macros/", ticket_views.macro_list, name="macro_list"),
    path("macros/<int:pk>/", ticket_views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", ticket_views.macro_delete, name="macro_delete"),
    path("customers/<int:customer_id>/tickets/new/", ticket_views.ticket_new, name="ticket_new"),
]
