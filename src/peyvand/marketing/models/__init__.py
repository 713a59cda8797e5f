from peyvand.marketing.models.attribution import CampaignCost, Conversion, Touch
from peyvand.marketing.models.segments import Segment, SegmentMember
from peyvand.marketing.models.suppression import Suppression

__all__ = ["CampaignCost", "Conversion", "Segment", "SegmentMember", "Suppression", "Touch"]
