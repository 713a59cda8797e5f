"""The product's URLs plus one reference endpoint that exists only in benchmark runs."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path

from peyvand.config.urls import urlpatterns as product_urlpatterns
from peyvand.customers.models import Customer


def bare_customer(request: HttpRequest, pk: int) -> JsonResponse:
    """The least Django can do for one customer: fetch it by primary key, return JSON."""
    row = (
        Customer.objects.filter(pk=pk)
        .values("id", "display_name", "kind", "preferred_language", "currency", "owner_id")
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse(row)


urlpatterns = [
    path("bench/customers/<int:pk>", bare_customer, name="bench_bare_customer"),
    *product_urlpatterns,
]
