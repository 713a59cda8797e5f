"""The customer's side of Peyvand: portal sign-in and community. One module per area."""

from peyvand.portal.models.community import (
    ForumPost,
    ForumReport,
    ForumThread,
    ForumVote,
    Idea,
    IdeaVote,
)

__all__ = ["ForumPost", "ForumReport", "ForumThread", "ForumVote", "Idea", "IdeaVote"]
