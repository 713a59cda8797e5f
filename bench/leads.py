"""Benchmark: lead assignment and scoring of generated leads, and training the learned score.

    python bench/leads.py [--leads 100000] [--database-url URL]

The database must be a scratch one: every run empties the lead tables. Without
--database-url (or BENCH_DATABASE_URL) a fresh SQLite file in a temporary directory is
used. Three figures, each beside a reference measured in the same run:

- capture-side assignment + scoring in bulk: every lead goes through the assignment rules
  (round robin cursor locked per lead, least-loaded counts) and both scores, then
  bulk_create; reference: plain bulk_create of the same leads;
- learned scoring alone: the stored model scoring every lead through the product's code
  (features, vectoriser, predict_proba); reference: raw numpy (matrix @ coef, sigmoid) on
  the already-built matrix;
- training on the same number of closed leads (read, features, fit, holdout AUC, store,
  rescore); reference: scikit-learn's fit alone on the already-built matrix.

Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CITIES = ["تهران", "اصفهان", "شیراز", "Tabriz", "Mashhad", "Karaj", ""]
SOURCES = [("web", "Website"), ("fair", "Trade fair"), ("partner", "Partner"), ("ads", "Ads")]
MEDIUMS = ["cpc", "email", "social", ""]


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _wipe() -> None:
    from peyvand.sales.models import AssignmentRule, Lead, LeadScoringModel, ScoringRule

    for model in (Lead, AssignmentRule, ScoringRule, LeadScoringModel):
        model.objects.all().delete()


def _team() -> tuple[Any, Any]:
    """The sales department with ten reps, a Tehran rule, an English least-loaded rule."""
    from peyvand.access.defaults import ensure_departments_and_roles
    from peyvand.access.models import Department, Role, User
    from peyvand.sales.models import AssignmentRule, LeadSource, ScoringRule

    ensure_departments_and_roles()
    sales = Department.objects.get(code="sales")
    rep_role = Role.objects.get(code="sales_rep")
    reps = []
    for i in range(10):
        user, created = User.objects.get_or_create(username=f"bench-rep-{i}")
        if created:
            user.departments.add(sales)
            user.roles.add(rep_role)
        reps.append(user)
    for code, name in SOURCES:
        LeadSource.objects.get_or_create(code=code, defaults={"name": name})
    AssignmentRule.objects.create(
        name="Tehran", position=1, match_city="تهران", action="user", user=reps[0]
    )
    AssignmentRule.objects.create(
        name="English", position=2, match_language="en", action="least_loaded", department=sales
    )
    for name, field, condition, value, points in [
        ("Company", "company", "is_set", "", 15),
        ("Phone", "phone", "is_set", "", 5),
        ("Web", "source", "equals", "web", 10),
        ("Paid", "utm_medium", "equals", "cpc", 8),
        ("Gmail", "email", "contains", "gmail", -3),
    ]:
        ScoringRule.objects.create(
            name=name, field=field, condition=condition, value=value, points=points
        )
    return sales, reps


def _leads(n: int, *, seed: int, closed: bool) -> list[Any]:
    """Unsaved leads; closed ones carry a known signal (company, fast answer, source)."""
    from django.utils import timezone

    from peyvand.sales.models import Lead, LeadSource

    rng = random.Random(seed)
    sources = list(LeadSource.objects.filter(code__in=[c for c, _n in SOURCES]))
    now = timezone.now()
    rows = []
    for i in range(n):
        company = rng.random() < 0.5
        fast = rng.random() < 0.5
        source = rng.choice(sources)
        created = now - dt.timedelta(days=1 + rng.random() * 300)
        lead = Lead(
            name=f"Lead {seed}-{i}",
            company=f"Co {i}" if company else "",
            email=f"l{seed}-{i}@{'gmail.com' if rng.random() < 0.3 else 'example.com'}",
            phone=f"+98912{i:07d}" if rng.random() < 0.6 else "",
            city=rng.choice(CITIES),
            language="en" if rng.random() < 0.3 else "fa",
            source=source,
            utm_medium=rng.choice(MEDIUMS),
            utm_source="google" if rng.random() < 0.4 else "",
            created_at=created,
        )
        if closed:
            odds = 0.15 + 0.35 * company + 0.3 * fast - 0.1 * (source.code == "fair")
            lead.status = "converted" if rng.random() < odds else "disqualified"
            lead.first_response_at = created + dt.timedelta(hours=1 if fast else 96)
        rows.append(lead)
    return rows


def _assign_and_score(leads: list[Any], sales: Any) -> float:
    """The capture-side work for every lead, through the product's own functions."""
    from django.db import transaction

    from peyvand.sales.assignment import Assigner
    from peyvand.sales.models import Lead
    from peyvand.sales.scoring import (
        active_scoring_rules,
        current_model,
        feature_row,
        probabilities,
        rule_score,
    )
    from peyvand.sales.sla import response_deadline

    started = time.perf_counter()
    scoring_rules, model = active_scoring_rules(), current_model()
    batch = 5000
    for start in range(0, len(leads), batch):
        chunk = leads[start : start + batch]
        with transaction.atomic(), Assigner() as assigner:
            for lead in chunk:
                assignment = assigner.choose(lead, department=sales)
                lead.owner, lead.department = assignment.owner, assignment.department
                lead.score = rule_score(lead, scoring_rules)
                lead.respond_by = response_deadline(lead.source, lead.created_at)
            if model is not None:
                scores = probabilities(model, [feature_row(lead) for lead in chunk])
                for lead, score in zip(chunk, scores, strict=True):
                    lead.learned_score = float(score)
            Lead.objects.bulk_create(chunk, batch_size=1000)
    return time.perf_counter() - started


