"""The churn model, independent of where its table comes from: a CSV export or the CRM's
own customer features go through the same code.

Nothing here knows a column name. Each column is inferred: numeric when every non-empty
value parses as a number, categorical otherwise, and dropped when it is an identifier
(a different value on (nearly) every row says nothing another customer shares). Candidates
(logistic regression, gradient boosting) are compared by stratified cross-validation on the
training rows only; the winner is calibrated (CalibratedClassifierCV) so its probabilities
can be read as risks.

Drivers are honest for both candidates: per customer they come from a logistic regression
fitted on the same features (coefficient × the standardised value's distance from the
training average, summed over a column's one-hot parts), which is exact for that linear
model and says so when the chosen model is the boosted one; the global ranking is the
permutation importance of the chosen, calibrated model (ROC AUC lost when a column is
shuffled), which holds for any model.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

# A column whose distinct values cover at least this share of the rows is an identifier.
ID_SHARE = 0.95
# Categorical columns with more levels than this share of rows are free text, not categories.
MAX_LEVEL_SHARE = 0.5
CV_FOLDS = 5
TOP_DRIVERS = 5
POSITIVE_WORDS = {"1", "yes", "y", "true", "t", "churn", "churned", "left", "lost"}
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


def _number(value: Any) -> float | None:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.lower() in MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def as_float(values: np.ndarray) -> np.ndarray:
    """Object column(s) → float with NaN for missing: the numeric branch's first step
    (module level so the fitted pipeline pickles). `matrix` already parsed the numbers,
    so the element-wise path only runs for arrays built elsewhere."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        pass
    result = np.empty(values.shape, dtype=float)
    for index, value in np.ndenumerate(values):
        number = _number(value)
        result[index] = math.nan if number is None else number
    return result


def as_text(values: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: "" if v is None else str(v).strip(), otypes=[object])(values)


@dataclass
class Columns:
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical


def infer_columns(rows: Sequence[Mapping[str, Any]], exclude: Sequence[str] = ()) -> Columns:
    """Numeric / categorical / identifier, from the values alone."""
    columns = Columns()
    names = [n for n in (rows[0].keys() if rows else []) if n not in exclude]
    count = len(rows)
    for name in names:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None and str(v).strip().lower() not in MISSING]
        distinct = len({str(v).strip() for v in present})
        numbers = [_number(v) for v in present]
        numeric = bool(present) and all(n is not None for n in numbers)
        if distinct <= 1:
            columns.dropped.append(name)  # constant: nothing to learn
        elif numeric:
            if distinct >= ID_SHARE * count and _looks_like_number_ids(numbers):
                columns.dropped.append(name)
            else:
                columns.numeric.append(name)
        elif distinct >= ID_SHARE * count or distinct > MAX_LEVEL_SHARE * count:
            columns.dropped.append(name)
        else:
            columns.categorical.append(name)
    return columns


def _looks_like_number_ids(numbers: Sequence[float | None]) -> bool:
    """Unique whole numbers that run as a sequence (row numbers: the range is about the
    count) or all share one width of five digits or more (account numbers). Unique whole
    measurements — days since the last order, say — are neither, and stay."""
    values = [float(n or 0) for n in numbers]
    if not all(v.is_integer() for v in values):
        return False
    dense = max(values) - min(values) + 1 <= 1.5 * len(values)
    widths = {len(str(abs(int(v)))) for v in values}
    return dense or (len(widths) == 1 and min(widths) >= 5)


def labels(values: Sequence[Any]) -> tuple[np.ndarray, str]:
    """0/1 labels and the value read as "churned": a yes-like word when present, otherwise
    the rarer of the two values."""
    text = [str(v).strip() for v in values]
    distinct = sorted(set(text))
    if len(distinct) != 2:
        raise ValueError(f"the target must have exactly two values, found {len(distinct)}")
    positive = next((v for v in distinct if v.lower() in POSITIVE_WORDS), None)
    if positive is None:
        positive = min(distinct, key=lambda v: (text.count(v), v))
    return np.array([t == positive for t in text], dtype=np.int8), positive


def _parsed(value: Any) -> float:
    number = _number(value)
    return math.nan if number is None else number


def matrix(rows: Sequence[Mapping[str, Any]], columns: Columns) -> np.ndarray:
    """Rows → an object array in `columns.features` order, numbers already parsed."""
    return np.array(
        [
            [_parsed(row.get(n)) for n in columns.numeric]
            + [row.get(n) for n in columns.categorical]
            for row in rows
        ],
        dtype=object,
    )


