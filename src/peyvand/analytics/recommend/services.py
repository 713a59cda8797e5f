"""The recommender trained from the CRM's orders, and what it may show to whom.

Purchases are order lines with a product on orders that were not cancelled or deleted.
Every list is filtered at read time, not at training time: products the customer already
owns (including orders placed since the last training), inactive, deleted or out-of-stock
products and products the asking user may not see never appear. The stored model is joblib
bytes of arrays we computed ourselves, loaded from the database only, so unpickling it is
safe.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from django.db import transaction
from django.db.models import Max, Q

from peyvand.analytics.models import RecommenderVersion
from peyvand.analytics.recommend import engine
from peyvand.catalog.models import Product
from peyvand.customers.models import Customer
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import OrderLine

# Fewer purchases than this and any "model" is popularity with extra steps.
MIN_PURCHASES = 20

# Keyed by version and training time: a restored or rolled-back database may reuse a
# version number for other bytes.
_LOADED: dict[tuple[int, Any], dict[str, Any]] = {}


def _purchases() -> Any:
    return OrderLine.objects.filter(product__isnull=False, order__deleted_at__isnull=True).exclude(
        order__status=OrderStatus.CANCELLED
    )


def owned_product_ids(customer: Customer) -> set[int]:
    return set(_purchases().filter(order__customer=customer).values_list("product_id", flat=True))


def current_model() -> RecommenderVersion | None:
    return RecommenderVersion.objects.filter(model__isnull=False).order_by("-version").first()


def load(version: RecommenderVersion) -> dict[str, Any]:
    key = (version.version, version.trained_at)
    loaded = _LOADED.get(key)
    if loaded is None:
        # Safe to unpickle: these bytes were written by train_recommender, nobody else.
        loaded = joblib.load(io.BytesIO(bytes(version.model or b"")))
        _LOADED.clear()
        _LOADED[key] = loaded
    return loaded


def train_recommender(*, seed: int = 0) -> RecommenderVersion | None:
    """Build the customer × product matrix from order lines, run the offline evaluation of
    every candidate, store the chosen one (refit on all purchases) as the next version.
    None with too few purchases to learn from."""
    pairs = list(_purchases().order_by().values_list("order__customer_id", "product_id").distinct())
    if len(pairs) < MIN_PURCHASES:
        return None
    started = time.perf_counter()
    customer_ids = np.array(sorted({c for c, _ in pairs}))
    product_ids = np.array(sorted({p for _, p in pairs}))
    rows = np.searchsorted(customer_ids, [c for c, _ in pairs])
    cols = np.searchsorted(product_ids, [p for _, p in pairs])
    matrix = sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32), (rows, cols)),
        shape=(len(customer_ids), len(product_ids)),
    )
    choice = engine.choose(matrix, seed=seed)
    buffer = io.BytesIO()
    joblib.dump(
        {"fitted": choice.model, "customers": customer_ids, "products": product_ids}, buffer
    )
    with transaction.atomic():
        version = (
            RecommenderVersion.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        ) + 1
        return RecommenderVersion.objects.create(
            version=version,
            model=buffer.getvalue(),
            chosen=choice.chosen.label(),
            evaluation=choice.evaluation,
            n_customers=len(customer_ids),
            n_products=len(product_ids),
            n_purchases=len(pairs),
            seconds=time.perf_counter() - started,
        )


def showable_products(user: Any) -> Any:
    """Products the user may see that can be sold now: active, not deleted, in stock or
    with stock not tracked."""
    return (
        Product.objects.visible_to(user).sellable().filter(Q(stock__isnull=True) | Q(stock__gt=0))
    )


@dataclass(frozen=True)
class Recommendation:
    product: Product
    score: float


def _pick(
    user: Any, scores: np.ndarray, products: np.ndarray, exclude: set[int], n: int
) -> list[Recommendation]:
    ranked = [
        (int(i), int(products[i]))
        for i in np.argsort(-scores)
        if np.isfinite(scores[i]) and int(products[i]) not in exclude
    ]
    # Filtered against the database, not the trained catalogue: stock and visibility now.
    wanted = [pk for _index, pk in ranked[: n * 5 + 50]]
    allowed = {p.pk: p for p in showable_products(user).filter(pk__in=wanted)}
    result = []
    for index, pk in ranked:
        if pk in allowed:
            result.append(Recommendation(allowed[pk], float(scores[index])))
            if len(result) == n:
                break
    return result


def recommendations_for(customer: Customer, *, user: Any, n: int = 10) -> list[Recommendation]:
    """Personalised top-n for a customer (whom the caller already may see)."""
    version = current_model()
    if version is None:
        return []
    parts = load(version)
    fitted: engine.Fitted = parts["fitted"]
    products: np.ndarray = parts["products"]
    owned = owned_product_ids(customer)
    row = np.zeros(len(products), dtype=np.float32)
    known = np.searchsorted(products, sorted(owned))
    inside = [i for i in known if i < len(products) and products[i] in owned]
    row[inside] = 1.0
    user_items = sp.csr_matrix(row)
    position = int(np.searchsorted(parts["customers"], customer.pk))
    trained = position < len(parts["customers"]) and parts["customers"][position] == customer.pk
    if trained or (fitted.user_factors is None and not fitted.parts):
        scores = fitted.scores(np.array([position if trained else 0]), user_items)[0]
    elif fitted.parts:
        # A customer the factor half never saw: the neighbourhood half alone.
        knn = next(part for part in fitted.parts if part.similarity is not None)
        scores = knn.scores(np.array([0]), user_items)[0]
    else:
        # A customer the factor model never saw: what everyone buys, until the next run.
        scores = fitted.popularity.astype(float)
    return _pick(user, np.asarray(scores, dtype=float), products, owned, n)


def also_bought(product: Product, *, user: Any, n: int = 5) -> list[Recommendation]:
    """Products most often bought by the customers who bought `product`."""
    version = current_model()
    if version is None:
        return []
    parts = load(version)
    products: np.ndarray = parts["products"]
    index = int(np.searchsorted(products, product.pk))
    if index >= len(products) or products[index] != product.pk:
        return []
    similar = parts["fitted"].similar_items(index, n=n * 5 + 20)
    scores = np.full(len(products), -np.inf)
    for item, value in similar:
        scores[item] = value
    return _pick(user, scores, products, {product.pk}, n)
