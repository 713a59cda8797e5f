"""The hash-chained change log: writing it, and proving it intact."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from peyvand.audit.choices import ChangeAction
from peyvand.audit.context import request_id
from peyvand.audit.models import GENESIS_HASH, ChainHead, ChangeLog

# Fields that change on every save and say nothing about the customer.
_SKIP_FIELDS = {"updated_at", "search_text"}


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if hasattr(value, "amount") and hasattr(value, "currency"):  # moneyed.Money
        return f"{value.amount} {value.currency}"
    if hasattr(value, "name") and hasattr(value, "url"):  # FieldFile
        return value.name or ""
    return str(value)


def _fingerprint(secret: str) -> str:
    key = settings.SECRET_KEY.encode()
    return "redacted:" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:12]


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row as JSON-safe data: concrete fields by attname, so foreign keys are ids."""
    data: dict[str, Any] = {}
    # Secrets (API keys, signing secrets) must not outlive a rotation in an append-only log:
    # only a fingerprint of them is kept, enough to see that they changed.
    redacted = getattr(obj, "audit_redacted_fields", ())
    for field in obj._meta.concrete_fields:
        if field.attname in _SKIP_FIELDS:
            continue
        value = field.value_from_object(obj)
        if field.attname in redacted:
            value = _fingerprint(str(value)) if value else ""
        data[field.attname] = _json_value(value)
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    before, after = before or {}, after or {}
    keys = set(before) | set(after)
    return {k: (before.get(k), after.get(k)) for k in sorted(keys) if before.get(k) != after.get(k)}


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


canonical_json = _dumps
"""The one JSON spelling the chain hashes: sorted keys, no spaces, UTF-8 text."""


def payload_digest(entry: ChangeLog) -> str:
    """The digest of what a row says about the object: the part "forget" may erase."""
    payload = {"object_repr": entry.object_repr, "before": entry.before, "after": entry.after}
    return hashlib.sha256(_dumps(payload).encode()).hexdigest()


def canonical(entry: ChangeLog) -> str:
    at = entry.at.astimezone(dt.UTC) if timezone.is_aware(entry.at) else entry.at
    payload = {
        "seq": entry.seq,
        "at": at.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "request_id": entry.request_id,
        "action": entry.action,
        "content_type": entry.content_type_id,
        "object_id": entry.object_id,
        "customer_id": entry.customer_id,
        "payload": entry.payload_hash,
    }
    return _dumps(payload)


def compute_hash(prev_hash: str, entry: ChangeLog) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


@dataclass
class Change:
    action: str
    obj: models.Model
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    customer_id: int | None = None


def _customer_id_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "customers.customer":
        return obj.pk
    return getattr(obj, "customer_id", None)


def write_changes(changes: Sequence[Change], *, actor: Any = None) -> list[ChangeLog]:
    """Append rows to the chain. Must run inside the transaction that made the changes;
    the head row lock serialises concurrent writers so the chain never forks."""
    if not changes:
        return []
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        rid = request_id.get()
        now = timezone.now()
        actor_id = getattr(actor, "pk", None)
        actor_name = getattr(actor, "username", "") if actor is not None else "system"
        content_types = ContentType.objects.get_for_models(*{type(c.obj) for c in changes})
        entries = []
        seq, prev = head.seq, head.hash
        for change in changes:
            seq += 1
            entry = ChangeLog(
                seq=seq,
                at=now,
                actor_id=actor_id,
                actor_name=actor_name,
                request_id=rid,
                action=change.action,
                content_type=content_types[type(change.obj)],
                object_id=str(change.obj.pk),
                object_repr=str(change.obj)[:255],
                customer_id=change.customer_id
                if change.customer_id is not None
                else _customer_id_of(change.obj),
                before=change.before,
                after=change.after,
                prev_hash=prev,
            )
            entry.payload_hash = payload_digest(entry)
            entry.hash = prev = compute_hash(prev, entry)
            entries.append(entry)
        ChangeLog.objects.bulk_create(entries, batch_size=1000)
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])
    return entries


class RowChange(NamedTuple):
    """One row for `append_changes`: the object by id and text, with `before` and `after`
    already in `canonical_json` form, so a bulk writer serialises each payload once and
    that one text is both hashed and stored."""

    action: str
    object_id: int | str
    object_repr: str
    customer_id: int | None
    before: str | None
    after: str | None