def preprocessor(columns: Columns) -> ColumnTransformer:
    n = len(columns.numeric)
    numeric = Pipeline(
        [
            ("float", FunctionTransformer(as_float)),
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    )
    categorical = Pipeline(
        [
            ("text", FunctionTransformer(as_text)),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("num", numeric, list(range(n))),
            ("cat", categorical, list(range(n, n + len(columns.categorical)))),
        ]
    )


def candidates(columns: Columns) -> dict[str, Pipeline]:
    return {
        "logistic_regression": Pipeline(
            [("prep", preprocessor(columns)), ("model", LogisticRegression(max_iter=2000))]
        ),
        "gradient_boosting": Pipeline(
            [("prep", preprocessor(columns)), ("model", HistGradientBoostingClassifier())]
        ),
        "gradient_boosting_slow": Pipeline(
            [
                ("prep", preprocessor(columns)),
                (
                    "model",
                    HistGradientBoostingClassifier(
                        learning_rate=0.03, max_depth=3, max_iter=300, l2_regularization=1.0
                    ),
                ),
            ]
        ),
    }


@dataclass
class ChurnModel:
    """A fitted churn model: the calibrated chosen pipeline plus its linear explainer."""

    columns: Columns
    positive: str
    chosen: str
    cv_auc: dict[str, float]
    calibrated: CalibratedClassifierCV
    explainer: Pipeline
    reference: np.ndarray  # the training mean of the explainer's inputs
    n_train: int

    def probabilities(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return np.asarray(self.calibrated.predict_proba(matrix(rows, self.columns))[:, 1])

    def _parts(self) -> list[str]:
        """The original column each explainer input came from."""
        prep: ColumnTransformer = self.explainer.named_steps["prep"]
        onehot: OneHotEncoder = prep.named_transformers_["cat"].named_steps["onehot"]
        parts = list(self.columns.numeric)
        for name, levels in zip(self.columns.categorical, onehot.categories_, strict=True):
            parts.extend([name] * len(levels))
        return parts

    def contributions(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, float]]:
        """Per row, each column's push on the log-odds relative to the average training
        customer (positive raises the churn risk)."""
        prep = self.explainer.named_steps["prep"]
        coef = self.explainer.named_steps["model"].coef_[0]
        values = prep.transform(matrix(rows, self.columns))
        pushes = (np.asarray(values) - self.reference) * coef
        parts = self._parts()
        result = []
        for row in pushes:
            total: dict[str, float] = {}
            for name, push in zip(parts, row, strict=True):
                total[name] = total.get(name, 0.0) + float(push)
            result.append(total)
        return result

    def drivers(
        self, rows: Sequence[Mapping[str, Any]], top: int = 3
    ) -> list[list[tuple[str, float]]]:
        """The columns raising each row's risk most, strongest first."""
        return [
            sorted(((n, p) for n, p in contribution.items() if p > 0), key=lambda x: -x[1])[:top]
            for contribution in self.contributions(rows)
        ]


def fit(rows: Sequence[Mapping[str, Any]], target: str, *, random_state: int = 0) -> ChurnModel:
    """Choose by cross-validated ROC AUC on `rows`, then calibrate the winner on them.

    One native thread: workers run jobs side by side, and OpenMP oversubscription turned a
    3 s boosting fit into minutes on a busy two-core machine."""
    with threadpool_limits(limits=1):
        return _fit(rows, target, random_state=random_state)


def _fit(rows: Sequence[Mapping[str, Any]], target: str, *, random_state: int) -> ChurnModel:
    y, positive = labels([row.get(target) for row in rows])
    columns = infer_columns(rows, exclude=[target])
    if not columns.features:
        raise ValueError("no usable feature columns")
    x = matrix(rows, columns)
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=random_state)
    cv_auc = {
        name: float(np.mean(cross_val_score(pipe, x, y, cv=folds, scoring="roc_auc")))
        for name, pipe in candidates(columns).items()
    }
    chosen = max(cv_auc, key=lambda name: cv_auc[name])
    calibrated = CalibratedClassifierCV(candidates(columns)[chosen], method="sigmoid", cv=folds)
    calibrated.fit(x, y)
    explainer = candidates(columns)["logistic_regression"]
    explainer.fit(x, y)
    reference = np.asarray(explainer.named_steps["prep"].transform(x)).mean(axis=0)
    return ChurnModel(
        columns, positive, chosen, cv_auc, calibrated, explainer, reference, len(rows)
    )


def evaluate(
    model: ChurnModel, rows: Sequence[Mapping[str, Any]], target: str, *, top: int = TOP_DRIVERS
) -> dict[str, Any]:
    """ROC AUC, log loss and the columns the chosen model relies on most, on `rows`."""
    text = [str(row.get(target)).strip() for row in rows]
    y = np.array([t == model.positive for t in text], dtype=np.int8)
    x = matrix(rows, model.columns)
    p = np.asarray(model.calibrated.predict_proba(x)[:, 1])
    with threadpool_limits(limits=1):
        importance = permutation_importance(
            model.calibrated, x, y, scoring="roc_auc", n_repeats=3, random_state=0
        )
    ranked = sorted(
        zip(model.columns.features, importance.importances_mean, strict=True),
        key=lambda pair: -pair[1],
    )
    coef_direction = _directions(model)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "top_drivers": [
            {"column": name, "auc_drop": round(float(drop), 4), "direction": coef_direction[name]}
            for name, drop in ranked[:top]
        ],
    }


def _directions(model: ChurnModel) -> dict[str, str]:
    """For numeric columns whether higher values raise ("+") or lower ("-") the risk in the
    linear explainer; categorical columns act per level ("levels")."""
    coef = model.explainer.named_steps["model"].coef_[0]
    directions = {name: "+" if coef[i] > 0 else "-" for i, name in enumerate(model.columns.numeric)}
    directions.update({name: "levels" for name in model.columns.categorical})
    return directions


def read_table(path: str) -> list[dict[str, str]]:
    """A CSV / TSV / semicolon file with a header row, delimiter sniffed."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        return list(csv.DictReader(handle, dialect=dialect))
