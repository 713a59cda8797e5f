"""The product's URLs plus one reference endpoint that exists only in benchmark runs."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path

from peyvand.config.urls import urlpatterns as product_urlpatterns
from peyvand.customers.models import Customer
from peyvand.sales.models import Opportunity


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


def bare_opportunities(request: HttpRequest) -> JsonResponse:
    """The reference of the sales pages: 50 opportunities by primary key, as JSON."""
    rows = list(
        Opportunity.objects.order_by("pk").values(
            "id", "title", "amount", "amount_currency", "stage_id", "owner_id"
        )[:50]
    )
    return JsonResponse({"items": rows})


urlpatterns = [
    path("bench/customers/<int:pk>", bare_customer, name="bench_bare_customer"),
    path("bench/opportunities", bare_opportunities, name="bench_bare_opportunities"),
    *product_urlpatterns,
]
