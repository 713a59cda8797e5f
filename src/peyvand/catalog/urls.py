from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.catalog import views

app_name = "catalog"

urlpatterns: list[URLPattern] = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("price-lists/", views.price_list_list, name="price_list_list"),
    path("price-lists/<int:pk>/", views.price_list_detail, name="price_list_detail"),
    path("currencies/", views.currency_list, name="currency_list"),
    path("exchange-rates/", views.rate_list, name="rate_list"),
    path("exchange-rates/import/", views.rate_import, name="rate_import"),
]
