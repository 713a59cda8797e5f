"""The community: forums per product (threads, posts, votes, abuse reports) and the ideas
board (ideas and their votes). Authors are portal customers, or staff for staff answers.

Text is stored as the author typed it (plain text) and escaped wherever it is shown."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

FORUM_OBJECT_TYPE = "forum_post"
IDEA_OBJECT_TYPE = "idea"


class PostStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Awaiting moderation")
    HIDDEN = "hidden", _("Hidden")


class ModerationReason(models.TextChoices):
    NONE = "", _("None")
    NEW_AUTHOR = "new_author", _("First post of a new customer")
    LINK = "link", _("Contains a link")
    SPAM_WORD = "spam_word", _("Contains a word on the spam list")
    REPORTED = "reported", _("Reported by customers")
    STAFF = "staff", _("Hidden by staff")


class IdeaStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class ForumThread(models.Model):
    access_object_type = FORUM_OBJECT_TYPE

    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="forum_threads",
        verbose_name=_("product"),
    )
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        on_delete=models.SET_NULL,
        related_name="forum_threads",
        verbose_name=_("customer"),
    )
    accepted_post = models.ForeignKey(
        "ForumPost",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("accepted answer"),
    )
    # Published replies and the time of the newest: what the thread list shows and sorts by.
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    last_post_at = models.DateTimeField(_("last post"), db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-last_post_at", "-pk"]
        indexes = [models.Index(fields=["product", "-last_post_at"])]
        verbose_name = _("forum thread")
        verbose_name_plural = _("forum threads")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal:community:thread", args=[self.pk])


class ForumPost(models.Model):
    access_object_type = FORUM_OBJECT_TYPE

    thread = models.ForeignKey(
        ForumThread, on_delete=models.CASCADE, related_name="posts", verbose_name=_("thread")
    )
    # The first post of a thread carries its question; the thread is public when it is.
    is_opening = models.BooleanField(_("opening post"), default=False)
    body = models.TextField(_("text"))
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_posts",
        verbose_name=_("customer"),
    )
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_posts",
        verbose_name=_("staff author"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PostStatus.choices, default=PostStatus.PUBLISHED
    )
    moderation_reason = models.CharField(
        _("why moderated"), max_length=16, choices=ModerationReason.choices, blank=True
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = _("forum post")
        verbose_name_plural = _("forum posts")

    def __str__(self) -> str:
        return f"{self.thread.title} #{self.pk}"

    @property
    def is_staff_post(self) -> bool:
        return self.staff_author_id is not None


class ForumVote(models.Model):
    post = models.ForeignKey(ForumPost, on_delete=models.CASCADE, related_name="votes")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="forum_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "customer"], name="uniq_forum_vote")]
        verbose_name = _("forum vote")
        verbose_name_plural = _("forum votes")

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.post_id}"


class ForumReport(models.Model):
    """A customer's report of an abusive post; one per customer per post."""

    post = models.ForeignKey(ForumPost, on_delete=models.CASCADE, related_name="reports")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="forum_reports"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "customer"], name="uniq_forum_report")
        ]
        verbose_name = _("abuse report")
        verbose_name_plural = _("abuse reports")

    def __str__(self) -> str:
        return f"{self.customer_id} reported {self.post_id}"


class Idea(models.Model):
    access_object_type = IDEA_OBJECT_TYPE

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="ideas", verbose_name=_("product")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        on_delete=models.SET_NULL,
        related_name="ideas",
        verbose_name=_("customer"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=IdeaStatus.choices, default=IdeaStatus.NEW
    )
    status_note = models.TextField(_("note on the status"), blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("status changed by"),
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-vote_count", "-created_at", "-pk"]
        indexes = [models.Index(fields=["product", "-vote_count"])]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal:community:ideas", args=[self.product_id])


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="idea_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "customer"], name="uniq_idea_vote")]
        verbose_name = _("idea vote")
        verbose_name_plural = _("idea votes")

    def __str__(self) -> str:
        return f"{self.idea.title} ({self.customer_id})"


class IdeaFollow(models.Model):
    """A customer's choice about an idea's status news. Its author and its voters hear of
    every status change unless they said stop (`following` false); anyone else signed in
    may ask for them (`following` true)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="follows")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="idea_follows"
    )
    following = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "customer"], name="uniq_idea_follow")
        ]
        verbose_name = _("idea follower")
        verbose_name_plural = _("idea followers")

    def __str__(self) -> str:
        return f"{self.idea_id} ({self.customer_id})"
