"""Reading delivery reports out of inbound email: DSNs (RFC 3464, multipart/report with a
message/delivery-status part) and abuse feedback (RFC 5965 ARF, a message/feedback-report
part). Pure parsing: what to do with a report is `services.apply_report`."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import Message

from peyvand.core.text import normalize_email

HARD, SOFT, DELIVERED, COMPLAINT = "hard", "soft", "delivered", "complaint"

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True)
class Report:
    kind: str  # HARD, SOFT, DELIVERED or COMPLAINT
    address: str  # normalised recipient the report is about
    status: str = ""  # the DSN status code, "" for a complaint


def _fields(text: str) -> list[dict[str, str]]:
    """The header-like field groups of a report body, separated by blank lines; names
    lower-cased, continuation lines joined."""
    groups: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                groups.append(current)
            current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            last = name.strip().lower()
            current[last] = value.strip()
    if current:
        groups.append(current)
    return groups


def _address(value: str) -> str:
    # "rfc822; someone@example.com" (RFC 3464 address-type; address)
    return normalize_email(value.partition(";")[2] if ";" in value else value).strip("<> ")


def _part_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/* parts are parsed into sub-messages
        return "\n\n".join(str(sub) for sub in payload)
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode(part.get_content_charset() or "utf-8", "replace")
    return str(payload)


def _delivery_status(part: Message) -> list[Report]:
    reports = []
    for group in _fields(_part_text(part))[1:]:  # the first group is per-message fields
        recipient = group.get("final-recipient") or group.get("original-recipient") or ""
        address = _address(recipient)
        action = group.get("action", "").lower()
        match = _STATUS.match(group.get("status", ""))
        if not address or "@" not in address:
            continue
        code = group.get("status", "").split()[0] if group.get("status") else ""
        if action == "delivered" or (match and match.group(1) == "2"):
            reports.append(Report(DELIVERED, address, code))
        elif action == "failed" and match and match.group(1) == "5":
            reports.append(Report(HARD, address, code))
        elif action in ("failed", "delayed") and match and match.group(1) == "4":
            reports.append(Report(SOFT, address, code))
    return reports


def _feedback(part: Message, whole: Message) -> list[Report]:
    groups = _fields(_part_text(part))
    fields = groups[0] if groups else {}
    if fields.get("feedback-type", "").lower() not in ("abuse", "fraud", ""):
        return []
    recipient = fields.get("original-rcpt-to", "")
    if not recipient:
        # Many providers redact it; the returned message's own To header names the recipient.
        for sub in whole.walk():
            if sub.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
                inner = sub.get_payload()
                headers = inner[0] if isinstance(inner, list) and inner else None
                if isinstance(headers, Message):
                    recipient = str(headers.get("To", ""))
                else:
                    recipient = str(email.message_from_string(_part_text(sub)).get("To", ""))
                break
    address = _address(email.utils.parseaddr(recipient)[1] or recipient)
    return [Report(COMPLAINT, address)] if "@" in address else []


def parse_report(raw: bytes) -> list[Report] | None:
    """The reports in `raw`, or None when it is not a delivery or feedback report (an
    ordinary email, for the inbox)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    param = message.get_param("report-type")
    report_type = param.lower() if isinstance(param, str) else ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status" and report_type in ("", "delivery-status"):
            return _delivery_status(part)
        if content_type == "message/feedback-report" and report_type in ("", "feedback-report"):
            return _feedback(part, message)
    return None
