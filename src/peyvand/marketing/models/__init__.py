from peyvand.marketing.models.attribution import CampaignCost, Conversion, Touch
from peyvand.marketing.models.consent import BounceRecord, SubscriptionRequest
from peyvand.marketing.models.segments import Segment, SegmentMember
from peyvand.marketing.models.suppression import Suppression

__all__ = [
    "BounceRecord",
    "CampaignCost",
    "Conversion",
    "Segment",
    "SegmentMember",
    "SubscriptionRequest",
    "Suppression",
    "Touch",
]
