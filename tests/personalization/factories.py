"""Factories for offers; customers come from tests/factories.py."""

from __future__ import annotations

import factory

from peyvand.personalization.models import Offer


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    code = factory.Sequence(lambda n: f"offer-{n}")
    kind = "content"
    title = factory.Sequence(lambda n: f"Offer {n}")
    title_fa = factory.Sequence(lambda n: f"پیشنهاد {n}")
    text = "A guide to getting more from your account."
    text_fa = "راهنمای استفادهٔ بهتر از حساب شما."
