from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.tracking import views

app_name = "tracking"

urlpatterns: list[URLPattern] = [
    path("", views.site_list, name="site_list"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/test-page/", views.site_test_page, name="site_test_page"),
    path("engagement/", views.engagement_report, name="engagement"),
    path("customers/<int:pk>/activity/", views.customer_activity, name="customer_activity"),
]
