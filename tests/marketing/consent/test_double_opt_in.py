"""Double opt-in against a real SMTP server: subscribing sends a confirmation link and
grants nothing; only the link grants consent, with source "double opt-in" and its time.
The answer never tells whether the address is on file; asking too often is refused."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.customers.models import Consent, ContactPoint, Customer
from peyvand.marketing.consent import services
from peyvand.marketing.models import SubscriptionRequest, Suppression
from tests.channels.email.sink import SinkHandler

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBE = "/marketing/subscribe/"


def main_of(response: Any) -> str:
    """The page's own content, without the per-response CSRF token and CSP nonce."""
    return response.content.decode().split('<main id="main"', 1)[1]


def link_from(message: Any) -> str:
    text = str(message.get_body(preferencelist=("plain",)).get_content())
    match = re.search(r"https?://\S+(/marketing/subscribe/confirm/\S+/)", text)
    assert match, text
    return match.group(1)


def test_a_new_address_is_subscribed_only_after_the_link_is_confirmed(
    sink: SinkHandler, identity: Any
) -> None:
    client = Client()
    response = client.post(SUBSCRIBE, {"email": " New@Example.COM ", "topics": ["newsletter"]})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert sink.count == 1
    message = sink.messages()[0]
    assert message["To"].addresses[0].addr_spec == "new@example.com"
    # Nothing granted, and no customer made for an address nobody confirmed.
    assert not Consent.objects.exists() and not Customer.objects.exists()
    link = link_from(message)

    # Opening the link only asks (a mail scanner's prefetch must not subscribe anyone).
    assert client.get(link).status_code == 200
    assert not Consent.objects.exists()
    response = client.post(link)
    assert response.status_code == 200 and "Subscription confirmed" in response.content.decode()

    point = ContactPoint.objects.get(normalized="new@example.com")
    consent = Consent.objects.get(customer=point.customer)
    assert (consent.channel, consent.purpose, consent.status, consent.source) == (
        "email",
        "newsletter",
        "granted",
        "double opt-in",
    )
    assert abs(consent.recorded_at - timezone.now()) < dt.timedelta(minutes=1)
    assert ChangeLog.objects.filter(content_type__model="consent").exists()
    # Confirming again changes nothing.
    assert client.post(link).status_code == 200
    assert Consent.objects.count() == 1 and Customer.objects.count() == 1


def test_a_known_address_gets_the_same_answer_and_its_own_customer_is_granted(
    sink: SinkHandler, identity: Any, alice: Any
) -> None:
    client = Client()
    known = client.post(SUBSCRIBE, {"email": "alice@example.com", "topics": ["marketing"]})
    unknown = client.post(SUBSCRIBE, {"email": "nobody@example.com", "topics": ["marketing"]})
    assert known.status_code == unknown.status_code == 200
    assert main_of(known) == main_of(unknown)
    mine = next(m for m in sink.messages() if "alice@example.com" in str(m["To"]))
    client.post(link_from(mine))
    assert Customer.objects.filter(contact_points__normalized="alice@example.com").count() == 1
    consent = Consent.objects.get(customer=alice)
    assert (consent.purpose, consent.status) == ("marketing", "granted")


def test_asking_again_reuses_the_pending_request_and_is_rate_limited(
    sink: SinkHandler, identity: Any
) -> None:
    client = Client()
    for topics in (["newsletter"], ["marketing"], ["newsletter"]):
        assert (
            client.post(SUBSCRIBE, {"email": "x@example.com", "topics": topics}).status_code == 200
        )
    request = SubscriptionRequest.objects.get()
    assert request.topics == ["marketing", "newsletter"]
    refused = client.post(SUBSCRIBE, {"email": "x@example.com"})
    assert refused.status_code == 429
    assert "Too many tries" in refused.content.decode()
    assert sink.count == 3 and SubscriptionRequest.objects.count() == 1


def test_bad_input_is_refused_in_the_users_language_and_records_nothing(
    sink: SinkHandler, identity: Any
) -> None:
    client = Client()
    response = client.post(SUBSCRIBE, {"email": "<script>x</script>", "topics": ["newsletter"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "not a valid email address" in body and "<script>x" not in body
    response = client.post(SUBSCRIBE, {"email": "a@example.com", "topics": ["profiling"]})
    assert response.status_code == 400
    persian = client.post(SUBSCRIBE, {"email": "nope"}, HTTP_ACCEPT_LANGUAGE="fa")
    assert persian.status_code == 400 and 'lang="fa"' in persian.content.decode()
    assert "معتبر" in persian.content.decode()
    assert not SubscriptionRequest.objects.exists() and sink.count == 0


def test_forged_expired_and_unknown_links_change_nothing(sink: SinkHandler, identity: Any) -> None:
    client = Client()
    client.post(SUBSCRIBE, {"email": "late@example.com"})
    link = link_from(sink.messages()[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(f"/marketing/subscribe/confirm/{forged}/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    other = signing.dumps({"r": 999999}, salt=services.CONFIRM_SALT, compress=True)
    assert client.post(f"/marketing/subscribe/confirm/{other}/").status_code == 400
    later = timezone.now() + dt.timedelta(hours=49)
    with pytest.raises(Exception, match="not valid or has expired"):
        services.confirm_subscription(token, now=later)
    assert not Consent.objects.exists() and not Customer.objects.exists()


def test_a_confirmed_opt_in_lifts_an_unsubscribe_but_not_a_bounce(
    sink: SinkHandler, identity: Any
) -> None:
    Suppression.objects.create(channel="email", address="back@example.com", reason="unsubscribed")
    Suppression.objects.create(channel="email", address="dead@example.com", reason="hard_bounce")
    client = Client()
    client.post(SUBSCRIBE, {"email": "back@example.com"})
    client.post(SUBSCRIBE, {"email": "dead@example.com"})
    for message in sink.messages():
        client.post(link_from(message))
    assert list(Suppression.objects.values_list("address", flat=True)) == ["dead@example.com"]


def test_the_public_api_answers_alike_and_refuses_bad_input(
    sink: SinkHandler, identity: Any, alice: Any
) -> None:
    client = Client()
    url = "/api/v1/public/subscriptions"
    known = client.post(url, {"email": "alice@example.com"}, content_type="application/json")
    unknown = client.post(url, {"email": "zed@example.com"}, content_type="application/json")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    bad = client.post(url, {"email": "not-an-email"}, content_type="application/json")
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "email"
    assert SubscriptionRequest.objects.count() == 2 and not Consent.objects.exists()
