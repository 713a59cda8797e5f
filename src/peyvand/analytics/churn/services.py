"""Training the churn model on the CRM's own customers and writing the risks back.

The trained pipeline is stored as joblib bytes and loaded from the database only: it is
our own artefact, never something a user uploads, which is what makes unpickling it safe.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from sklearn.model_selection import train_test_split

from peyvand.analytics.churn import features, pipeline
from peyvand.analytics.models import ChurnModelVersion, ChurnScore

TARGET = "churned"
# Below this many churned AND retained customers cross-validation would measure noise.
MIN_PER_CLASS = 10
HOLDOUT_SHARE = 0.25
TOP_DRIVERS = 3

# Keyed by version and training time: a restored or rolled-back database may reuse a
# version number for other bytes.
_LOADED: dict[tuple[int, Any], pipeline.ChurnModel] = {}


@dataclass(frozen=True)
class History:
    churned: int
    retained: int

    @property
    def enough(self) -> bool:
        return self.churned >= MIN_PER_CLASS and self.retained >= MIN_PER_CLASS


def _cutoff(now: dt.datetime, horizon_days: int) -> dt.datetime:
    return now - dt.timedelta(days=horizon_days)


def training_labels(now: dt.datetime, horizon_days: int) -> dict[int, bool]:
    """Every customer who had bought before the cut-off: churned unless they ordered after."""
    cutoff = _cutoff(now, horizon_days)
    returned = features.ordered_between(cutoff, now)
    return {pk: pk not in returned for pk in features.customers_with_orders_before(cutoff)}


def history(*, now: dt.datetime | None = None, horizon_days: int | None = None) -> History:
    labels = training_labels(now or timezone.now(), horizon_days or settings.CHURN_HORIZON_DAYS)
    churned = sum(labels.values())
    return History(churned, len(labels) - churned)


def current_model() -> ChurnModelVersion | None:
    return ChurnModelVersion.objects.filter(model__isnull=False).order_by("-version").first()


def load(version: ChurnModelVersion) -> pipeline.ChurnModel:
    key = (version.version, version.trained_at)
    loaded = _LOADED.get(key)
    if loaded is None:
        # Safe to unpickle: these bytes were written by train_churn_model, nobody else.
        loaded = joblib.load(io.BytesIO(bytes(version.model or b"")))
        _LOADED.clear()  # only the current version is ever needed
        _LOADED[key] = loaded
    return loaded


def train_churn_model(
    *, now: dt.datetime | None = None, horizon_days: int | None = None
) -> ChurnModelVersion | None:
    """Fit on customers as they were one horizon ago (label: no order since), report ROC
    AUC and log loss on a stratified holdout, store the next version and rescore every
    customer who has bought. None when there is too little history."""
    now = now or timezone.now()
    horizon = horizon_days or settings.CHURN_HORIZON_DAYS
    labels = training_labels(now, horizon)
    churned = sum(labels.values())
    if min(churned, len(labels) - churned) < MIN_PER_CLASS:
        return None
    started = time.perf_counter()
    ids = sorted(labels)
    raw = features.feature_rows(ids, _cutoff(now, horizon))
    rows = [{**raw[pk], TARGET: "yes" if labels[pk] else "no"} for pk in ids]
    y = np.array([labels[pk] for pk in ids])
    train_rows, holdout_rows = train_test_split(
        rows, test_size=HOLDOUT_SHARE, stratify=y, random_state=0
    )
    model = pipeline.fit(train_rows, TARGET)
    report = pipeline.evaluate(model, holdout_rows, TARGET)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    with transaction.atomic():
        version = (
            ChurnModelVersion.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        ) + 1
        stored = ChurnModelVersion.objects.create(
            version=version,
            model=buffer.getvalue(),
            chosen=model.chosen,
            horizon_days=horizon,
            n_train=len(train_rows),
            n_holdout=len(holdout_rows),
            n_churned=churned,
            auc=report["roc_auc"],
            log_loss=report["log_loss"],
            report={
                "cross_validated_auc": model.cv_auc,
                "top_drivers": report["top_drivers"],
                "numeric": model.columns.numeric,
                "categorical": model.columns.categorical,
                "dropped": model.columns.dropped,
            },
            seconds=time.perf_counter() - started,
        )
    stored.n_scored = score_customers(stored, now=now)
    stored.save(update_fields=["n_scored"])
    return stored


def drivers_of(
    model: pipeline.ChurnModel, rows: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    return [
        [{"feature": name, "contribution": round(push, 4)} for name, push in found]
        for found in model.drivers(rows, top=TOP_DRIVERS)
    ]


def score_customers(
    version: ChurnModelVersion, *, now: dt.datetime | None = None, batch: int = 2000
) -> int:
    """Write today's risk and top drivers for every customer who has bought (a score
    write-back: one upsert per batch, no change-log row per customer)."""
    now = now or timezone.now()
    model = load(version)
    ids = sorted(features.customers_with_orders_before(now))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        raw = features.feature_rows(chunk, now)
        rows = [raw[pk] for pk in chunk]
        risks = model.probabilities(rows)
        ChurnScore.objects.bulk_create(
            [
                ChurnScore(
                    customer_id=pk,
                    model_version=version.version,
                    probability=float(risk),
                    drivers=found,
                    scored_at=now,
                )
                for pk, risk, found in zip(chunk, risks, drivers_of(model, rows), strict=True)
            ],
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["model_version", "probability", "drivers", "scored_at"],
        )
    # Scores this run did not rewrite belong to customers with no order left (deleted ones).
    ChurnScore.objects.exclude(model_version=version.version).delete()
    return len(ids)
