from __future__ import annotations

from django.urls import include, path

from peyvand.marketing.consent import views

app_name = "consent"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    # A provider's delivery events: /marketing/email-events/<provider>/tracking/.
    path("email-events/", include("anymail.urls")),
    path("suppressions/", views.suppression_list, name="suppression_list"),
    path("suppressions/add/", views.suppression_add, name="suppression_add"),
    path("suppressions/import/", views.suppression_import, name="suppression_import"),
    path("suppressions/<int:pk>/remove/", views.suppression_remove, name="suppression_remove"),
]
