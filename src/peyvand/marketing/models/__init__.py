from peyvand.marketing.models.campaigns import Campaign, CampaignMessage, CampaignVariant
from peyvand.marketing.models.segments import Segment, SegmentMember
from peyvand.marketing.models.suppression import Suppression

__all__ = [
    "Campaign",
    "CampaignMessage",
    "CampaignVariant",
    "Segment",
    "SegmentMember",
    "Suppression",
]
