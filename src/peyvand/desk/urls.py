from __future__ import annotations

from django.urls import path

from peyvand.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.my_desk, name="my_desk"),
]
