from peyvand.analytics.models.clv import ClvFit, CustomerValue
from peyvand.analytics.models.rfm import RfmRun, RfmScore, Segment

__all__ = ["ClvFit", "CustomerValue", "RfmRun", "RfmScore", "Segment"]
