"""Every state change of the knowledge base: write, translate, review, publish, archive,
and what readers say about an article.

Article bodies arrive as HTML from staff and leave as HTML to customers, so they are
sanitised with nh3 on the way in; the review workflow is draft → in review → published →
archived, and only someone allowed to publish (not the author, unless a manager) publishes.
"""

from __future__ import annotations

from typing import Any

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.choices import Language
from peyvand.access.scopes import can, is_manager
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes
from peyvand.channels.services import _file_size, _safe_filename, _sniff, _validate_attachments
from peyvand.service.choices import ArticleStatus, ArticleVisibility
from peyvand.service.kb.search import index_text, plain_text
from peyvand.service.models import (
    Article,
    ArticleAttachment,
    ArticleCategory,
    ArticleDeflection,
    ArticleFeedback,
    ArticleVersion,
)
from peyvand.service.models.kb import OBJECT_TYPE

ALLOWED_TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "code", "pre",
    "blockquote", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
MAX_BODY_CHARS = 200_000
CONTENT_FIELDS = ("title", "summary", "body")
WORKFLOW = {
    "submit": ({ArticleStatus.DRAFT}, ArticleStatus.IN_REVIEW),
    "publish": ({ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW}, ArticleStatus.PUBLISHED),
    "return": ({ArticleStatus.IN_REVIEW}, ArticleStatus.DRAFT),
    "archive": ({ArticleStatus.PUBLISHED, ArticleStatus.DRAFT}, ArticleStatus.ARCHIVED),
    "restore": ({ArticleStatus.ARCHIVED}, ArticleStatus.DRAFT),
}