_CHANGE_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "request_id",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "customer_id",
    "before",
    "after",
    "payload_hash",
    "redacted",
    "prev_hash",
    "hash",
)
_APPEND_BATCH = 5000
_STREAM_BATCH = 500
# COPY's text format gives these four characters a meaning; anywhere else they are escaped.
COPY_NULL = "\\N"
_COPY_SPECIAL = re.compile(r"[\\\n\r\t]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def copy_text(value: str) -> str:
    """Text as a field of PostgreSQL `COPY ... FROM STDIN` (text format)."""
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _copy_json(value: str | None) -> str:
    # canonical_json escapes every control character, so only backslashes need doubling.
    if value is None:
        return COPY_NULL
    return value.replace("\\", "\\\\") if "\\" in value else value


def append_changes(
    model: type[models.Model], changes: Iterable[RowChange], *, actor: Any = None
) -> int:
    """`write_changes` for bulk writers (imports): the same rows, links and hashes, written by
    `COPY` on PostgreSQL and one `executemany` elsewhere, without a model instance per row.

    Every row concerns an object of `model`. Returns how many rows were appended; they are
    exactly what `write_changes` would have written for the same changes, so `verify_chain`
    and the history views cannot tell the two apart.
    """
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        now = timezone.now()
        actor_id = getattr(actor, "pk", None)
        actor_name = getattr(actor, "username", "") if actor is not None else "system"
        rid = request_id.get()
        content_type_id = ContentType.objects.get_for_model(model).pk
        # `canonical()` spelled out, with everything that is the same for every row encoded
        # once; tests/audit prove the two spellings byte-identical through verify_chain.
        at = now.astimezone(dt.UTC).isoformat()
        middle = (
            f',"actor":{_dumps(actor_id)},"actor_name":{encode_basestring(actor_name)},'
            f'"at":{encode_basestring(at)},"content_type":{content_type_id},"customer_id":'
        )
        tail = f',"request_id":{encode_basestring(rid)},"seq":'
        sink: _CopySink | _InsertSink = (
            _CopySink(now, actor_id, actor_name, rid, content_type_id)
            if connection.vendor == "postgresql"
            else _InsertSink(now, actor_id, actor_name, rid, content_type_id)
        )
        sha256 = hashlib.sha256
        seq, prev, count = head.seq, head.hash, 0
        # `changes` must not query the database while it is consumed: the copy sink holds
        # the connection in COPY from its first row to its last.
        with sink:
            for action, object_id, object_repr, customer_id, before, after in changes:
                seq += 1
                object_id = str(object_id)
                object_repr = object_repr[:255]
                payload_hash = sha256(
                    f'{{"after":{"null" if after is None else after},'
                    f'"before":{"null" if before is None else before},'
                    f'"object_repr":{encode_basestring(object_repr)}}}'.encode()
                ).hexdigest()
                digest = sha256(
                    f'{prev}{{"action":{encode_basestring(action)}{middle}'
                    f"{'null' if customer_id is None else customer_id},"
                    f'"object_id":{encode_basestring(object_id)},"payload":"{payload_hash}"'
                    f"{tail}{seq}}}".encode()
                ).hexdigest()
                sink.add(
                    seq,
                    action,
                    object_id,
                    object_repr,
                    customer_id,
                    before,
                    after,
                    payload_hash,
                    prev,
                    digest,
                )
                prev = digest
                count += 1
        if count:
            ChainHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return count


class _CopySink:
    """Change-log rows as COPY text, sent a batch at a time."""

    def __init__(
        self, at: dt.datetime, actor_id: int | None, actor_name: str, rid: str, ct_id: int
    ) -> None:
        actor = COPY_NULL if actor_id is None else str(actor_id)
        self.after_seq = f"\t{at.isoformat()}\t{actor}\t{copy_text(actor_name)}\t{copy_text(rid)}\t"
        self.after_action = f"\t{ct_id}\t"
        self.lines: list[str] = []
        # One COPY for all the rows, written a few hundred at a time as they are hashed, so
        # the server stores them while the next ones are computed.
        self.stack = ExitStack()
        self.copy: Any = None
        self.sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(ChangeLog._meta.db_table),
            ", ".join(connection.ops.quote_name(c) for c in _CHANGE_COLUMNS),
        )

    def add(
        self,
        seq: int,
        action: str,
        object_id: str,
        object_repr: str,
        customer_id: int | None,
        before: str | None,
        after: str | None,
        payload_hash: str,
        prev: str,
        digest: str,
    ) -> None:
        customer = COPY_NULL if customer_id is None else customer_id
        self.lines.append(
            f"{seq}{self.after_seq}{action}{self.after_action}{copy_text(object_id)}\t"
            f"{copy_text(object_repr)}\t{customer}\t"
            f"{_copy_json(before)}\t{_copy_json(after)}\t{payload_hash}\tf\t{prev}\t{digest}\n"
        )
        if len(self.lines) >= _STREAM_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        if self.copy is None:
            cursor = self.stack.enter_context(connection.cursor())
            self.copy = self.stack.enter_context(cursor.cursor.copy(self.sql))
        self.copy.write("".join(self.lines).encode())
        self.lines.clear()

    def __enter__(self) -> _CopySink:
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self.flush()
        # Ends the COPY: completes it, or (after an error) tells the server it failed.
        self.stack.__exit__(*exc)


