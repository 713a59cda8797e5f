"""Models of the analytics app, one module per model package; re-exported here so that
`from peyvand.analytics.models import ChurnScore` works and Django finds them all."""

from peyvand.analytics.models.churn import ChurnModelVersion, ChurnScore
from peyvand.analytics.models.clv import ClvFit, CustomerValue
from peyvand.analytics.models.costs import CostEntry, CustomerCost, DepartmentRate
from peyvand.analytics.models.recommend import RecommenderVersion
from peyvand.analytics.models.rfm import RfmRun, RfmScore, Segment

__all__ = [
    "ChurnModelVersion",
    "ChurnScore",
    "ClvFit",
    "CostEntry",
    "CustomerCost",
    "CustomerValue",
    "DepartmentRate",
    "RecommenderVersion",
    "RfmRun",
    "RfmScore",
    "Segment",
]
