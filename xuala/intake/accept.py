"""Accepting mail: the raw bytes of each message stored and committed, once per message.

Every way in (the SMTP/LMTP listener, the MTA pipe, the IMAP poller) stores what it received
here before it tells the sender "accepted": the commit is the promise. Nothing is read of a
message but its Message-ID header, so accepting cannot fail on a message that parsing would
refuse (that one is stored and held for an agent later).

Why a message is stored once: the row's ``message_key`` is unique, and it is the Message-ID
(or, without one, the digest of the content as its author sent it, ``content_sha256``). A
second delivery of the same message (through two relays, or a retry after a lost 250) finds
the row; other content under a Message-ID already taken is a new message of its own, keyed
by its content. Should two deliveries race, the unique key refuses the second INSERT and the
second finds the first's row (``_accept_one``).

A freshly stored row is due only after ``HANDOFF_GRACE``: the accepting process processes it
at once (``engine.inbounds_process``), and the intake engine takes it only if that has not
happened by then (the accepting process died).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from xuala.desk.bulk import insert_rows
from xuala.intake.models import RAW_INLINE_MAX, InboundMessage, InboundPath, InboundStatus

# A freshly accepted row is processed at once by whoever accepted it; the intake engine
# takes it only if that has not happened within this grace (the accepting process died).
HANDOFF_GRACE = timedelta(seconds=20)


class UnusableMessage(ValueError):
    """The bytes offered are no message at all (empty); the sender should not retry."""


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID_HEADER = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_ANGLE_ID = re.compile(r"<[^<>]+>")


def header_message_id(raw: bytes) -> str:
    """The Message-ID header of ``raw`` ("<…>"), or "" — reading the header block only."""
    end = _HEADER_END.search(raw)
    match = _MESSAGE_ID_HEADER.search(raw[: end.start()] if end else raw)
    if not match:
        return ""
    value = "".join(match[1].decode("utf-8", "replace").split())
    if not value:
        return ""
    angle = _ANGLE_ID.search(value)
    return angle[0] if angle else f"<{value.strip('<>')}>"


def _clean_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip())) if value else None
    except ValueError:
        return None


def _store_raw_file(raw: bytes, digest: str) -> str:
    """Write large mail under MEDIA_ROOT/inbound/ durably; returns the relative path."""
    relative = f"inbound/{digest[:2]}/{digest}.eml"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return relative


@dataclass(frozen=True)
class Incoming:
    """One message as a way in received it, before it is stored."""

    raw: bytes
    path: str
    envelope_from: str = ""
    envelope_to: Sequence[str] = ()
    client_ip: str | None = None
    helo: str | None = None


def inbound_accept(*, raw: bytes, path: str, envelope_from: str = "",
                   envelope_to: Sequence[str] = (), client_ip: str | None = None,
                   helo: str | None = None) -> InboundMessage:
    """Store a message raw and commit; the same message again returns its existing row.

    Idempotent on the Message-ID and the content (``content_sha256``: the bytes without
    the relays' trace fields): the same message again is a duplicate; other content under a
    Message-ID already stored is a new message (mailers reuse Message-IDs), stored under
    its content digest with ``detail["message_id_reused"]`` naming the first row. Reads
    nothing of the message but that header. Raises UnusableMessage for empty input.
    """
    result = inbounds_accept([Incoming(raw=raw, path=path, envelope_from=envelope_from,
                                       envelope_to=envelope_to, client_ip=client_ip,
                                       helo=helo)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def inbounds_accept(incoming: Sequence[Incoming]) -> list[InboundMessage | Exception]:
    """Store several messages raw in one transaction (one INSERT) and commit.

    Returns, for each message in order, its row (the existing one for the same message
    already stored, or stored earlier in the same call) or the exception that refuses it
    (UnusableMessage, ValueError for an unknown path). Should the INSERT meet a concurrent
    delivery of one of them, each is stored on its own instead.
    """
    results: list[InboundMessage | Exception | None] = [None] * len(incoming)
    heads: list[_Head | None] = [None] * len(incoming)
    for n, item in enumerate(incoming):
        try:
            heads[n] = _accept_key(item)
        except ValueError as exc:  # UnusableMessage is a ValueError
            results[n] = exc
    wanted = sorted({k for head in heads if head for k in (head.key, head.content_key)})
    stored: dict[str, InboundMessage] = {}
    if wanted and _keys_stored(wanted):
        stored = {row.message_key: row for row in
                  InboundMessage.objects.defer("raw").filter(message_key__in=wanted)}
    new: dict[str, InboundMessage] = {}
    now = timezone.now()
    for n, (item, head) in enumerate(zip(incoming, heads, strict=True)):
        if head is None:
            continue
        key = head.key
        first = new.get(key) or stored.get(key)
        if first is not None and not head.same_content(first):
            # Other content under a Message-ID already stored: a new message of its own.
            key = head.content_key
        existing = new.get(key) or stored.get(key)
        if existing is not None:
            results[n] = existing
            continue
        row = _accept_row(item, head, key, now)
        if first is not None and key != first.message_key:
            row.detail = {"message_id_reused": first.pk}
        new[key] = results[n] = row
    if new:
        try:
            with transaction.atomic():
                insert_rows(list(new.values()))
        except IntegrityError:
            # Another delivery of one of them committed first: each on its own.
            settled = {id(row): _accept_one(row) for row in new.values()}
            results = [settled.get(id(r), r) for r in results]
    return results  # type: ignore[return-value]


# Fields that relays and the local delivery add on top of a message: a copy delivered
# twice, through two relays or two ways in, differs only in them (and in its line ends).
_TRACE_FIELDS = frozenset({
    b"received", b"return-path", b"delivered-to", b"x-original-to", b"x-envelope-from",
    b"x-envelope-to", b"envelope-to", b"x-received", b"received-spf", b"authentication-results",
    b"arc-seal", b"arc-message-signature", b"arc-authentication-results",
})


def content_sha256(raw: bytes) -> str:
    """The SHA-256 of a message as its author sent it: without the trace fields on top
    (and an mbox "From " line), with LF line ends."""
    data = raw.replace(b"\r\n", b"\n")
    pos, in_trace = 0, False
    while (end := data.find(b"\n", pos)) >= 0:
        line = data[pos:end]
        if in_trace and line[:1] in (b" ", b"\t"):
            pass  # a trace field continued
        elif pos == 0 and line.startswith(b"From "):
            pass  # the mbox separator
        elif b":" in line and line.split(b":", 1)[0].strip().lower() in _TRACE_FIELDS:
            in_trace = True
        else:
            break
        pos = end + 1
    return hashlib.sha256(data[pos:] if pos else data).hexdigest()


@dataclass(frozen=True)
class _Head:
    """What accepting reads of a message: its Message-ID and the digests of its bytes."""

    message_id: str
    raw_sha256: str
    content_sha256: str

    @property
    def key(self) -> str:
        """The idempotency key: the Message-ID, or the content when there is none."""
        if not self.message_id:
            return self.content_key
        if len(self.message_id) > 255:
            return "mid-sha256:" + hashlib.sha256(self.message_id.encode()).hexdigest()
        return self.message_id

    @property
    def content_key(self) -> str:
        """The key by content alone (no Message-ID, or one another message took first)."""
        return f"sha256:{self.content_sha256}"

    def same_content(self, row: InboundMessage) -> bool:
        # A row stored before contents were compared counts as the same message.
        return not row.content_sha256 or row.content_sha256 == self.content_sha256


def _accept_key(item: Incoming) -> _Head:
    """What identifies a message: its Message-ID header and the digests of its bytes."""
    if item.path not in InboundPath.values:
        raise ValueError(f"unknown intake path {item.path!r}")
    raw = bytes(item.raw)
    if not raw.strip():
        raise UnusableMessage("the message is empty")
    return _Head(message_id=header_message_id(raw), raw_sha256=hashlib.sha256(raw).hexdigest(),
                 content_sha256=content_sha256(raw))


def _keys_stored(keys: list[str]) -> bool:
    """Whether any of ``keys`` is stored already (one plain statement: the usual answer is
    no, and then no row is built)."""
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE message_key IN "  # noqa: S608
                       f"({', '.join(['%s'] * len(keys))}) LIMIT 1", keys)
        return cursor.fetchone() is not None


def _accept_row(item: Incoming, head: _Head, key: str, now: datetime) -> InboundMessage:
    raw, digest = bytes(item.raw), head.raw_sha256
    row = InboundMessage(
        message_key=key, message_id=head.message_id[:998], raw_size=len(raw),
        raw_sha256=digest, content_sha256=head.content_sha256, path=item.path,
        envelope_from=(item.envelope_from or "")[:500],
        envelope_to=[str(address)[:500] for address in item.envelope_to],
        client_ip=_clean_ip(item.client_ip), helo=(item.helo or "")[:255], received_at=now,
        status=InboundStatus.RECEIVED, next_attempt_at=now + HANDOFF_GRACE,
    )
    if len(raw) > RAW_INLINE_MAX:
        row.raw_file = _store_raw_file(raw, digest)
    else:
        row.raw = raw
    return row


def _accept_one(row: InboundMessage) -> InboundMessage | Exception:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError as exc:
        row.pk, row._state.adding = None, True  # a failed batch INSERT may have set them
        # Another delivery committed first under this key: the same message, or another
        # one under the same Message-ID (then this one is stored by its bytes).
        existing = InboundMessage.objects.defer("raw").filter(
            message_key=row.message_key).first()
        if existing is None:
            return exc
        content_key = f"sha256:{row.content_sha256}"
        if (not existing.content_sha256 or existing.content_sha256 == row.content_sha256
                or row.message_key == content_key):
            return existing
        row.detail = {"message_id_reused": existing.pk}
        row.message_key = content_key
        return _accept_one(row)
    return row