def _bulk_create(leads: list[Any]) -> float:
    from django.db import transaction

    from peyvand.sales.models import Lead

    started = time.perf_counter()
    for start in range(0, len(leads), 5000):
        with transaction.atomic():
            Lead.objects.bulk_create(leads[start : start + 5000], batch_size=1000)
    return time.perf_counter() - started


def _row(workload: str, size: str, figure: str, reference: str, ratio: float) -> str:
    return f"{workload} | {size} | {figure} | {reference} | {ratio:.2f}×"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pv-bench-leads-") as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
        _setup_django(database_url, scratch)
        import numpy as np
        from django.db import connection
        from sklearn.linear_model import LogisticRegression

        from peyvand.sales.models import Lead
        from peyvand.sales.scoring import (
            FEATURE_COLUMNS,
            feature_row,
            features,
            load_estimators,
            probabilities,
            train_lead_model,
        )

        n = args.leads
        size = f"{n:,} leads ({connection.vendor})"
        _wipe()
        sales, _reps = _team()
        rows: list[str] = []

        # 1. Training on n closed leads, against scikit-learn's fit alone.
        Lead.objects.bulk_create(_leads(n, seed=1, closed=True), batch_size=2000)
        started = time.perf_counter()
        model = train_lead_model(force=True)
        train_seconds = time.perf_counter() - started
        assert model is not None
        vectorizer, _classifier = load_estimators(model)
        history_rows = list(Lead.objects.values(*FEATURE_COLUMNS, "status"))
        matrix = vectorizer.transform([features(r) for r in history_rows])
        labels = np.array([r["status"] == "converted" for r in history_rows])
        started = time.perf_counter()
        LogisticRegression(max_iter=1000).fit(matrix, labels)
        fit_seconds = time.perf_counter() - started
        rows.append(
            _row(
                f"lead model training (AUC {model.auc:.3f})",
                size,
                f"{train_seconds:.2f} s",
                f"sklearn fit alone {fit_seconds:.2f} s",
                train_seconds / fit_seconds,
            )
        )

        # 2. Capture-side assignment + scoring of n new leads, against plain bulk_create.
        Lead.objects.all().delete()
        fresh = _leads(n, seed=2, closed=False)
        work_seconds = _assign_and_score(fresh, sales)
        assert Lead.objects.filter(owner__isnull=True).count() == 0
        Lead.objects.all().delete()
        plain_seconds = _bulk_create(_leads(n, seed=2, closed=False))
        rows.append(
            _row(
                "lead assignment + scoring, bulk capture",
                size,
                f"{n / work_seconds:,.0f} leads/s",
                f"bulk_create {n / plain_seconds:,.0f} leads/s",
                work_seconds / plain_seconds,
            )
        )

        # 3. Learned scoring alone, against raw numpy on the built matrix.
        leads = _leads(n, seed=3, closed=False)
        feature_rows = [feature_row(lead) for lead in leads]
        started = time.perf_counter()
        probabilities(model, feature_rows)
        score_seconds = time.perf_counter() - started
        vectorizer, classifier = load_estimators(model)
        dense = vectorizer.transform([features(r) for r in feature_rows])
        coef, intercept = classifier.coef_[0], classifier.intercept_[0]
        started = time.perf_counter()
        1 / (1 + np.exp(-(dense @ coef + intercept)))
        numpy_seconds = time.perf_counter() - started
        rows.append(
            _row(
                "learned lead scoring",
                size,
                f"{n / score_seconds:,.0f} leads/s",
                f"raw numpy {n / numpy_seconds:,.0f} leads/s",
                score_seconds / numpy_seconds,
            )
        )
        print("workload | size | figure | reference | ratio")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
