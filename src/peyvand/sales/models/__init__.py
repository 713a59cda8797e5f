"""Models of the sales app, one module per part of the sales process.

Each module defines its own models; this package re-exports them so that
`from peyvand.sales.models import Order` keeps working and Django finds them all.
"""

from peyvand.sales.models.activities import Activity, CalendarFeed, CloseReason, Competitor
from peyvand.sales.models.contracts import Contract
from peyvand.sales.models.forecast import ForecastModel, SalesTarget
from peyvand.sales.models.leads import AssignmentRule, LeadScoringModel, ScoringRule, WebForm
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
from peyvand.sales.models.quotes import DocumentNumberSequence, Quote, QuoteLine
from peyvand.sales.models.totals import ClosedDealTotal, OpenDealTotal, StageEntryTotal

__all__ = [
    "Activity",
    "AssignmentRule",
    "CalendarFeed",
    "CloseReason",
    "ClosedDealTotal",
    "Competitor",
    "Contract",
    "DocumentNumberSequence",
    "ForecastModel",
    "Lead",
    "LeadAssignmentCursor",
    "LeadScoringModel",
    "LeadSource",
    "OpenDealTotal",
    "Opportunity",
    "Order",
    "OrderLine",
    "OrderNumberSequence",
    "Payment",
    "Pipeline",
    "Quote",
    "QuoteLine",
    "SalesTarget",
    "ScoringRule",
    "Stage",
    "StageEntryTotal",
    "StageHistory",
    "WebForm",
]
