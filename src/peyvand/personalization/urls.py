from __future__ import annotations

from django.urls import path

from peyvand.personalization import views

app_name = "personalization"

urlpatterns = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/new/", views.offer_create, name="offer_create"),
    path("offers/<int:pk>/", views.offer_edit, name="offer_edit"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/<int:pk>/activate/", views.policy_activate, name="policy_activate"),
    path("customers/<int:customer_id>/offer/", views.customer_offer, name="customer_offer"),
    path(
        "decisions/<int:pk>/outcome/",
        views.decision_outcome_view,
        name="decision_outcome",
    ),
]
