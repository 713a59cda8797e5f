from __future__ import annotations

from django.urls import path

from peyvand.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/", views.upload, name="new"),
    path("new/<slug:kind>/", views.upload, name="new_kind"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/errors.csv", views.error_report, name="errors"),
    path("<int:pk>/import/", views.run_for_real, name="run"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("export/customers.csv", views.export_csv, name="export_csv"),
    path("export/customers.xlsx", views.export_xlsx, name="export_xlsx"),
]
