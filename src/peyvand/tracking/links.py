"""Tracked links and the open pixel of outbound messages, made at send time.

Every http(s) link in the text of an outbound email or SMS becomes `/t/c/<token>`, where the
token is signed and names only the message and the link's position in it; the destination
(with UTM parameters) is stored on the message's `TrackedMessage`. The redirect reads it from
there, so a token cannot be made to point anywhere the message did not: an altered token
fails its signature, and there is no URL in the request to trust. Emails also get a 1x1
pixel `/t/o/<token>.gif`. Tokens are deterministic: every attempt of a message sends the
same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import slugify

from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.email.rendering import text_to_html
from peyvand.channels.inbox.choices import MessagePurpose
from peyvand.channels.inbox.models import Message
from peyvand.tracking.models import TrackedMessage

# The characters RFC 3986 allows in a URL; anything else (spaces, Persian letters and
# punctuation, quotes, angle brackets) ends the link.
URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
# Sentence punctuation right after a link is the sentence's, not the link's.
TRAILING = ".,;:!?)'"
CLICK_SALT = "peyvand.tracking.click"
OPEN_SALT = "peyvand.tracking.open"
# 96 bits of HMAC: unguessable online, and short enough for an SMS.
SIGNATURE_CHARS = 16
UTM_SOURCE = "peyvand"
TRACKED_CHANNELS = (InteractionChannel.EMAIL, InteractionChannel.SMS)


class _CompactSigner(signing.Signer):
    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        return super().signature(value, key)[:SIGNATURE_CHARS]


def _sign(salt: str, *numbers: int) -> str:
    return _CompactSigner(salt=salt).sign(".".join(signing.b62_encode(n) for n in numbers))


def _unsign(salt: str, token: str, count: int) -> tuple[int, ...] | None:
    try:
        value = _CompactSigner(salt=salt).unsign(token)
        numbers = tuple(signing.b62_decode(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return numbers if len(numbers) == count and min(numbers) >= 0 else None


def click_token(message_pk: int, position: int) -> str:
    return _sign(CLICK_SALT, message_pk, position)


def parse_click_token(token: str) -> tuple[int, int] | None:
    """(message pk, link position), or None for a token we did not sign."""
    numbers = _unsign(CLICK_SALT, token, 2)
    return (numbers[0], numbers[1]) if numbers else None


def open_token(message_pk: int) -> str:
    return _sign(OPEN_SALT, message_pk)


def parse_open_token(token: str) -> int | None:
    numbers = _unsign(OPEN_SALT, token, 1)
    return numbers[0] if numbers else None


def click_url(message_pk: int, position: int) -> str:
    path = reverse("track:click", args=[click_token(message_pk, position)])
    return f"{settings.PEYVAND_PUBLIC_URL}{path}"


def open_url(message_pk: int) -> str:
    return f"{settings.PEYVAND_PUBLIC_URL}{reverse('track:open', args=[open_token(message_pk)])}"


def find_links(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, url) of each http(s) link in the text, in order."""
    for match in URL_RE.finditer(text):
        url = match.group().rstrip(TRAILING)
        if urlsplit(url).hostname:
            yield match.start(), match.start() + len(url), url


def with_utm(url: str, *, medium: str, campaign: str) -> str:
    """The URL with utm_source/medium/campaign added; parameters it already has (the
    author's own UTM tags among them) are kept as they are and never added twice."""
    parts = urlsplit(url)
    present = {key for key, _value in parse_qsl(parts.query, keep_blank_values=True)}
    wanted = {"utm_source": UTM_SOURCE, "utm_medium": medium, "utm_campaign": campaign}
    added = "&".join(
        f"{key}={quote(value, safe='')}"
        for key, value in wanted.items()
        if key not in present and value
    )
    if not added:
        return url
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _tracking_row(message: Message) -> TrackedMessage | None:
    if Message.tracking.is_cached(message):  # type: ignore[attr-defined]
        return getattr(message, "tracking", None)
    return TrackedMessage.objects.filter(pk=message.pk).first()


def campaign_of(message: Message, row: TrackedMessage | None) -> str:
    """The utm_campaign of a message: its campaign key, else its subject (or its
    conversation's) as a slug, else the channel."""
    if row is not None and row.campaign_key:
        return row.campaign_key
    subject = message.subject or message.conversation.subject
    return slugify(subject, allow_unicode=True)[:100] or message.channel


def is_tracked(message: Message) -> bool:
    """Outbound marketing email and SMS, unless tracking is off. Service messages (a ticket
    answer, a notice, an agent's own email) keep their links as written: the customer sees
    where a link goes, and nobody consented to being measured there. Never a secret (a
    sign-in code's text stays exactly as written, and nothing about it is kept)."""
    return (
        settings.PEYVAND_TRACK_MESSAGES
        and message.direction == Direction.OUTBOUND
        and message.purpose == MessagePurpose.MARKETING
        and message.channel in TRACKED_CHANNELS
        and not message.conversation.sensitive
    )


def _tracked_spans(message: Message, text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, original url, tracked url) of the text's links; their destinations are
    stored first, so a link exists before anyone can click it."""
    spans = list(find_links(text))
    if not spans:
        return []
    row = _tracking_row(message)
    campaign = campaign_of(message, row)
    medium = "sms" if message.channel == InteractionChannel.SMS else "email"
    destinations = [with_utm(url, medium=medium, campaign=campaign) for _s, _e, url in spans]
    if row is None:
        TrackedMessage.objects.update_or_create(
            message_id=message.pk, defaults={"links": destinations}
        )
    elif row.links != destinations:
        TrackedMessage.objects.filter(pk=message.pk).update(links=destinations)
    return [
        (start, end, url, click_url(message.pk, n)) for n, (start, end, url) in enumerate(spans)
    ]


def _replace(text: str, spans: list[tuple[int, int, str, str]]) -> str:
    out, last = [], 0
    for start, end, _url, tracked in spans:
        out += [text[last:start], tracked]
        last = end
    out.append(text[last:])
    return "".join(out)


def tracked_text(message: Message) -> str:
    """The text as it goes out: links replaced by tracked ones (an SMS's short link)."""
    if not is_tracked(message):
        return message.body
    return _replace(message.body, _tracked_spans(message, message.body))


def email_bodies(message: Message, *, direction: str) -> tuple[str, str]:
    """(text part, HTML part) of an email as it goes out. In the HTML each link is an
    anchor that shows the original URL and goes through the tracked redirect, and a 1x1
    pixel reports the open."""
    if not is_tracked(message):
        return message.body, text_to_html(message.body, direction=direction)
    spans = _tracked_spans(message, message.body)
    hrefs = iter(tracked for _s, _e, _url, tracked in spans)

    def paragraph(text: str) -> str:
        # Paragraphs come in order and no link spans two, so the n-th link found here is
        # the n-th of the whole text.
        out, last = [], 0
        for start, end, url in find_links(text):
            out += [escape(text[last:start]), f'<a href="{escape(next(hrefs))}">{escape(url)}</a>']
            last = end
        out.append(escape(text[last:]))
        return "".join(out)

    pixel = (
        f'<img src="{escape(open_url(message.pk))}" width="1" height="1" alt="" '
        'style="border:0;width:1px;height:1px">\n'
    )
    html = text_to_html(message.body, direction=direction, paragraph=paragraph, end=pixel)
    return _replace(message.body, spans), html
