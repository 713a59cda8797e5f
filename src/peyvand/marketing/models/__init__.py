from peyvand.marketing.models.attribution import CampaignCost, Conversion, Touch
from peyvand.marketing.models.campaigns import Campaign, CampaignMessage, CampaignVariant
from peyvand.marketing.models.consent import BounceRecord, SubscriptionRequest
from peyvand.marketing.models.loyalty import (
    ACTION_KEY_PREFIX,
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyProgramme,
    LoyaltyReward,
    LoyaltyRule,
    LoyaltyTier,
)
from peyvand.marketing.models.segments import Segment, SegmentMember
from peyvand.marketing.models.suppression import Suppression

__all__ = [
    "ACTION_KEY_PREFIX",
    "BounceRecord",
    "Campaign",
    "CampaignCost",
    "CampaignMessage",
    "CampaignVariant",
    "Conversion",
    "LoyaltyAccount",
    "LoyaltyEntry",
    "LoyaltyProgramme",
    "LoyaltyReward",
    "LoyaltyRule",
    "LoyaltyTier",
    "Segment",
    "SegmentMember",
    "SubscriptionRequest",
    "Suppression",
    "Touch",
]