def sanitize_body(body: str) -> str:
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _validate(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    title = (values.get("title") or "").strip()
    if not title:
        errors["title"] = [_("Give the article a title.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title under 200 characters.")]
    if len(values.get("summary") or "") > 500:
        errors["summary"] = [_("Keep the summary under 500 characters.")]
    body = values.get("body") or ""
    if not plain_text(sanitize_body(body)).strip():
        errors["body"] = [_("Write the article first.")]
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = [
            _("The text is too long (%(length)d characters; at most %(limit)d).")
            % {"length": len(body), "limit": MAX_BODY_CHARS}
        ]
    if values.get("language") not in Language.values:
        errors["language"] = [_("Choose English or Persian.")]
    if values.get("visibility", ArticleVisibility.INTERNAL) not in ArticleVisibility.values:
        errors["visibility"] = [_("Choose who may read the article.")]
    return errors


def _require(actor: Any, action: str) -> None:
    if not can(actor, OBJECT_TYPE, action):
        raise PermissionDenied(_("You may not do this in the knowledge base."))


def add_category(*, actor: Any, **values: Any) -> ArticleCategory:
    """A new category; they shape what every reader browses, so only those who may publish
    add them."""
    _require(actor, "publish")
    category = ArticleCategory(**values)
    category.full_clean()
    category.save()
    return category


def _refresh_search(article: Article) -> None:
    article.search_title = index_text(article.title)
    article.search_text = index_text(article.summary, plain_text(article.body))


@transaction.atomic
def save_article(article: Article | None, *, actor: Any, **values: Any) -> Article:
    """Create an article (a new translation group) or change one; every change of its
    content is kept as a new version. Raises ValidationError per field, writing nothing."""
    _require(actor, "add" if article is None else "change")
    creating = article is None
    current = article or Article(
        author=actor if getattr(actor, "is_authenticated", False) else None
    )
    merged = {
        "title": current.title,
        "summary": current.summary,
        "body": current.body,
        "language": current.language,
        "visibility": current.visibility,
        **values,
    }
    errors = _validate(merged)
    if errors:
        raise ValidationError(errors)
    if not creating:
        current = Article.objects.select_for_update().get(pk=current.pk)
    before = {f: getattr(current, f) for f in CONTENT_FIELDS}
    with record(current, actor=actor):
        current.title = merged["title"].strip()
        current.summary = (merged.get("summary") or "").strip()
        current.body = sanitize_body(merged["body"])
        current.language = merged["language"]
        current.visibility = merged["visibility"]
        for field in ("category", "product", "translation_group"):
            if field in values:
                setattr(current, field, values[field])
        changed = creating or any(getattr(current, f) != before[f] for f in CONTENT_FIELDS)
        if changed and not creating:
            current.version += 1
        _refresh_search(current)
        current.save()
    if changed:
        ArticleVersion.objects.create(
            article=current,
            version=current.version,
            title=current.title,
            summary=current.summary,
            body=current.body,
            author=actor if getattr(actor, "is_authenticated", False) else None,
        )
    return current


def add_translation(article: Article, *, actor: Any, **values: Any) -> Article:
    """The same article in another language, linked to it (and to its other translations)."""
    language = values.get("language")
    if Article.objects.filter(
        translation_group=article.translation_group, language=language
    ).exists():
        raise ValidationError({"language": _("This article already has that translation.")})
    return save_article(
        None,
        actor=actor,
        translation_group=article.translation_group,
        category=article.category,
        product=article.product,
        visibility=values.pop("visibility", article.visibility),
        **values,
    )


@transaction.atomic
def transition(article: Article, *, actor: Any, action: str) -> Article:
    """Move the article along the review workflow (`WORKFLOW`)."""
    if action not in WORKFLOW:
        raise ValidationError(_("Unknown action."))
    sources, target = WORKFLOW[action]
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if action in {"publish", "return", "archive", "restore"}:
        _require(actor, "publish")
        if action == "publish" and locked.author_id == actor.pk and not is_manager(actor):
            raise PermissionDenied(_("Someone else must review and publish your article."))
    else:
        _require(actor, "change")
    if locked.status not in sources:
        raise ValidationError(
            _("An article that is “%(status)s” cannot be moved this way.")
            % {"status": locked.get_status_display()}
        )
    with record(locked, actor=actor):
        locked.status = target
        if target == ArticleStatus.PUBLISHED:
            locked.published_at, locked.reviewed_by = timezone.now(), actor
        locked.save(update_fields=["status", "published_at", "reviewed_by", "updated_at"])
    return locked


def record_feedback(
    article: Article, *, helpful: bool, comment: str = "", user: Any = None, customer: Any = None
) -> ArticleFeedback:
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("Keep the comment under 2,000 characters.")})
    with transaction.atomic():
        feedback = ArticleFeedback.objects.create(
            article=article,
            helpful=helpful,
            comment=comment,
            user=user if getattr(user, "is_authenticated", False) else None,
            customer=customer,
        )
        counter = "helpful_count" if helpful else "not_helpful_count"
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return feedback


@transaction.atomic
def record_deflection(article: Article) -> None:
    """A customer about to open a ticket said this article solved it."""
    Article.objects.filter(pk=article.pk).update(deflection_count=F("deflection_count") + 1)
    ArticleDeflection.objects.create(article=article)


@transaction.atomic
def add_attachment(article: Article, upload: File, *, actor: Any) -> ArticleAttachment:
    """Attach a file (within the attachment size limit) to the article. The uploader's name
    is kept for display only; the stored name is random."""
    _require(actor, "change")
    errors = _validate_attachments([upload])
    if errors:
        raise ValidationError({"file": errors})
    attachment = ArticleAttachment(
        article=article,
        filename=_safe_filename(upload.name),
        content_type=_sniff(upload),
        size=_file_size(upload),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    with record(attachment, actor=actor):
        attachment.file.save("upload", upload, save=False)
        try:
            attachment.save()
        except BaseException:
            attachment.file.delete(save=False)
            raise
    return attachment


@transaction.atomic
def remove_attachment(attachment: ArticleAttachment, *, actor: Any) -> None:
    _require(actor, "change")
    stored = attachment.file.name or ""
    write_changes(
        [Change(ChangeAction.DELETE, attachment, snapshot(attachment), None)], actor=actor
    )
    attachment.delete()
    # The file goes only once the row is gone for good.
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
