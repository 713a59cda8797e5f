"""Bytes of an RFC 5322 message → what the rest of Peyvand stores: decoded headers (RFC 2047,
so Persian subjects read as Persian), the text, sanitised HTML and the attachments.

A message whose structure is broken (a multipart without its boundary, parts the parser
could not find) raises `UnparsableEmail`: its content would be lost or garbled, so the
caller keeps the bytes for a person instead of importing half a message.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import html
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

import nh3

# Defects after which the parsed message does not hold what the sender sent.
_FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.InvalidMultipartContentTransferEncodingDefect,
)

# Kept for display: structure and formatting, links and inline images by https/cid only.
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"dir", "lang", "title", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "font": {"color"},
}
_URL_SCHEMES = {"http", "https", "mailto", "cid"}

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n{3,}")

RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")


class UnparsableEmail(Exception):
    """The bytes are not a message we can import faithfully."""


@dataclass
class Attachment:
    filename: str
    data: bytes
    declared_type: str


@dataclass
class ParsedEmail:
    message_id: str
    sender: str  # the address only, lower-cased
    sender_name: str
    recipients: list[str]  # every address in To, Cc, Delivered-To, X-Original-To
    to_header: str
    subject: str
    text: str
    html: str  # sanitised
    in_reply_to: str
    references: list[str]
    date: dt.datetime | None
    headers: dict[str, str]
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [i for i in reversed(self.references) if i not in ids]
        return ids


def sanitize_html(raw: str) -> str:
    """HTML from outside, safe to show inside our pages: no script or style elements (their
    content removed too), no event-handler attributes, no javascript: or data: URLs."""
    return nh3.clean(
        raw,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title", "head", "noscript", "template"},
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(raw: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>|</li>", "\n", raw)
    text = html.unescape(_TAG.sub("", text))
    return _BLANKS.sub("\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def message_ids(value: str) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without angle brackets."""
    found = _MESSAGE_ID.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return [i[:255] for i in found]


def synthetic_message_id(raw: bytes) -> str:
    """For a message that has no Message-ID: the same bytes always get the same id, so a
    second delivery of them is still recognised."""
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid"


def _header(msg: EmailMessage, name: str) -> str:
    value = msg.get(name)
    return str(value).strip() if value is not None else ""


def _addresses(msg: EmailMessage, *names: str) -> list[str]:
    values = [str(v) for name in names for v in (msg.get_all(name) or [])]
    return [addr.strip().lower() for _name, addr in getaddresses(values) if "@" in addr]


def _walk(msg: EmailMessage) -> None:
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, _FATAL_DEFECTS):
                raise UnparsableEmail(f"{type(defect).__name__}: {defect}")


def _decoded_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or wrong charset: keep the text readable rather than lose it.
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        content = raw.decode("utf-8", errors="replace")
    if isinstance(content, str):
        return content
    return bytes(content).decode("utf-8", errors="replace") if isinstance(content, bytes) else ""


def parse_email(raw: bytes) -> ParsedEmail:
    if not raw or not raw.strip():
        raise UnparsableEmail("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        _walk(msg)
        if not msg.keys():
            raise UnparsableEmail("no headers")
        ids = message_ids(_header(msg, "message-id"))
        senders = getaddresses([_header(msg, "from")])
        sender_name, sender = senders[0] if senders else ("", "")
        date = None
        if msg.get("date"):
            try:
                date = parsedate_to_datetime(_header(msg, "date"))
            except (TypeError, ValueError):
                date = None
            if date is not None and date.tzinfo is None:
                date = date.replace(tzinfo=dt.UTC)
        text_parts: list[str] = []
        html_parts: list[str] = []
        attachments: list[Attachment] = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            disposition = part.get_content_disposition()
            content_type = part.get_content_type()
            filename = part.get_filename()
            if disposition == "attachment" or filename or not content_type.startswith("text/"):
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
                if content_type == "message/rfc822" and not data:
                    data = part.as_bytes()
                attachments.append(Attachment(filename or "attachment", data, content_type))
            elif content_type == "text/html":
                html_parts.append(_decoded_text(part))
            else:
                text_parts.append(_decoded_text(part))
        html_raw = "\n".join(html_parts)
        text = "\n\n".join(p.strip() for p in text_parts if p.strip())
        if not text and html_raw:
            text = html_to_text(sanitize_html(html_raw))
        subject = _header(msg, "subject").replace("\r", "").replace("\n", " ")
        return ParsedEmail(
            message_id=ids[0] if ids else synthetic_message_id(raw),
            sender=sender.strip().lower(),
            sender_name=sender_name,
            recipients=list(dict.fromkeys(_addresses(msg, *RECIPIENT_HEADERS))),
            to_header=_header(msg, "to"),
            subject=subject,
            text=text,
            html=sanitize_html(html_raw) if html_raw else "",
            in_reply_to=(message_ids(_header(msg, "in-reply-to")) or [""])[0],
            references=message_ids(_header(msg, "references")),
            date=date,
            headers={
                name: _header(msg, name)
                for name in (
                    "auto-submitted",
                    "precedence",
                    "x-auto-response-suppress",
                    "list-id",
                    "return-path",
                    "x-autoreply",
                    "x-autorespond",
                )
                if msg.get(name) is not None
            },
            attachments=attachments,
        )
    except UnparsableEmail:
        raise
    except Exception as exc:
        # The stdlib parser raises many kinds of errors on hostile headers; every one of them
        # means the same thing here: keep the bytes.
        raise UnparsableEmail(f"{type(exc).__name__}: {exc}") from exc
