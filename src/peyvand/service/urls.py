from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.service import views

app_name = "service"

urlpatterns: list[URLPattern] = [
    path("kb/", views.article_list, name="kb_list"),
    path("kb/new/", views.article_edit, name="kb_new"),
    path("kb/<int:pk>/", views.article_detail, name="kb_detail"),
    path("kb/<int:pk>/edit/", views.article_edit, name="kb_edit"),
    path("kb/<int:pk>/transition/", views.article_transition, name="kb_transition"),
]
