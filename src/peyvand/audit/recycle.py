"""The recycle bin (soft delete and restore) and "forget this person" (hard erasure).

Deletes are soft everywhere: a row gets `deleted_at`/`deleted_by` and can be restored.
The only hard erasure is `forget_customer`, which removes a person's personal data, redacts
their older change-log payloads and leaves an audited "forget" row behind.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.scopes import can, is_manager, restrict
from peyvand.audit.choices import ChangeAction
from peyvand.audit.models import ChangeLog
from peyvand.audit.services import Change, record, write_changes
from peyvand.core.models import SoftDeleteModel

# Models whose deleted rows the recycle bin lists, in display order.
RECYCLABLE: tuple[str, ...] = (
    "customers.Customer",
    "comms.Interaction",
    "sales.Order",
    "catalog.Product",
)


def recyclable_models() -> list[type[SoftDeleteModel]]:
    return [apps.get_model(label) for label in RECYCLABLE]


def recyclable_model(label: str) -> type[SoftDeleteModel] | None:
    """The recyclable model for a lower-case label such as "customers.customer"."""
    for model in recyclable_models():
        if model._meta.label_lower == label:
            return model
    return None


def deleted_queryset(model: type[SoftDeleteModel], user: Any) -> models.QuerySet[Any]:
    """The rows of `model` in the recycle bin that `user` may delete (and so restore).

    The rows are read through the model's own `visible_to` when it has one, so any extra
    rule a model adds to visibility holds here too.
    """
    manager = getattr(model, "all_objects", None) or model._default_manager
    qs = manager.filter(deleted_at__isnull=False)
    if hasattr(qs, "visible_to"):
        return qs.visible_to(user, "delete")
    return restrict(qs, user, "delete")


def bin_models_for(user: Any) -> list[type[SoftDeleteModel]]:
    """Recyclable types whose bin the user may open: those they may delete."""
    return [
        model
        for model in recyclable_models()
        if can(user, getattr(model, "access_object_type", ""), "delete")
    ]


def _require_soft_deletable(obj: models.Model) -> None:
    if not isinstance(obj, SoftDeleteModel):
        raise TypeError(f"{obj._meta.label} rows cannot go to the recycle bin")


def soft_delete(obj: Any, *, actor: Any) -> None:
    """Move `obj` to the recycle bin; audited as "delete". Deleting twice is a no-op."""
    _require_soft_deletable(obj)
    with transaction.atomic():
        locked = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        if locked.deleted_at is not None:
            obj.deleted_at, obj.deleted_by_id = locked.deleted_at, locked.deleted_by_id
            return
        with record(obj, actor=actor, action=ChangeAction.DELETE):
            obj.deleted_at = timezone.now()
            obj.deleted_by = actor
            obj.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


def restore(obj: Any, *, actor: Any) -> None:
    """Bring `obj` back from the recycle bin; audited as "restore". Restoring a live row
    is a no-op."""
    _require_soft_deletable(obj)
    with transaction.atomic():
        locked = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        if locked.deleted_at is None:
            obj.deleted_at, obj.deleted_by_id = None, None
            return
        with record(obj, actor=actor, action=ChangeAction.RESTORE):
            obj.deleted_at = None
            obj.deleted_by = None
            obj.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


def tombstone_name(pk: int) -> str:
    """What a forgotten customer is called from then on; stored, so not translated."""
    return f"Forgotten #{pk}"


def forget_customer(customer: Any, *, actor: Any, reason: str) -> dict[str, int]:
    """Erase a person's personal data for good (GDPR-style right to erasure).

    Contact points, consents, relationships and attachments are deleted; interactions keep
    their channel, direction, time and agent but lose subject and body; the customer row
    becomes a tombstone; older change-log rows about the customer lose their payload
    (the chain still verifies, see ChangeLog). Orders stay: the business must keep them.
    Records merged into this customer are the same person and are erased with it, each
    with its own forget row. Returns how many rows of each kind were erased. Managers only.
    """
    from peyvand.customers.models import Customer

    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may erase a person's data."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why this person's data is erased.")]})

    files: list[str] = []
    totals: dict[str, int] = {}
    with transaction.atomic():
        root = Customer._base_manager.select_for_update().get(pk=customer.pk)
        for person in [root, *_merged_into(root)]:
            erased = _erase_person(person, files)
            # The forget row itself: what was done and why, never what was there.
            write_changes(
                [Change(ChangeAction.FORGET, person, None, {"reason": reason, "erased": erased})],
                actor=actor,
            )
            for kind, count in erased.items():
                totals[kind] = totals.get(kind, 0) + count

        def remove_files() -> None:
            from peyvand.channels.models import InteractionAttachment

            storage = InteractionAttachment._meta.get_field("file").storage
            for name in files:
                storage.delete(name)

        # Files go only once the erasure is committed: a rollback must not lose them.
        transaction.on_commit(remove_files)
    customer.refresh_from_db()
    return totals


def _merged_into(root: Any) -> list[Any]:
    """Every record merged into `root`, directly or through a chain of merges, locked."""
    found: list[Any] = []
    frontier = [root.pk]
    while frontier:
        batch = list(
            type(root)._base_manager.select_for_update().filter(merged_into_id__in=frontier)
        )
        found.extend(batch)
        frontier = [c.pk for c in batch]
    return found


def _erase_person(locked: Any, files: list[str]) -> dict[str, int]:
    """Erase one customer row's personal data; collects attachment file names to delete."""
    from peyvand.channels.models import Interaction, InteractionAttachment
    from peyvand.customers.models import Relationship

    attachments = InteractionAttachment.objects.filter(interaction__customer=locked)
    files.extend(a.file.name for a in attachments if a.file.name)
    interactions = Interaction._base_manager.filter(customer=locked)
    erased = {
        "contact_points": locked.contact_points.all().delete()[0],
        "consents": locked.consents.all().delete()[0],
        "relationships": Relationship.objects.filter(
            models.Q(from_customer=locked) | models.Q(to_customer=locked)
        ).delete()[0],
        "attachments": attachments.delete()[0],
        "interactions": interactions.update(
            subject="", body="", external_id="", updated_at=timezone.now()
        ),
    }
    locked.tags.clear()
    locked.display_name = tombstone_name(locked.pk)
    locked.first_name = locked.last_name = locked.organization_name = ""
    locked.notes = locked.external_ref = locked.search_text = locked.name_key = ""
    locked.preferred_channel = ""
    locked.custom = {}
    locked.save()
    erased["change_log_rows"] = ChangeLog.objects.filter(customer_id=locked.pk).update(
        object_repr="", before=None, after=None, redacted=True
    )
    return erased
