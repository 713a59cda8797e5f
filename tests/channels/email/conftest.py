from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from peyvand.channels.email.models import SendingIdentity
from tests.channels.email.sink import SinkHandler, smtp_sink
from tests.factories import ContactPointFactory, CustomerFactory


@pytest.fixture
def sink(settings: Any) -> Iterator[SinkHandler]:
    with smtp_sink() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        yield handler


@pytest.fixture
def identity(db: Any) -> SendingIdentity:
    return SendingIdentity.objects.create(
        name="Support",
        from_name_en="Peyvand Support",
        from_name_fa="پشتیبانی پیوند",
        address="support@shop.example",
        signature_en="The support team",
        signature_fa="تیم پشتیبانی",
    )


def customer_with_email(address: str = "", **fields: Any) -> Any:
    customer = CustomerFactory(**fields)
    ContactPointFactory(customer=customer, value=address or f"c{customer.pk}@example.com")
    return customer
