from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.analytics.churn import views as churn_views
from peyvand.analytics.recommend import views as recommend_views

app_name = "analytics"

urlpatterns: list[URLPattern] = [
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
