from __future__ import annotations

from django.urls import path

from peyvand.channels import views

app_name = "interactions"

urlpatterns = [
    path("new/", views.interaction_new, name="new"),
    path("<int:pk>/", views.interaction_detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
