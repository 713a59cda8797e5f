"""Lead scoring: a transparent rule score (the sum of matching ScoringRules) and a learned
score (logistic regression on past converted vs lost leads) with its top reasons.

The learned model is trained here, stored in the database as joblib bytes and loaded back
from there only: it is our own artefact, never something a user uploads, which is what
makes unpickling it safe.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from peyvand.audit.services import record
from peyvand.core.text import normalize_text
from peyvand.sales.choices import OPEN_LEAD_STATUSES, LeadStatus, ScoringCondition
from peyvand.sales.models import Lead, LeadScoringModel, ScoringRule

# Below this many converted AND lost leads a model would learn noise: the rule score alone
# is used, and the screens say so.
MIN_PER_CLASS = 20
HOLDOUT_SHARE = 0.25
# Response times past a month say nothing more than "very late".
MAX_RESPONSE_HOURS = 720.0
TOP_REASONS = 3

# Lead fields a scoring rule may test, each read as text from a lead.
SCORABLE_FIELDS: dict[str, tuple[Any, Callable[[Lead], str]]] = {
    "name": (gettext_lazy("Name"), lambda lead: lead.name),
    "company": (gettext_lazy("Company"), lambda lead: lead.company),
    "email": (gettext_lazy("Email"), lambda lead: lead.email),
    "phone": (gettext_lazy("Phone"), lambda lead: lead.phone),
    "city": (gettext_lazy("City"), lambda lead: lead.city),
    "language": (gettext_lazy("Language"), lambda lead: lead.language),
    "source": (gettext_lazy("Source (code)"), lambda lead: lead.source.code if lead.source else ""),
    "product": (
        gettext_lazy("Product of interest (SKU)"),
        lambda lead: lead.product.sku if lead.product else "",
    ),
    "channel": (gettext_lazy("Channel"), lambda lead: lead.channel),
    "utm_source": (gettext_lazy("UTM source"), lambda lead: lead.utm_source),
    "utm_medium": (gettext_lazy("UTM medium"), lambda lead: lead.utm_medium),
    "utm_campaign": (gettext_lazy("UTM campaign"), lambda lead: lead.utm_campaign),
    "referrer": (gettext_lazy("Referrer"), lambda lead: lead.referrer),
}


def scorable_field_choices() -> list[tuple[str, Any]]:
    return [(name, label) for name, (label, _read) in SCORABLE_FIELDS.items()]


def rule_matches(rule: ScoringRule, lead: Lead) -> bool:
    read = SCORABLE_FIELDS.get(rule.field)
    if read is None:
        return False
    value = normalize_text(read[1](lead))
    if rule.condition == ScoringCondition.IS_SET:
        return bool(value)
    wanted = normalize_text(rule.value)
    if rule.condition == ScoringCondition.EQUALS:
        return value == wanted
    return bool(wanted) and wanted in value


def active_scoring_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True))


def rule_hits(lead: Lead, rules: Sequence[ScoringRule] | None = None) -> list[ScoringRule]:
    return [
        r for r in (active_scoring_rules() if rules is None else rules) if rule_matches(r, lead)
    ]


def rule_score(lead: Lead, rules: Sequence[ScoringRule] | None = None) -> int:
    return sum(rule.points for rule in rule_hits(lead, rules))


def _check_scoring_rule(rule: ScoringRule) -> None:
    errors: dict[str, list[str]] = {}
    if rule.field not in SCORABLE_FIELDS:
        errors["field"] = [_("Choose a lead field.")]
    if rule.condition != ScoringCondition.IS_SET and not rule.value.strip():
        errors["value"] = [_("Give the value to compare with.")]
    try:
        rule.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_scoring_rule(rule: ScoringRule, *, actor: Any) -> ScoringRule:
    """Create or change a scoring rule (audited). New leads are scored with it; existing
    leads keep the score they were captured with until they are rescored."""
    _check_scoring_rule(rule)
    # The form has already put the new values on `rule`: the before comes from the row.
    with record(rule, actor=actor, stored=True):
        rule.save()
    return rule


# --- the learned score ------------------------------------------------------------------

# The lead columns the features are computed from: training reads them with .values(), so
# 100k leads never become model instances.
FEATURE_COLUMNS = (
    "source__code",
    "email",
    "phone",
    "company",
    "city",
    "product_id",
    "utm_source",
    "utm_medium",
    "language",
    "channel",
    "created_at",
    "first_response_at",
)


def feature_row(lead: Lead) -> dict[str, Any]:
    return {
        "source__code": lead.source.code if lead.source_id and lead.source else "",
        **{name: getattr(lead, name) for name in FEATURE_COLUMNS if name != "source__code"},
    }


def features(row: Mapping[str, Any], *, now: Any = None) -> dict[str, float]:
    """The model's inputs for one lead: what it says about itself, where it came from, and
    how long it waited for an answer (until now while it still waits)."""
    answered = row.get("first_response_at") or now or timezone.now()
    created = row.get("created_at") or answered
    hours = min(max((answered - created).total_seconds() / 3600, 0.0), MAX_RESPONSE_HOURS)
    result = {
        "has_email": float(bool(row.get("email"))),
        "has_phone": float(bool(row.get("phone"))),
        "has_company": float(bool(row.get("company"))),
        "has_city": float(bool(row.get("city"))),
        "has_product": float(bool(row.get("product_id"))),
        "has_utm": float(bool(row.get("utm_source"))),
        "response_hours_log": math.log1p(hours),
    }
    for name in ("source__code", "utm_medium", "language", "channel"):
        if row.get(name):
            result[f"{name}={row[name]}"] = 1.0
    return result


@dataclass(frozen=True)
class History:
    converted: int
    lost: int

    @property
    def enough(self) -> bool:
        return self.converted >= MIN_PER_CLASS and self.lost >= MIN_PER_CLASS


def _closed_leads() -> Any:
    return Lead.objects.filter(
        deleted_at__isnull=True, status__in=[LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED]
    )


def history() -> History:
    counts = dict(
        _closed_leads().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return History(counts.get(LeadStatus.CONVERTED, 0), counts.get(LeadStatus.DISQUALIFIED, 0))


def _history_mark() -> str:
    stats = _closed_leads().aggregate(n=Count("pk"), last=Max("updated_at"))
    last = stats["last"].isoformat() if stats["last"] else ""
    return f"{stats['n']}:{last}"


_LOADED: dict[int, tuple[DictVectorizer, LogisticRegression]] = {}


def _dump(vectorizer: DictVectorizer, classifier: LogisticRegression) -> bytes:
    buffer = io.BytesIO()
    joblib.dump({"vectorizer": vectorizer, "classifier": classifier}, buffer)
    return buffer.getvalue()


def load_estimators(model: LeadScoringModel) -> tuple[DictVectorizer, LogisticRegression]:
    loaded = _LOADED.get(model.version)
    if loaded is None:
        # Safe to unpickle: these bytes were written by train_lead_model, nobody else.
        parts = joblib.load(io.BytesIO(bytes(model.model or b"")))
        loaded = (parts["vectorizer"], parts["classifier"])
        _LOADED.clear()  # only the current version is ever needed
        _LOADED[model.version] = loaded
    return loaded


def current_model() -> LeadScoringModel | None:
    return LeadScoringModel.objects.filter(model__isnull=False).order_by("-version").first()


def train_lead_model(*, force: bool = False) -> LeadScoringModel | None:
    """Fit the model on converted (1) vs lost (0) leads, measure AUC on a stratified
    holdout, store it as the next version and rescore open leads. Returns None with too
    little history, or when nothing closed since the last training (unless `force`)."""
    if not history().enough:
        return None
    mark = _history_mark()
    latest = current_model()
    if latest is not None and latest.history_mark == mark and not force:
        return None
    started = time.perf_counter()
    rows = list(_closed_leads().values("status", *FEATURE_COLUMNS).iterator(chunk_size=5000))
    labels = np.array([row["status"] == LeadStatus.CONVERTED for row in rows], dtype=np.int8)
    vectorizer = DictVectorizer(sparse=True)
    matrix = vectorizer.fit_transform([features(row) for row in rows])
    train_x, test_x, train_y, test_y = train_test_split(
        matrix, labels, test_size=HOLDOUT_SHARE, stratify=labels, random_state=0
    )
    classifier = LogisticRegression(max_iter=1000)
    classifier.fit(train_x, train_y)
    auc = float(roc_auc_score(test_y, classifier.predict_proba(test_x)[:, 1]))
    with transaction.atomic():
        version = (
            LeadScoringModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        ) + 1
        model = LeadScoringModel.objects.create(
            version=version,
            model=_dump(vectorizer, classifier),
            n_train=int(train_y.shape[0]),
            n_holdout=int(test_y.shape[0]),
            n_converted=int(labels.sum()),
            n_lost=int(labels.shape[0] - labels.sum()),
            auc=auc,
            seconds=time.perf_counter() - started,
            history_mark=mark,
        )
    rescore_open_leads(model)
    return model


def probabilities(
    model: LeadScoringModel, rows: Iterable[Mapping[str, Any]], *, now: Any = None
) -> np.ndarray:
    vectorizer, classifier = load_estimators(model)
    now = now or timezone.now()
    matrix = vectorizer.transform([features(row, now=now) for row in rows])
    return np.asarray(classifier.predict_proba(matrix)[:, 1])


def rescore_open_leads(model: LeadScoringModel, *, batch: int = 5000) -> int:
    """Write the learned score of every open lead (a score write-back of the analytics read
    side: one UPDATE per batch, no change-log row per lead)."""
    leads = Lead.objects.filter(deleted_at__isnull=True, status__in=OPEN_LEAD_STATUSES)
    done = 0
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for row in leads.values("pk", *FEATURE_COLUMNS).iterator(chunk_size=batch):
        ids.append(row["pk"])
        rows.append(row)
        if len(ids) == batch:
            done += _write_scores(model, ids, rows)
            ids, rows = [], []
    if ids:
        done += _write_scores(model, ids, rows)
    return done


def _write_scores(model: LeadScoringModel, ids: list[int], rows: list[dict[str, Any]]) -> int:
    scores = probabilities(model, rows)
    Lead.objects.bulk_update(
        [Lead(pk=pk, learned_score=float(p)) for pk, p in zip(ids, scores, strict=True)],
        ["learned_score"],
        batch_size=1000,
    )
    return len(ids)


def score_lead(lead: Lead, *, rules: Sequence[ScoringRule] | None = None) -> None:
    """Set both scores on a (possibly unsaved) lead: capture calls this before saving."""
    lead.score = rule_score(lead, rules)
    model = current_model()
    lead.learned_score = float(probabilities(model, [feature_row(lead)])[0]) if model else None


@dataclass(frozen=True)
class Reason:
    label: str
    contribution: float

    @property
    def raises(self) -> bool:
        return self.contribution > 0


def _reason_label(name: str, lead: Lead) -> str:
    if name.startswith("source__code="):
        return _("Source: %(value)s") % {"value": lead.source or name.partition("=")[2]}
    if name.startswith("utm_medium="):
        return _("Campaign medium: %(value)s") % {"value": lead.utm_medium}
    if name.startswith("language="):
        return _("Language: %(value)s") % {"value": lead.get_language_display()}
    if name.startswith("channel="):
        return _("Came in by: %(value)s") % {"value": lead.get_channel_display()}
    labels = {
        "has_email": _("Has an email address"),
        "has_phone": _("Has a phone number"),
        "has_company": _("Names a company"),
        "has_city": _("Names a city"),
        "has_product": _("Names a product of interest"),
        "has_utm": _("Came from a tracked campaign"),
        "response_hours_log": _("Time to first response"),
    }
    return labels.get(name, name)


def top_reasons(lead: Lead, *, limit: int = TOP_REASONS) -> list[Reason]:
    """The features that moved this lead's learned score most: coefficient × value."""
    model = current_model()
    if model is None:
        return []
    vectorizer, classifier = load_estimators(model)
    vector = vectorizer.transform([features(feature_row(lead))]).toarray()[0]
    contributions = classifier.coef_[0] * vector
    order = np.argsort(-np.abs(contributions))
    names = vectorizer.get_feature_names_out()
    return [
        Reason(_reason_label(str(names[i]), lead), float(contributions[i]))
        for i in order[:limit]
        if contributions[i] != 0
    ]
