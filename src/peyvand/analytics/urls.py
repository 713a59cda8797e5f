from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.analytics import overview_views, views
from peyvand.analytics.churn import views as churn_views
from peyvand.analytics.costs import views as cost_views
from peyvand.analytics.recommend import views as recommend_views

app_name = "analytics"

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.refresh, name="refresh"),
    path("overview/", overview_views.overview, name="overview"),
    path("costs/", cost_views.cost_report, name="costs"),
    path("costs/rates/", cost_views.set_rate, name="cost_rate"),
    path("costs/recompute/", cost_views.recompute, name="costs_recompute"),
    path("churn/", churn_views.at_risk, name="churn"),
    path("churn/retrain/", churn_views.retrain, name="churn_retrain"),
    path("recommendations/", recommend_views.evaluation, name="recommendations"),
    path("recommendations/retrain/", recommend_views.retrain, name="recommendations_retrain"),
    path(
        "customers/<int:pk>/insights/",
        recommend_views.customer_insights,
        name="customer_insights",
    ),
]
