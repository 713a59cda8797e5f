"""Models of the analytics app, one module per model package; re-exported here so that
`from peyvand.analytics.models import ChurnScore` works and Django finds them all."""

from peyvand.analytics.models.churn import ChurnModelVersion, ChurnScore
from peyvand.analytics.models.costs import CostEntry, CustomerCost, DepartmentRate
from peyvand.analytics.models.recommend import RecommenderVersion

__all__ = [
    "ChurnModelVersion",
    "ChurnScore",
    "CostEntry",
    "CustomerCost",
    "DepartmentRate",
    "RecommenderVersion",
]
