"""The churn pipeline on synthetic tables: column inference, the label, and drivers that
follow the inputs."""

from __future__ import annotations

import numpy as np
import pytest

from peyvand.analytics.churn import pipeline


def synthetic(n: int = 400, seed: int = 0) -> list[dict[str, object]]:
    """Risk rises with `pain` and with plan "monthly"; `noise` means nothing."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        pain = float(rng.normal())
        plan = str(rng.choice(["monthly", "yearly"]))
        logit = 2.0 * pain + (1.5 if plan == "monthly" else -1.5)
        churned = rng.random() < 1 / (1 + np.exp(-logit))
        rows.append(
            {
                "ref": f"R-{i:05d}",
                "row_no": i,
                "pain": f"{pain:.4f}",
                "noise": f"{rng.normal():.4f}",
                "plan": plan,
                "region": "north",
                "left": "Y" if churned else "N",
            }
        )
    return rows


def test_columns_are_inferred_from_values() -> None:
    columns = pipeline.infer_columns(synthetic(), exclude=["left"])
    assert columns.numeric == ["pain", "noise"]
    assert columns.categorical == ["plan"]
    # A text id and a running number are identifiers; a constant says nothing.
    assert set(columns.dropped) == {"ref", "row_no", "region"}


def test_label_prefers_a_yes_word_else_the_rarer_value() -> None:
    y, positive = pipeline.labels(["Y", "N", "N"])
    assert positive == "Y" and y.tolist() == [1, 0, 0]
    y, positive = pipeline.labels(["stay", "go", "stay", "stay"])
    assert positive == "go" and y.tolist() == [0, 1, 0, 0]
    with pytest.raises(ValueError):
        pipeline.labels(["a", "a"])


@pytest.fixture(scope="module")
def model() -> pipeline.ChurnModel:
    return pipeline.fit(synthetic(), "left")


def test_model_learns_and_is_calibrated(model: pipeline.ChurnModel) -> None:
    report = pipeline.evaluate(model, synthetic(seed=1), "left")
    assert report["roc_auc"] > 0.8
    # Calibrated: the mean predicted risk is close to the observed churn rate.
    test = synthetic(seed=1)
    observed = np.mean([row["left"] == "Y" for row in test])
    assert abs(model.probabilities(test).mean() - observed) < 0.05
    assert report["top_drivers"][0]["column"] in {"pain", "plan"}


def test_drivers_change_when_the_inputs_change(model: pipeline.ChurnModel) -> None:
    calm = {"pain": "-2.0", "noise": "0", "plan": "yearly"}
    hurting = {**calm, "pain": "2.5"}
    monthly = {**calm, "plan": "monthly"}
    before, after, switched = model.drivers([calm, hurting, monthly])
    names = [name for name, _push in after]
    assert names[0] == "pain"
    assert "pain" not in [name for name, _push in before]
    assert next(name for name, _push in switched) == "plan"
    risks = model.probabilities([calm, hurting, monthly])
    assert risks[1] > risks[0] and risks[2] > risks[0]


def test_unseen_levels_and_missing_values_still_score(model: pipeline.ChurnModel) -> None:
    risks = model.probabilities([{"pain": "", "noise": "NA", "plan": "weekly"}])
    assert 0 < risks[0] < 1
