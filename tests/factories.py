"""factory_boy factories for the domain models; tests build data with these, not fixtures."""

from __future__ import annotations

import factory
from django.utils import timezone

from peyvand.channels.models import Interaction
from peyvand.customers.models import ContactPoint, Customer
from peyvand.desk.models import Task


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    display_name = factory.Sequence(lambda n: f"Customer {n}")
    preferred_language = "fa"


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    customer = factory.SubFactory(CustomerFactory)
    kind = "email"
    value = factory.Sequence(lambda n: f"person{n}@example.com")
    normalized = factory.LazyAttribute(lambda o: o.value.lower())


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = "phone"
    direction = "inbound"
    occurred_at = factory.LazyFunction(timezone.now)
    subject = factory.Sequence(lambda n: f"Call {n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Task {n}")


class CustomFieldDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.CustomFieldDefinition"

    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    label_fa = factory.Sequence(lambda n: f"فیلد {n}")
    field_type = "text"
