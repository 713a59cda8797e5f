"""Campaign fixtures: a real SMTP sink, a sending identity, and customers in a segment
with the consents and addresses each test needs."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from peyvand.customers.models import Consent
from peyvand.customers.services import normalize_contact
from peyvand.marketing.campaigns.services import save_campaign, save_variant
from peyvand.marketing.choices import SegmentKind
from peyvand.marketing.models import Campaign, Segment, SegmentMember
from tests.channels.email.conftest import identity, sink  # noqa: F401  (fixtures)
from tests.factories import CustomerFactory


@pytest.fixture
def segment(db: Any) -> Segment:
    return Segment.objects.create(name="VIPs", kind=SegmentKind.STATIC)


def member(
    segment: Segment | None,
    *,
    email: str = "",
    phone: str = "",
    consent: tuple[str, ...] = (),
    withdrawn: tuple[str, ...] = (),
    **fields: Any,
) -> Any:
    """A customer (in `segment` unless None) with these addresses and marketing consents."""
    customer = CustomerFactory(**fields)
    for kind, value in (("email", email), ("phone", phone)):
        if value:
            stored, normalized = normalize_contact(kind, value)
            customer.contact_points.create(
                kind=kind, value=stored, normalized=normalized, is_primary=True
            )
    now = timezone.now()
    for channels, status in ((consent, "granted"), (withdrawn, "withdrawn")):
        for channel in channels:
            Consent.objects.create(
                customer=customer,
                channel=channel,
                purpose="marketing",
                status=status,
                source="test",
                recorded_at=now,
            )
    if segment is not None:
        SegmentMember.objects.create(segment=segment, customer=customer, entered_at=now)
    return customer


def make_campaign(
    segment: Segment, sender: Any, actor: Any, *, variants: int = 1, **fields: Any
) -> Campaign:
    campaign = save_campaign(
        None,
        actor=actor,
        name=fields.pop("name", "Spring sale"),
        segment=segment,
        identity=sender,
        **fields,
    )
    for n in range(variants):
        letter = "ABCDE"[n]
        save_variant(
            campaign,
            None,
            actor=actor,
            name=letter,
            subject_en=f"Hello {{{{ first_name | friend }}}} ({letter})",
            body_en=f"Dear {{{{ first_name | friend }}}}, spring is here. Variant {letter}.",
            subject_fa=f"سلام {{{{ first_name | دوست }}}} ({letter})",
            body_fa=f"{{{{ first_name | دوست }}}} عزیز، بهار آمد. نسخه {letter}",
        )
    return campaign
