from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.channels.models import Interaction, InteractionAttachment
from peyvand.channels.services import (
    MAX_BODY_CHARS,
    delete_interaction,
    log_interaction,
    update_interaction,
)
from tests.channels.conftest import HOSTILE_HTML, PNG
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def _stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_log_interaction_saves_and_audits(sales1: Any, customer_of_sales1: Any) -> None:
    task = TaskFactory(customer=customer_of_sales1)
    interaction = log_interaction(
        actor=sales1,
        customer=customer_of_sales1,
        channel="phone",
        direction="outbound",
        subject="Renewal call",
        body="Wants the yearly plan.",
        duration_seconds=300,
        related=task,
    )
    interaction.refresh_from_db()
    assert interaction.agent == sales1
    assert interaction.related == task
    row = ChangeLog.objects.get(object_id=str(interaction.pk), content_type__model="interaction")
    assert row.action == "create"
    assert row.customer_id == customer_of_sales1.pk
    assert row.actor_id == sales1.pk
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"subject": "x" * 300}, "subject"),
        ({"body": "x" * (MAX_BODY_CHARS + 1)}, "body"),
    ],
)
def test_bad_input_writes_nothing(
    sales1: Any, customer_of_sales1: Any, changes: dict[str, str], field: str
) -> None:
    kwargs: dict[str, Any] = {"channel": "email", "direction": "inbound", **changes}
    with pytest.raises(ValidationError) as exc:
        log_interaction(actor=sales1, customer=customer_of_sales1, **kwargs)
    assert field in exc.value.message_dict
    assert not Interaction.objects.exists()
    assert not ChangeLog.objects.exists()


def test_attachments_are_sniffed_and_stored_under_random_names(
    sales1: Any, customer_of_sales1: Any, settings: Any
) -> None:
    interaction = log_interaction(
        actor=sales1,
        customer=customer_of_sales1,
        channel="email",
        direction="inbound",
        subject="Files",
        attachments=[
            SimpleUploadedFile("../../etc/passwd.png", HOSTILE_HTML, content_type="image/png"),
            ("photo.html", PNG),
        ],
    )
    first, second = interaction.attachments.order_by("pk")
    assert first.filename == "passwd.png"
    assert first.content_type == "application/octet-stream"
    assert second.content_type == "image/png"
    for attachment in (first, second):
        assert attachment.filename not in attachment.file.name
        assert ".." not in attachment.file.name
        assert os.path.basename(attachment.file.name).isalnum()
    assert first.file.read() == HOSTILE_HTML
    assert ChangeLog.objects.filter(content_type__model="interactionattachment").count() == 2
    assert set(
        ChangeLog.objects.filter(content_type__model="interactionattachment").values_list(
            "customer_id", flat=True
        )
    ) == {customer_of_sales1.pk}


def test_attachment_over_the_limit_is_refused_and_nothing_is_written(
    sales1: Any, customer_of_sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_MAX_ATTACHMENT_BYTES = 1000
    with pytest.raises(ValidationError) as exc:
        log_interaction(
            actor=sales1,
            customer=customer_of_sales1,
            channel="email",
            direction="inbound",
            attachments=[("small.txt", b"ok"), ("big.bin", b"x" * 1001)],
        )
    assert "big.bin" in exc.value.message_dict["attachments"][0]
    assert not Interaction.objects.exists()
    assert not InteractionAttachment.objects.exists()
    assert not ChangeLog.objects.exists()
    assert _stored_files(settings) == []


def test_attachment_at_the_limit_is_accepted(
    sales1: Any, customer_of_sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_MAX_ATTACHMENT_BYTES = 1000
    interaction = log_interaction(
        actor=sales1,
        customer=customer_of_sales1,
        channel="email",
        direction="inbound",
        attachments=[("exact.bin", b"x" * 1000)],
    )
    assert interaction.attachments.get().size == 1000


def test_empty_attachment_is_refused(sales1: Any, customer_of_sales1: Any) -> None:
    with pytest.raises(ValidationError):
        log_interaction(
            actor=sales1,
            customer=customer_of_sales1,
            channel="email",
            direction="inbound",
            attachments=[("empty.txt", b"")],
        )
    assert not Interaction.objects.exists()


def test_update_interaction_audits_the_changed_fields(sales1: Any, customer_of_sales1: Any) -> None:
    interaction = log_interaction(
        actor=sales1, customer=customer_of_sales1, channel="phone", direction="inbound"
    )
    updated = update_interaction(interaction, actor=sales1, subject="Complaint", body="Late")
    assert (updated.subject, updated.body) == ("Complaint", "Late")
    row = ChangeLog.objects.filter(action="update").get()
    assert row.before["subject"] == "" and row.after["subject"] == "Complaint"


def test_update_interaction_refuses_other_fields_and_bad_values(
    sales1: Any, customer_of_sales1: Any, customer_of_sales2: Any
) -> None:
    interaction = log_interaction(
        actor=sales1, customer=customer_of_sales1, channel="phone", direction="inbound"
    )
    with pytest.raises(TypeError):
        update_interaction(interaction, actor=sales1, customer=customer_of_sales2)
    with pytest.raises(ValidationError):
        update_interaction(interaction, actor=sales1, channel="pigeon")
    interaction.refresh_from_db()
    assert interaction.channel == "phone"
    assert interaction.customer == customer_of_sales1
    assert not ChangeLog.objects.filter(action="update").exists()


def test_delete_interaction_moves_it_to_the_recycle_bin(
    manager: Any, customer_of_sales1: Any
) -> None:
    interaction = log_interaction(
        actor=manager, customer=customer_of_sales1, channel="note", direction="internal"
    )
    delete_interaction(interaction, actor=manager)
    interaction.refresh_from_db()
    assert interaction.deleted_at is not None
    assert ChangeLog.objects.filter(action="delete", object_id=str(interaction.pk)).exists()
    with pytest.raises(ValidationError):
        update_interaction(interaction, actor=manager, subject="after delete")
