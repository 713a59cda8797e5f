"""Sign-in codes sent before they became secrets (comms 0010) sit in ordinary threads, with
the code and the magic link in the message text and on the customer's timeline. They are
moved to the customer's hidden thread with their text cleared, as a code is cleared at the
handover now, and their timeline lines removed; a thread left empty by the move goes too.

They are told apart by the texts the portal sent them with, in English and in Persian.
The codes expired minutes after they were sent, so nothing is lost that anyone could use.
"""

import re
import secrets

from django.db import migrations

_SUBJECTS = re.compile(r"^(Your sign-in code: |کد ورود شما: )\d{6}$")
_SMS = re.compile(r"^(Your portal sign-in code is |کد ورود شما به درگاه: )\d{6}\b")


def _is_sign_in(message) -> bool:
    if message.channel == "email":
        return bool(_SUBJECTS.match(message.subject or ""))
    return bool(_SMS.match(message.body or ""))


def forget_old_codes(apps, schema_editor):
    Conversation = apps.get_model("comms", "Conversation")
    Interaction = apps.get_model("comms", "Interaction")
    Message = apps.get_model("comms", "Message")
    candidates = Message.objects.filter(
        direction="outbound",
        conversation__sensitive=False,
        conversation__customer__isnull=False,
        channel__in=["email", "sms"],
    ).select_related("conversation")
    hidden: dict[tuple[int, str], object] = {}
    emptied: set[int] = set()
    for message in candidates.iterator():
        if not _is_sign_in(message):
            continue
        conversation = message.conversation
        key = (conversation.customer_id, message.channel)
        if key not in hidden:
            hidden[key] = (
                Conversation.objects.filter(
                    customer_id=key[0], channel=key[1], sensitive=True
                )
                .order_by("pk")
                .first()
            ) or Conversation.objects.create(
                customer_id=key[0],
                channel=key[1],
                sensitive=True,
                reply_token=secrets.token_hex(8),
            )
        interaction_id = message.interaction_id
        Message.objects.filter(pk=message.pk).update(
            conversation=hidden[key],
            interaction=None,
            subject="",
            body="",
            body_html="",
            meta={**(message.meta or {}), "forgotten": True},
        )
        if interaction_id is not None:
            Interaction.objects.filter(pk=interaction_id).delete()
        emptied.add(conversation.pk)
    Conversation.objects.filter(pk__in=emptied, messages__isnull=True, ticket__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_idea_followers"),
        ("comms", "0011_delete_canned_response"),
    ]

    operations = [migrations.RunPython(forget_old_codes, migrations.RunPython.noop)]
