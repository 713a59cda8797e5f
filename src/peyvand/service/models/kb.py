"""The knowledge base: articles of proven solutions, each in one language and linked to
its translations, with versions, a review workflow and feedback."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.core.models import TimeStampedModel
from peyvand.service.choices import ArticleStatus, ArticleVisibility

OBJECT_TYPE = "kb_article"


class ArticleCategory(TimeStampedModel):
    access_object_type = OBJECT_TYPE

    name = models.CharField(_("name (English)"), max_length=120)
    name_fa = models.CharField(_("name (Persian)"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        if (get_language() or "").startswith("fa") and self.name_fa:
            return self.name_fa
        return self.name


class Article(TimeStampedModel):
    access_object_type = OBJECT_TYPE

    # Every translation of one article shares the group; one article per language in it.
    translation_group = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    # Sanitised HTML (nh3) of the article; only what `kb.services` stored, never raw input.
    body = models.TextField(_("body"))
    category = models.ForeignKey(
        ArticleCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("category"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("product"),
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=ArticleVisibility.choices,
        default=ArticleVisibility.INTERNAL,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="kb_articles",
        verbose_name=_("author"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Normalised title and text (Persian letters, digits, ZWNJ both ways): what search reads.
    search_title = models.TextField(blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    # Times a customer said this article solved their problem before opening a ticket.
    deflection_count = models.PositiveIntegerField(_("tickets avoided"), default=0)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation_group", "language"], name="uniq_article_translation"
            )
        ]
        indexes = [models.Index(fields=["status", "visibility", "language"])]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title


class ArticleDeflection(models.Model):
    """One time a customer about to open a ticket said this article solved it: dated, so
    the service analytics can count the deflections of a period (the article keeps the
    running total in `deflection_count`)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("ticket avoided")
        verbose_name_plural = _("tickets avoided")

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d %H:%M}"


class ArticleVersion(models.Model):
    """The article's content as it was at each saved version."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="uniq_article_version")
        ]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class ArticleFeedback(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="article_feedback",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


def article_attachment_path(instance: ArticleAttachment, filename: str) -> str:
    # The stored name is ours, never the uploader's: no path tricks, no overwrites.
    return f"kb/{uuid.uuid4().hex}"


class ArticleAttachment(models.Model):
    """A file on an article, readable wherever the article is: staff always, the public
    only while the article is published and public."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_attachment_path, max_length=200)
    # The uploader's name, cleaned of directories and control characters; shown escaped.
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")

    def __str__(self) -> str:
        return self.filename
