"""REST endpoints of the catalog app, mounted by peyvand.config.api at /products."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.scopes import get_for
from peyvand.catalog.models import Product
from peyvand.catalog.services import create_product
from peyvand.core.api.access import require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import InputSchema, MoneyIn, MoneyOut, money_out

router = Router(tags=["products"])

ORDERING = Ordering("name")


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    name_fa: str
    description: str
    category: str
    unit_price: MoneyOut
    stock: int | None = Field(description="Units in stock; null when stock is not tracked.")
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_unit_price(obj: Product) -> dict[str, str] | None:
        return money_out(obj.unit_price)


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductIn(InputSchema):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    name_fa: str = Field("", max_length=200)
    description: str = Field("", max_length=20_000)
    category: str = Field("", max_length=100)
    unit_price: MoneyIn
    stock: int | None = Field(None, ge=0)
    is_active: bool = True


class ProductFilters(PageParams):
    q: str | None = Field(None, description="Part of the SKU or of either name.")
    category: str | None = None
    active: bool | None = Field(None, description="Only active (true) or inactive (false).")


def _products(request: HttpRequest) -> Any:
    return Product.objects.visible_to(api_user(request)).alive()


@router.get("", response=ProductPage, summary="List products")
@require_scope(ApiScope.PRODUCTS_READ)
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> Any:
    """Products by name, cursor-paginated."""
    qs = _products(request)
    if filters.q:
        qs = qs.filter(
            Q(sku__icontains=filters.q)
            | Q(name__icontains=filters.q)
            | Q(name_fa__icontains=filters.q)
        )
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return paginate(qs, filters, ORDERING)


# There is no products:write scope: editing the catalog by token takes a full-access token.
@router.post("", response={201: ProductOut}, summary="Create a product")
@require_scope(ApiScope.ALL)
def create_product_endpoint(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    user = api_user(request)
    require_action(user, ObjectType.PRODUCT, Action.ADD)
    data = payload.model_dump(exclude={"unit_price"})
    product = create_product(
        actor=user,
        unit_price=payload.unit_price.amount,
        currency=payload.unit_price.currency,
        **data,
    )
    return Status(201, product)


@router.get("/{product_id}", response=ProductOut, summary="Read a product")
@require_scope(ApiScope.PRODUCTS_READ)
def read_product(request: HttpRequest, product_id: int) -> Product:
    return get_for(api_user(request), _products(request), product_id)
