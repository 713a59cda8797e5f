"""The customer's side of Peyvand: portal sign-in and community. One module per area."""

from peyvand.portal.models.access import PortalIdempotencyRecord, SignInCode
from peyvand.portal.models.community import (
    ForumPost,
    ForumReport,
    ForumThread,
    ForumVote,
    Idea,
    IdeaFollow,
    IdeaVote,
)
from peyvand.portal.models.updates import ProductSubscription, ReleaseNote

__all__ = [
    "ForumPost",
    "ForumReport",
    "ForumThread",
    "ForumVote",
    "Idea",
    "IdeaFollow",
    "IdeaVote",
    "PortalIdempotencyRecord",
    "ProductSubscription",
    "ReleaseNote",
    "SignInCode",
]
