"""Outbound webhooks: signed deliveries to a real HTTP receiver, retries with backoff, the
dead-letter list and replay, and the SSRF guard on every address a URL can reach."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import itertools
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from peyvand.channels.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from peyvand.channels.webhooks.services import (
    MAX_ATTEMPTS,
    deliver,
    forget_endpoints,
    post_signed,
    replay,
    save_endpoint,
)
from peyvand.core.netguard import resolve_public, validate_public_url
from peyvand.customers.services import create_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_subscriptions_left_behind() -> Iterator[None]:
    # The table is flushed after each test without signals; the cached "someone subscribes"
    # must not outlive it into other tests' query counts.
    yield
    forget_endpoints()


class Receiver(http.server.ThreadingHTTPServer):
    """A real HTTP server on loopback that records what it is sent and answers `status`."""

    def __init__(self) -> None:
        self.hits: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        self.location = ""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.hits.append((dict(self.headers), body))
                self.send_response(outer.status)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks?tenant=1"


@pytest.fixture
def receivers(settings: Any) -> Iterator[list[Receiver]]:
    # The receivers run on loopback, which only this allowance lets a webhook reach.
    settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    servers = [Receiver(), Receiver()]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def endpoint(receivers: list[Receiver], manager: Any) -> WebhookEndpoint:
    return save_endpoint(
        WebhookEndpoint(),
        url=receivers[0].url,
        event_types=["customer.created"],
        description="ERP",
        actor=manager,
    )


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check a receiver does, written from the specification."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(sig == f"v1,{expected}" for sig in headers["webhook-signature"].split())


def test_a_new_customer_reaches_the_receiver_signed(
    endpoint: WebhookEndpoint, receivers: list[Receiver], manager: Any
) -> None:
    customer = create_customer(actor=manager, display_name="نگار <script>")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    [(headers, body)] = receivers[0].hits
    assert _verify(endpoint.secret, headers, body)
    assert headers["webhook-id"] == str(delivery.event_id)
    event = json.loads(body)
    assert event["type"] == "customer.created" and event["data"]["id"] == customer.pk
    assert not _verify("whsec_" + base64.b64encode(b"x" * 24).decode(), headers, body)


def test_a_rolled_back_change_sends_nothing(
    endpoint: WebhookEndpoint, receivers: list[Receiver], manager: Any
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        create_customer(actor=manager, display_name="Never")
        raise RuntimeError
    assert not WebhookDelivery.objects.exists() and not receivers[0].hits


def test_failures_back_off_then_give_up_and_replay_sends_the_same_id(
    endpoint: WebhookEndpoint, receivers: list[Receiver], manager: Any, sales1: Any
) -> None:
    receivers[0].status = 500
    create_customer(actor=manager, display_name="Retry me")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.attempts == 1
    assert "500" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=20) < wait <= dt.timedelta(seconds=30)
    # Not due yet: a second worker run sends nothing.
    assert deliver(delivery.pk) == DeliveryStatus.RETRYING and len(receivers[0].hits) == 1
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - timezone.now())
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliver(delivery.pk)
    assert all(later > earlier for earlier, later in itertools.pairwise(waits))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == MAX_ATTEMPTS
    ids = {headers["webhook-id"] for headers, _ in receivers[0].hits}
    assert ids == {str(delivery.event_id)} and len(receivers[0].hits) == MAX_ATTEMPTS

    with pytest.raises(PermissionDenied):
        replay(delivery, actor=sales1)
    receivers[0].status = 200
    replay(delivery, actor=manager)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert receivers[0].hits[-1][0]["webhook-id"] == str(delivery.event_id)
    with pytest.raises(ValidationError):
        replay(delivery, actor=manager)


def test_a_redirect_is_not_followed(
    endpoint: WebhookEndpoint, receivers: list[Receiver], manager: Any
) -> None:
    receivers[0].status = 302
    receivers[0].location = receivers[1].url
    create_customer(actor=manager, display_name="Redirected")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING and "302" in delivery.last_error
    assert len(receivers[0].hits) == 1 and not receivers[1].hits


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://0177.0.0.1/hook",
        "http://0x7f.1/hook",
        "http://2130706433/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://localhost:8000/hook",
        "http://intranet/hook",
        "ftp://example.com/hook",
    ],
)
def test_private_addresses_are_refused_before_saving(url: str, manager: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        save_endpoint(
            WebhookEndpoint(), url=url, event_types=["order.created"], description="", actor=manager
        )
    assert "url" in caught.value.message_dict
    assert not WebhookEndpoint.objects.exists()
    with pytest.raises(ValidationError):
        post_signed(url, "whsec_" + base64.b64encode(b"k" * 24).decode(), "msg_1", b"{}")


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time() -> None:
    # The name passes the look of the URL; only resolving it shows where it goes.
    validate_public_url("http://localhost.example.test/")
    with pytest.raises(ValidationError):
        resolve_public("localhost", 80)


def test_only_managers_subscribe_and_only_to_known_events(manager: Any, sales1: Any) -> None:
    with pytest.raises(PermissionDenied):
        save_endpoint(
            WebhookEndpoint(),
            url="https://erp.example.com/hooks",
            event_types=["order.created"],
            description="",
            actor=sales1,
        )
    with pytest.raises(ValidationError) as caught:
        save_endpoint(
            WebhookEndpoint(),
            url="https://erp.example.com/hooks",
            event_types=["order.created", "customer.deleted_everything"],
            description="",
            actor=manager,
        )
    assert "event_types" in caught.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_the_screen_is_for_managers_and_shows_dead_letters(
    endpoint: WebhookEndpoint, receivers: list[Receiver], manager: Any, sales1: Any, client_for: Any
) -> None:
    assert client_for(sales1).get("/interactions/webhooks/").status_code == 404
    receivers[0].status = 500
    create_customer(actor=manager, display_name="Dead letter")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD)
    refused = client_for(sales1).post(f"/interactions/webhooks/deliveries/{delivery.pk}/replay/")
    assert refused.status_code == 404

    client = client_for(manager)
    page = client.get("/interactions/webhooks/?status=dead")
    assert page.status_code == 200 and "customer.created" in page.text and "Send again" in page.text
    receivers[0].status = 204
    assert (
        client.post(f"/interactions/webhooks/deliveries/{delivery.pk}/replay/").status_code == 302
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED

    bad = client.post(
        "/interactions/webhooks/",
        {"url": "http://169.254.169.254/<script>", "event_types": ["order.created"]},
    )
    assert bad.status_code == 400 and "private network" in bad.text
    assert "<script>" not in bad.text and WebhookEndpoint.objects.count() == 1
    assert client.post(f"/interactions/webhooks/{endpoint.pk}/toggle/").status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    create_customer(actor=manager, display_name="Paused")
    assert WebhookDelivery.objects.count() == 1


def test_an_endpoint_removed_behind_the_cache_gets_nothing(
    endpoint: WebhookEndpoint, receivers: list[Receiver], manager: Any
) -> None:
    create_customer(actor=manager, display_name="Warms the cache")
    # A bulk delete (or a restore from backup) sends no signal: the cache still says yes.
    WebhookDelivery.objects.all().delete()
    WebhookEndpoint.objects.filter(pk=endpoint.pk)._raw_delete(WebhookEndpoint.objects.db)
    create_customer(actor=manager, display_name="After the delete")
    assert not WebhookDelivery.objects.exists()
