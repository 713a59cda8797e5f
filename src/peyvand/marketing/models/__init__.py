from peyvand.marketing.models.segments import Segment, SegmentMember

__all__ = ["Segment", "SegmentMember"]
