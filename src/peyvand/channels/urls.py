from __future__ import annotations

from django.urls import include, path

from peyvand.channels import views
from peyvand.channels.email import views as email_views
from peyvand.channels.email.inbound import urls as inbound_email_urls
from peyvand.channels.sms import views as sms_views
from peyvand.channels.voice import views as voice_views
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
    path("sms/gateways/", sms_views.gateways, name="sms_gateways"),
    path("sms/gateways/<int:pk>/", sms_views.gateways, name="sms_gateway"),
    path("sms/new/<int:customer_pk>/", sms_views.compose, name="sms_compose"),
    path("sms/hooks/<str:key>/status/", sms_views.hook_status, name="sms_hook_status"),
    path("sms/hooks/<str:key>/inbound/", sms_views.hook_inbound, name="sms_hook_inbound"),
    path("voice/log/<int:customer_pk>/", voice_views.call_log, name="call_log"),
    path("voice/call/", voice_views.call_via_pbx, name="call_via_pbx"),
    path("voice/hooks/", voice_views.telephony_hook, name="telephony_hook"),
    path("mailboxes/", include(inbound_email_urls.urlpatterns)),
]
