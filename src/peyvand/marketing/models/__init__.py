from peyvand.marketing.models.segments import Segment, SegmentMember
from peyvand.marketing.models.suppression import Suppression

__all__ = ["Segment", "SegmentMember", "Suppression"]