class _InsertSink:
    """Change-log rows for one `executemany` a batch at a time (SQLite and the rest)."""

    def __init__(
        self, at: dt.datetime, actor_id: int | None, actor_name: str, rid: str, ct_id: int
    ) -> None:
        self.constants = (connection.ops.adapt_datetimefield_value(at), actor_id, actor_name, rid)
        self.ct_id = ct_id
        self.rows: list[tuple[Any, ...]] = []
        quote = connection.ops.quote_name
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(ChangeLog._meta.db_table),
            ", ".join(quote(c) for c in _CHANGE_COLUMNS),
            ", ".join(["%s"] * len(_CHANGE_COLUMNS)),
        )

    def add(
        self,
        seq: int,
        action: str,
        object_id: str,
        object_repr: str,
        customer_id: int | None,
        before: str | None,
        after: str | None,
        payload_hash: str,
        prev: str,
        digest: str,
    ) -> None:
        at, actor_id, actor_name, rid = self.constants
        self.rows.append(
            (
                seq,
                at,
                actor_id,
                actor_name,
                rid,
                str(action),
                self.ct_id,
                object_id,
                object_repr,
                customer_id,
                before,
                after,
                payload_hash,
                False,
                prev,
                digest,
            )
        )
        if len(self.rows) >= _APPEND_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, self.rows)
        self.rows.clear()

    def __enter__(self) -> _InsertSink:
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self.flush()


@contextmanager
def record(
    obj: models.Model,
    *,
    actor: Any,
    action: str | None = None,
    customer_id: int | None = None,
    stored: bool = False,
) -> Iterator[None]:
    """Snapshot `obj` around a change and append the change-log row.

    A new (unsaved) object is logged as a create; nothing is written when nothing changed.
    `stored=True` takes the "before" from the database row instead of `obj`, for objects a
    ModelForm has already changed in memory before the service runs.
    """
    before = None
    if obj.pk is not None and not obj._state.adding:
        current = type(obj)._base_manager.filter(pk=obj.pk).first() if stored else obj
        before = snapshot(current) if current is not None else None
    yield
    after = snapshot(obj)
    if before is not None and action is None and not diff(before, after):
        return
    resolved = action or (ChangeAction.CREATE if before is None else ChangeAction.UPDATE)
    write_changes([Change(resolved, obj, before, after, customer_id)], actor=actor)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain in order and recompute every link.

    Streams the rows, so memory stays flat on millions of them. The head is read first and
    only rows up to it are checked: rows appended while the walk runs belong to a later
    verification, and a head that is ahead of the last row means the tail was removed.
    """
    head = ChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head is not None else 0
    # Forget rows are few; knowing them up front lets the walk tell a lawful erasure
    # (an older row of a forgotten customer) from a payload wiped behind our back.
    forgotten: dict[int | None, int] = {}
    for customer_id, seq in ChangeLog.objects.filter(
        action=ChangeAction.FORGET, customer_id__isnull=False, seq__lte=head_seq
    ).values_list("customer_id", "seq"):
        forgotten[customer_id] = max(seq, forgotten.get(customer_id, 0))

    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    qs = ChangeLog.objects.filter(seq__lte=head_seq).order_by("seq")
    for entry in qs.iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                f"row #{expected_seq} is missing (next row is #{entry.seq})",
                expected_seq,
            )
        if entry.prev_hash != prev:
            return VerifyResult(
                False, checked, f"row #{entry.seq} does not link to the row before it", entry.seq
            )
        if entry.redacted:
            forget_seq = forgotten.get(entry.customer_id, 0)
            if entry.seq >= forget_seq:
                return VerifyResult(
                    False, checked, f"row #{entry.seq} was erased without a forget", entry.seq
                )
        elif payload_digest(entry) != entry.payload_hash:
            return VerifyResult(False, checked, f"row #{entry.seq} was altered", entry.seq)
        if compute_hash(prev, entry) != entry.hash:
            return VerifyResult(False, checked, f"row #{entry.seq} was altered", entry.seq)
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    if head is None:
        if ChangeLog.objects.exists():
            return VerifyResult(False, checked, "the chain head row was removed", 1)
        return VerifyResult(True, 0)
    if head.seq != last_seq:
        return VerifyResult(
            False,
            checked,
            f"rows after #{last_seq} were removed (chain head is at #{head.seq})",
            last_seq + 1,
        )
    if head.hash != prev:
        return VerifyResult(False, checked, f"row #{last_seq} was altered", last_seq)
    stray = ChangeLog.objects.filter(seq__gt=head.seq).order_by("seq").first()
    if stray is not None and ChainHead.objects.filter(pk=1, seq=head.seq).exists():
        # Appends move the head in the same transaction; a row past an unmoved head
        # was inserted behind the application's back.
        return VerifyResult(False, checked, f"row #{stray.seq} is not part of the chain", stray.seq)
    return VerifyResult(True, checked)
