"""Included by peyvand.channels.urls under mailboxes/, in its `interactions` namespace."""

from __future__ import annotations

from django.urls import path

from peyvand.channels.email.inbound import views

urlpatterns = [
    path("", views.mailbox_list, name="mailboxes"),
    path("new/", views.mailbox_edit, name="mailbox_new"),
    path("<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("<int:pk>/sync/", views.mailbox_sync, name="mailbox_sync"),
    path("unparsed/", views.unparsed_list, name="mailbox_unparsed"),
    path("unparsed/<int:pk>/", views.unparsed_download, name="mailbox_unparsed_download"),
    path("unparsed/<int:pk>/retry/", views.unparsed_retry, name="mailbox_unparsed_retry"),
]
