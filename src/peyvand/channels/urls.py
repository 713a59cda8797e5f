from __future__ import annotations

from django.urls import include, path

from peyvand.channels import views
from peyvand.channels.email.inbound import urls as inbound_email_urls
from peyvand.channels.webhooks import views as webhook_views

app_name = "interactions"

urlpatterns = [
    path("new/", views.interaction_new, name="new"),
    path("<int:pk>/", views.interaction_detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/toggle/", webhook_views.webhook_toggle, name="webhook_toggle"),
    path(
        "webhooks/deliveries/<int:pk>/replay/", webhook_views.delivery_replay, name="webhook_replay"
    ),
    path("mailboxes/", include(inbound_email_urls.urlpatterns)),
]
