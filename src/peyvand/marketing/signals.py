"""Where the data a segment reads is recorded, re-check that one customer after commit.

Receivers rather than calls in each app's services: orders, interactions, consent, tags,
offer answers and profile edits are written by many services (forms, API, imports, the
portal), and every one of them saves through the model. Bulk loads skip signals and are
followed by a full rebuild instead; the click-stream, written in bulk, calls
`notify_customer_changed` from its ingest service."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_save

from peyvand.channels.models import Interaction
from peyvand.customers.models import Consent, Customer
from peyvand.marketing.choices import Source
from peyvand.marketing.services import notify_customer_changed
from peyvand.personalization.models import Decision
from peyvand.sales.models import Order


def _order_saved(sender: Any, instance: Order, **kwargs: Any) -> None:
    notify_customer_changed(instance.customer_id, Source.ORDERS)


def _interaction_saved(sender: Any, instance: Interaction, **kwargs: Any) -> None:
    notify_customer_changed(instance.customer_id, Source.INTERACTIONS)


def _consent_saved(sender: Any, instance: Consent, **kwargs: Any) -> None:
    notify_customer_changed(instance.customer_id, Source.CONSENT)


def _decision_saved(sender: Any, instance: Decision, **kwargs: Any) -> None:
    notify_customer_changed(instance.customer_id, Source.OFFERS)


def _customer_saved(sender: Any, instance: Customer, created: bool, **kwargs: Any) -> None:
    # A new customer may match segments at once (e.g. "language is Persian").
    notify_customer_changed(instance.pk, Source.PROFILE)


def _tags_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:
        for customer_id in pk_set or ():
            notify_customer_changed(customer_id, Source.TAGS)
    else:
        notify_customer_changed(instance.pk, Source.TAGS)


post_save.connect(_order_saved, sender=Order, dispatch_uid="marketing_order")
post_save.connect(_interaction_saved, sender=Interaction, dispatch_uid="marketing_interaction")
post_save.connect(_consent_saved, sender=Consent, dispatch_uid="marketing_consent")
post_save.connect(_decision_saved, sender=Decision, dispatch_uid="marketing_decision")
post_save.connect(_customer_saved, sender=Customer, dispatch_uid="marketing_customer")
m2m_changed.connect(_tags_changed, sender=Customer.tags.through, dispatch_uid="marketing_tags")
