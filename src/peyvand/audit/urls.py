from __future__ import annotations

from django.urls import path

from peyvand.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.change_log, name="log"),
    path("<int:seq>/", views.change_detail, name="detail"),
    path("recycle-bin/", views.recycle_bin, name="recycle_bin"),
    path("recycle-bin/<str:label>/<int:pk>/restore/", views.restore_item, name="restore"),
    path("customers/<int:customer_id>/history/", views.customer_history, name="customer_history"),
    path("customers/<int:customer_id>/forget/", views.forget_customer, name="forget_customer"),
]
