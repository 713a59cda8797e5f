from peyvand.marketing.models.consent import BounceRecord, SubscriptionRequest
from peyvand.marketing.models.segments import Segment, SegmentMember
from peyvand.marketing.models.suppression import Suppression

__all__ = ["BounceRecord", "Segment", "SegmentMember", "SubscriptionRequest", "Suppression"]
