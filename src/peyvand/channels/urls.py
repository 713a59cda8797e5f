from __future__ import annotations

from django.urls import include, path

from peyvand.channels import views
from peyvand.channels.email import views as email_views
from peyvand.channels.webhooks import views as webhook_views

app_name = "interactions"

urlpatterns = [
    path("new/", views.interaction_new, name="new"),
    path("inbox/", include("peyvand.channels.inbox.urls")),
    path("<int:pk>/", views.interaction_detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/toggle/", webhook_views.webhook_toggle, name="webhook_toggle"),
    path(
        "webhooks/deliveries/<int:pk>/replay/", webhook_views.delivery_replay, name="webhook_replay"
    ),
    path("email/identities/", email_views.identity_list, name="email_identities"),
    path("email/identities/new/", email_views.identity_edit, name="email_identity_new"),
    path("email/identities/<int:pk>/", email_views.identity_edit, name="email_identity"),
    path("email/templates/", email_views.template_list, name="email_templates"),
    path("email/templates/new/", email_views.template_edit, name="email_template_new"),
    path("email/templates/<int:pk>/", email_views.template_edit, name="email_template"),
]
