"""Models of the sales app, one module per part of the sales process.

Each module defines its own models; this package re-exports them so that
`from peyvand.sales.models import Order` keeps working and Django finds them all.
"""

from peyvand.sales.models.forecast import ForecastModel, SalesTarget
from peyvand.sales.models.orders import Order, OrderLine, OrderNumberSequence, Payment
from peyvand.sales.models.pipeline import (
    Lead,
    LeadAssignmentCursor,
    LeadSource,
    Opportunity,
    Pipeline,
    Stage,
    StageHistory,
)

__all__ = [
    "ForecastModel",
    "Lead",
    "LeadAssignmentCursor",
    "LeadSource",
    "Opportunity",
    "Order",
    "OrderLine",
    "OrderNumberSequence",
    "Payment",
    "Pipeline",
    "SalesTarget",
    "Stage",
    "StageHistory",
]
