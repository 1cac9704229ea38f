"""The mail intake pipeline: store raw, then parse, classify and act exactly once.

Every way in (SMTP/LMTP listener, MTA pipe, IMAP poller) calls ``inbound_accept``,
which commits the raw bytes before the sender is told "accepted", and then (at
once or through the intake engine) ``inbound_process``:

1. Claim the row: a conditional update on (id, status "received", attempts) that
   also moves ``next_attempt_at`` forward by a back-off. Whoever updates nothing
   lost the race and leaves the row alone.
2. Parse (pure Python). A message that cannot be parsed is held for an agent.
3. Decide, reading only: the first rule that applies wins — a delivery-status
   notification, a loop, mail to a wrong address, a stranger, an unauthenticated
   sender, a reply to a ticket, else a new ticket.
4. Act and mark the row done in ONE transaction, the mark conditional on the claim
   still being ours. A crash anywhere before that commit leaves no ticket, no
   answer and the row "received"; the intake engine retries it once its back-off
   has passed. So each message is acted on exactly once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xuala.customers.models import Contact
from xuala.customers.selectors import contact_for_email, contacts_for_emails
from xuala.desk.bulk import insert_rows
from xuala.desk.errors import CoverageRefused, DeskError
from xuala.desk.models import DONE_STATUSES, Channel, Ticket
from xuala.desk.services import (
    OpenReads,
    OpenRequest,
    PreparedOpen,
    Upload,
    event_record,
    ticket_client_message,
    ticket_open_prepare,
    tickets_open_write,
)
from xuala.intake import parser_process, selectors, texts
from xuala.intake.auth import AuthVerdict, verify_sender
from xuala.intake.models import RAW_INLINE_MAX, InboundMessage, InboundPath, InboundStatus
from xuala.intake.parse import ParsedMail, UnparseableMail, parse_message
from xuala.notify.models import OutboundEmail
from xuala.notify.services import email_enqueue
from xuala.policy.loader import LoadedPolicy
from xuala.policy.selectors import policy_active

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# A freshly accepted row is processed at once by whoever accepted it; the intake engine
# takes it only if that has not happened within this grace (the accepting process died).
HANDOFF_GRACE = timedelta(seconds=20)
LOOP_PRECEDENCE = frozenset({"bulk", "list", "junk"})
# Requests to confirm held mail sent to one address in an hour, at most (a flood guard:
# the limit that matters is one per held message or thread, see _confirmation_not_wanted).
CONFIRM_REQUESTS_PER_HOUR = 10


class UnusableMessage(ValueError):
    """The bytes offered are no message at all (empty); the sender should not retry."""


# ---------------------------------------------------------------- settings

def reopen_window() -> timedelta:
    """How long after its resolution a reply still reopens a ticket (XUALA_REOPEN_DAYS)."""
    return timedelta(days=settings.XUALA_REOPEN_DAYS)


def autoreply_period() -> timedelta:
    """At most one automatic answer per sender per this period (RFC 3834)."""
    return timedelta(minutes=settings.XUALA_AUTOREPLY_PERIOD_MINUTES)


# ---------------------------------------------------------------- accepting

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


# ---------------------------------------------------------------- processing

def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (max(1, attempts) - 1)))


def _claim(message: InboundMessage, now: datetime) -> int | None:
    """Take the row for one attempt; returns the attempt number, or None if someone else has it.

    A fresh row (no attempt yet) can be taken at once; a row already tried only once its
    back-off has passed, so a live worker's attempt is not taken from under it.
    """
    seen = message.attempts
    claimed = (InboundMessage.objects
               .filter(pk=message.pk, status=InboundStatus.RECEIVED, attempts=seen)
               .filter(Q(attempts=0) | Q(next_attempt_at__lte=now))
               .update(attempts=seen + 1, next_attempt_at=now + _backoff(seen + 1)))
    return seen + 1 if claimed else None


def inbound_process(*, message: InboundMessage, refresh: bool = True) -> InboundMessage:
    """Parse, authenticate, classify and act on an accepted message, once.

    A message no longer "received" is left alone. An exception leaves it "received" with
    its attempt counted and a back-off (the intake engine retries it; after MAX_ATTEMPTS it
    is marked failed); a message that cannot be parsed is held for an agent, raw kept.
    Returns the row as stored afterwards; with ``refresh`` False, ``message`` itself, not
    read again (for a caller that does not look at the result).
    """
    _process(message, now=timezone.now())
    if not refresh:
        return message
    return InboundMessage.objects.defer("raw").get(pk=message.pk)


def _process(message: InboundMessage, *, now: datetime) -> bool:
    """Process one row if it can be claimed; returns whether this call claimed it."""
    if message.status != InboundStatus.RECEIVED:
        return False
    attempt = _claim(message, now)
    if attempt is None:
        return False
    _attempt(message, attempt, now)
    return True


def _attempt(message: InboundMessage, attempt: int, now: datetime) -> None:
    """Run one claimed attempt; a failure is recorded on the row (back-off) and re-raised."""
    try:
        _run(message, attempt)
    except Exception as exc:
        _record_failure(message, attempt, exc, now)
        raise


def _record_failure(message: InboundMessage, attempt: int, exc: Exception,
                    now: datetime) -> None:
    give_up = attempt >= MAX_ATTEMPTS
    InboundMessage.objects.filter(pk=message.pk, status=InboundStatus.RECEIVED,
                                  attempts=attempt).update(
        error=f"{exc.__class__.__name__}: {exc}"[:4000],
        status=InboundStatus.FAILED if give_up else InboundStatus.RECEIVED,
        outcome="intake.failed" if give_up else "",
        next_attempt_at=None if give_up else now + _backoff(attempt),
    )


def intake_step(*, batch: int = 50, now: datetime | None = None) -> int:
    """Process the "received" rows that are due; returns how many this step claimed.

    1. Pick up to ``batch`` rows whose next_attempt_at has passed (indexed).
    2. Claim each with a conditional update (another engine, or the process that accepted
       it, may have got there first: then it is skipped).
    3. Process it; a failure is recorded on the row with a back-off and the step goes on.
    """
    now = now or timezone.now()
    due = list(InboundMessage.objects
               .filter(status=InboundStatus.RECEIVED, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:batch])
    claimed = 0
    for pk in due:
        row = InboundMessage.objects.filter(pk=pk, status=InboundStatus.RECEIVED).first()
        if row is None:
            continue
        try:
            claimed += _process(row, now=now)
        except Exception:
            claimed += 1
            log.exception("inbound message %s failed; will retry", pk)
    return claimed


@dataclass
class _Plan:
    """What to do with a message: an outcome, the row's status, and the action to take."""

    outcome: str
    status: str = InboundStatus.PROCESSED
    act: Callable[[_Plan], Ticket | None] | None = None
    detail: dict = field(default_factory=dict)
    row_fields: dict = field(default_factory=dict)
    # A new ticket: a batch prepares it in order and writes it with the others.
    opens: bool = False


class _Superseded(Exception):
    """Our claim on the row was taken over while acting: roll back and leave it."""


def _parse(message: InboundMessage, pending: Future | None = None,
           ) -> tuple[bytes, ParsedMail | None, _Plan | None]:
    """The raw bytes and the parsed message, or the plan that holds it for an agent.

    ``pending``: the parse of these bytes begun elsewhere; it raises what the parse raised,
    and when it gives nothing (see ``parser_process.parsed``) the bytes are parsed here.
    """
    raw = message.raw_bytes()
    try:
        parsed = parser_process.parsed(pending)
        if parsed is None:
            parsed = parse_message(raw,
                                   max_attachment_bytes=settings.XUALA_MAX_ATTACHMENT_BYTES)
        return raw, parsed, None
    except Exception as exc:
        # Parsing is pure and deterministic: retrying will not help. Keep it for an agent.
        reason = "unparseable" if isinstance(exc, UnparseableMail) else "parser_error"
        return raw, None, _Plan("parse.held", InboundStatus.HELD, detail={"reason": reason},
                                row_fields={"error": f"{exc.__class__.__name__}: {exc}"[:4000]})


def _run(message: InboundMessage, attempt: int) -> None:
    raw, parsed, held = _parse(message)
    if held is not None:
        _finish(message, attempt, None, held)
        return
    mail = _Mail(row=message, raw=raw, parsed=parsed)
    plan = _decide(mail)
    try:
        _finish(message, attempt, parsed, plan)
    except DeskError as exc:
        # The desk refused what the plan asked (an impossible request): an agent decides.
        _finish(message, attempt, parsed,
                _Plan("desk.rejected", InboundStatus.HELD,
                      detail={"planned": plan.outcome, "code": exc.code},
                      row_fields={"error": f"{exc.__class__.__name__}: {exc}"[:4000]}))


def _finish(message: InboundMessage, attempt: int, parsed: ParsedMail | None,
            plan: _Plan) -> None:
    try:
        with transaction.atomic():
            ticket = plan.act(plan) if plan.act else None
            done = InboundMessage.objects.filter(
                pk=message.pk, status=InboundStatus.RECEIVED, attempts=attempt,
            ).update(**_done_fields(message, parsed, plan, ticket))
            if not done:
                raise _Superseded
    except _Superseded:
        log.warning("inbound message %s was taken over by another worker", message.pk)


def _done_fields(message: InboundMessage, parsed: ParsedMail | None, plan: _Plan,
                 ticket: Ticket | None) -> dict:
    """The row's columns once acted on (written just before the commit).

    A message stored under a Message-ID already seen says so in its detail and, when it
    acted on a ticket, in an event there ("mail.message_id_reused")."""
    fields = {"error": "", **plan.row_fields}
    if parsed is not None:
        fields.update(from_address=parsed.from_address[:320], subject=parsed.subject[:250])
        if parsed.message_id and not message.message_id:
            fields["message_id"] = parsed.message_id[:998]
    detail = plan.detail
    if parsed is not None and parsed.from_header not in ("from", ""):
        detail = {**detail, "sender_header": parsed.from_header}  # no readable From
    reused = (message.detail or {}).get("message_id_reused")
    if reused:
        detail = {**detail, "message_id_reused": reused}
        if ticket is not None:
            event_record(ticket=ticket, key="mail.message_id_reused", inbound=message.pk,
                         first_inbound=reused, message_id=message.message_id)
    return {"status": plan.status, "outcome": plan.outcome, "detail": detail,
            "ticket": ticket, "processed_at": timezone.now(), "next_attempt_at": None, **fields}


# ---------------------------------------------------------------- many at once

def inbounds_process(messages: Sequence[InboundMessage], *,
                     parsing: Mapping[int, Future] | None = None) -> dict[int, Exception]:
    """Process rows just accepted, together: one claim, one transaction, batched writes.

    What ``inbound_process`` does for each, with the same outcome, but:

    1. One conditional UPDATE claims every fresh row (no attempt yet); a row already tried
       (a redelivery of a message stored earlier) is processed on its own.
    2. Each claimed message is parsed (one that cannot be is held for an agent) and decided
       in order, reading contacts and threads for all at once.
    3. The group acts in ONE transaction, in order: replies, answers and the rest as they
       come; new tickets prepared in order and written together at the end (one INSERT per
       table, ``tickets_open_write``); every row marked done by one statement each; then
       COMMIT. A message that refers to another of the same group (a reply to it, or to
       the ticket another message of the group acts on) waits for the next group, so it
       sees what the first did.
    4. Should any of it raise, the group's transaction is rolled back and each of its
       messages is processed on its own, as ``inbound_process`` would: one bad message
       never costs the others, and its failure is recorded on its row for the engine.

    ``parsing``: by row id, the parse of its bytes begun elsewhere (the listener's parser
    process); a row without one, or whose parse did not come back, is parsed here.

    Returns the exceptions of the messages that failed, by row id (already recorded).
    """
    now = timezone.now()
    parsing = parsing or {}
    rows = {row.pk: row for row in messages if row.status == InboundStatus.RECEIVED}
    failures: dict[int, Exception] = {}
    fresh = [row for row in rows.values() if row.attempts == 0]
    claimed = _claim_fresh([row.pk for row in fresh], now)
    later = [row for row in rows.values() if row.pk not in claimed]
    batch = _Batch()
    items: list[_Item] = []
    for row in fresh:
        if row.pk not in claimed:
            continue
        row.attempts = 1
        try:
            raw, parsed, held = _parse(row, parsing.get(row.pk))
        except Exception as exc:  # the raw bytes could not be read (a file gone missing)
            _record_failure(row, 1, exc, now)
            log.exception("inbound message %s failed; will retry", row.pk)
            failures[row.pk] = exc
            continue
        mail = _Mail(row=row, raw=raw, parsed=parsed, batch=batch) if parsed else None
        items.append(_Item(row=row, parsed=parsed, mail=mail, plan=held))
    while items:
        items = _run_group(items, batch, now, failures)
    for row in later:  # rows tried before: the single path, with its own claim
        try:
            _process(row, now=now)
        except Exception as exc:
            failures[row.pk] = exc
    return failures


@dataclass
class _Item:
    row: InboundMessage
    parsed: ParsedMail | None
    mail: _Mail | None
    plan: _Plan | None = None
    ticket: Ticket | None = None


def _claim_fresh(pks: list[int], now: datetime) -> set[int]:
    """Claim the first attempt of rows nobody has tried; returns the ids claimed."""
    if not pks:
        return set()
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    until = InboundMessage._meta.get_field("next_attempt_at").get_db_prep_save(
        now + _backoff(1), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET attempts = 1, next_attempt_at = %s "  # noqa: S608
            f"WHERE id IN ({', '.join(['%s'] * len(pks))}) AND status = %s AND attempts = 0 "
            "RETURNING id", [until, *pks, InboundStatus.RECEIVED.value])
        return {pk for (pk,) in cursor.fetchall()}


def _run_group(items: list[_Item], batch: _Batch, now: datetime,
               failures: dict[int, Exception]) -> list[_Item]:
    """Decide and act on as many of ``items`` as can go together; returns the rest."""
    batch.prefetch([item.mail for item in items if item.mail is not None and item.plan is None])
    group: list[_Item] = []
    rest: list[_Item] = []
    ids_in_group: set[str] = set()
    tickets_in_group: set[int] = set()
    for item in items:
        if rest:
            rest.append(item)  # order is kept: nothing overtakes a message that waits
            continue
        if item.plan is not None:  # held at parsing: only its row to mark
            group.append(item)
            continue
        mail = item.mail
        if ids_in_group.intersection(mail.thread_ids):
            rest.append(item)  # a reply to a message of this group: after it is written
            continue
        try:
            item.plan = _decide(mail)
        except Exception as exc:
            _record_failure(item.row, 1, exc, now)
            log.exception("inbound message %s failed; will retry", item.row.pk)
            failures[item.row.pk] = exc
            continue
        if mail.target_ticket_id is not None:
            if mail.target_ticket_id in tickets_in_group:
                item.plan = None
                rest.append(item)  # a second message on the same ticket: after the first
                continue
            tickets_in_group.add(mail.target_ticket_id)
        ids_in_group.update(i for i in (item.row.message_id, item.parsed.message_id) if i)
        group.append(item)
    if group:
        _act_group(group, batch, now, failures)
    return rest


def _act_group(group: list[_Item], batch: _Batch, now: datetime,
               failures: dict[int, Exception]) -> None:
    try:
        with transaction.atomic():
            opening = [item for item in group if item.plan.opens and item.mail.contact]
            batch.reads.prefetch([(item.mail.contact.customer, item.row.received_at)
                                  for item in opening])
            prepared: list[tuple[_Item, PreparedOpen, list[Upload]]] = []
            for item in group:
                plan = item.plan
                if plan.opens:
                    opened = _open_prepare(item.mail, plan, reads=batch.reads)
                    if opened is not None:
                        prepared.append((item, *opened))
                        batch.answered.add(opened[0].ticket.contact.email.strip().lower())
                else:
                    item.ticket = plan.act(plan) if plan.act else None
            written = tickets_open_write([p for _, p, _ in prepared])
            for (item, _, uploads), opened in zip(prepared, written, strict=True):
                item.ticket = opened.ticket
                _record_dropped(item.mail, opened.ticket, uploads)
            _mark_done(group)
    except Exception:
        log.warning("a group of %s inbound messages failed; processing them one by one",
                    len(group), exc_info=True)
        for item in group:
            try:
                _attempt(item.row, 1, now)
            except Exception as exc:
                log.exception("inbound message %s failed; will retry", item.row.pk)
                failures[item.row.pk] = exc


def _mark_done(group: list[_Item]) -> None:
    """Mark every row of the group done, each on condition that the claim is still ours."""
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    statements: dict[tuple[str, ...], list[list]] = {}
    for item in group:
        fields = _done_fields(item.row, item.parsed, item.plan, item.ticket)
        names = tuple(sorted(fields))
        values = []
        for name in names:
            model_field = InboundMessage._meta.get_field(name)
            value = fields[name]
            if model_field.is_relation:
                value = value.pk if value is not None else None
            values.append(model_field.get_db_prep_save(value, connection))
        statements.setdefault(names, []).append(
            [*values, item.row.pk, InboundStatus.RECEIVED.value, item.row.attempts])
    done = 0
    with connection.cursor() as cursor:
        for names, params in statements.items():
            columns = ", ".join(
                f"{connection.ops.quote_name(InboundMessage._meta.get_field(n).column)} = %s"
                for n in names)
            cursor.executemany(f"UPDATE {table} SET {columns} "  # noqa: S608
                               "WHERE id = %s AND status = %s AND attempts = %s", params)
            done += max(cursor.rowcount, 0)
    if done != len(group):
        raise _Superseded(f"{len(group) - done} of {len(group)} rows were taken over")


class _Batch:
    """What the messages of one batch read once: contacts, threads, the policy."""

    def __init__(self) -> None:
        self.reads = OpenReads()
        self.loaded = policy_active()
        self.contacts: dict[str, Contact | None] = {}
        self.threads: dict[str, list[tuple[int, int]]] = {}
        self.tickets: dict[int, Ticket] = {}
        # Addresses acknowledged or answered by this batch but not written yet (RFC 3834).
        self.answered: set[str] = set()

    def prefetch(self, mails: list[_Mail]) -> None:
        addresses = {m.parsed.from_address.strip().lower() for m in mails
                     if m.parsed.from_address} - self.contacts.keys()
        if addresses:
            found = contacts_for_emails(emails=addresses)
            for address in addresses:
                self.contacts[address] = found.get(address)
        # Threads and tickets are read again for each group: the last one may have written.
        self.threads = selectors.thread_index(
            message_ids=[i for m in mails for i in m.thread_ids])
        self.tickets = selectors.tickets_for_threading(
            ids={ticket_id for found in self.threads.values() for ticket_id, _ in found})

    def contact(self, address: str) -> Contact | None:
        key = address.strip().lower()
        if key not in self.contacts:
            self.contacts[key] = contact_for_email(address)
        return self.contacts[key]

    def ticket_by_message_ids(self, message_ids: Sequence[str], customer) -> Ticket | None:
        ticket_id = selectors.thread_pick(self.threads, message_ids=message_ids,
                                          customer_id=customer.pk)
        if ticket_id is None:
            return None
        if ticket_id not in self.tickets:
            self.tickets[ticket_id] = Ticket.objects.get(pk=ticket_id)
        return self.tickets[ticket_id]


# ---------------------------------------------------------------- the decision

@dataclass
class _Mail:
    """One message being decided on, with what the rules ask about it."""

    row: InboundMessage
    raw: bytes
    parsed: ParsedMail
    verdict: AuthVerdict | None = None
    batch: _Batch | None = None
    target_ticket_id: int | None = None  # the existing ticket this message acts on

    @cached_property
    def loaded(self) -> LoadedPolicy:
        return self.batch.loaded if self.batch else policy_active()

    @cached_property
    def support_address(self) -> str:
        return self.loaded.policy.channels.support_address.lower()

    @cached_property
    def company_domains(self) -> frozenset[str]:
        return frozenset(d.lower() for d in self.loaded.policy.channels.company_domains)

    def in_company_domain(self, address: str) -> bool:
        return _domain(address) in self.company_domains

    @cached_property
    def recipients(self) -> list[str]:
        """Where it was sent: the SMTP/LMTP envelope, else Delivered-To, else To and Cc."""
        envelope = [a.strip().lower() for a in self.row.envelope_to if a.strip()]
        if envelope:
            return envelope
        parsed = self.parsed
        return [a.lower() for a in (parsed.delivered_to or [*parsed.to, *parsed.cc]) if a]

    @cached_property
    def contact(self) -> Contact | None:
        address = self.parsed.from_address
        if not address:
            return None
        return self.batch.contact(address) if self.batch else contact_for_email(address)

    @cached_property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this message answers, the nearest first."""
        return [*self.parsed.in_reply_to, *reversed(self.parsed.references)]

    def ticket_by_message_ids(self, customer) -> Ticket | None:
        if self.batch:
            return self.batch.ticket_by_message_ids(self.thread_ids, customer)
        return selectors.ticket_by_message_ids(message_ids=self.thread_ids, customer=customer)

    @cached_property
    def answer_address(self) -> str:
        """Where an automatic answer goes: the envelope sender (RFC 3834), else From."""
        return (self.row.envelope_from or self.parsed.from_address or "").strip()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() if "@" in address else ""


def _decide(mail: _Mail) -> _Plan:
    for rule in (_bounce, _loop, _own_address, _no_sender, _wrong_channel, _not_client,
                 _unauthenticated, _thread_reply):
        plan = rule(mail)
        if plan is not None:
            return plan
    return _new_ticket(mail)


def _bounce(mail: _Mail) -> _Plan | None:
    """A delivery-status notification: recorded on the ticket of the mail it is about."""
    dsn = mail.parsed.dsn
    if dsn is None:
        return None
    ids = [dsn.original_message_id or "", *mail.parsed.in_reply_to,
           *reversed(mail.parsed.references)]
    outbound, ticket = selectors.mail_by_message_ids(message_ids=ids)
    detail = {"action": dsn.action, "status": dsn.status, "recipient": dsn.final_recipient,
              "diagnostic": (dsn.diagnostic or "")[:500],
              "original_message_id": dsn.original_message_id}
    if outbound is None and ticket is None:
        return _Plan("dsn.unmatched", InboundStatus.IGNORED, detail=detail)
    action = (dsn.action or "failed").lower()
    key = {"failed": "mail.bounced", "delayed": "mail.delayed"}.get(action, "mail.dsn")

    def record(plan: _Plan) -> Ticket | None:
        if outbound is not None and key == "mail.bounced":
            OutboundEmail.objects.filter(pk=outbound.pk).update(
                last_error=f"bounced: {dsn.status or ''} {dsn.diagnostic or ''}".strip()[:2000])
        if ticket is not None:
            event_record(ticket=ticket, key=key, inbound=mail.row.pk,
                         outbound=outbound.pk if outbound else None, **detail)
        return ticket

    return _Plan("dsn.recorded", detail={**detail, "event": key}, act=record)


def _loop(mail: _Mail) -> _Plan | None:
    """RFC 3834: never answer automatic mail, lists, bulk or mailer-daemons."""
    parsed = mail.parsed
    auto = (parsed.auto_submitted or "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        reason = "auto_submitted"
    elif (parsed.precedence or "").strip().lower() in LOOP_PRECEDENCE:
        reason = "precedence"
    elif parsed.is_auto_reply:
        reason = "auto_reply"
    elif parsed.is_from_mailer_daemon:
        reason = "mailer_daemon"
    elif mail.row.path in (InboundPath.SMTP, InboundPath.LMTP) and not mail.row.envelope_from:
        reason = "null_sender"
    else:
        return None
    return _Plan("loop.ignored", InboundStatus.IGNORED, detail={"reason": reason})


def _own_address(mail: _Mail) -> _Plan | None:
    """Mail from the desk's own addresses or domains is never answered."""
    sender = mail.parsed.from_address
    own = {mail.support_address, _address_of(settings.DEFAULT_FROM_EMAIL)}
    if sender and (sender in own or mail.in_company_domain(sender)):
        return _Plan("loop.own_domain", InboundStatus.IGNORED)
    return None


def _address_of(value: str) -> str:
    match = re.search(r"<([^<>]+)>", value)
    return (match[1] if match else value).strip().lower()


def _no_sender(mail: _Mail) -> _Plan | None:
    if mail.parsed.from_address and "@" in mail.parsed.from_address:
        return None
    return _Plan("parse.no_sender", InboundStatus.HELD)


def _wrong_channel(mail: _Mail) -> _Plan | None:
    """§3: sent to an address of the company that is not the support address."""
    recipients = mail.recipients
    if mail.support_address in recipients:
        return None
    ours = [address for address in recipients if mail.in_company_domain(address)]
    if not ours:
        return None  # Bcc, or a mailbox that is the support address: treat as support

    def answer(plan: _Plan) -> None:
        subject, body = texts.wrong_channel_answer(
            loaded=mail.loaded, original_subject=mail.parsed.subject, to_address=ours[0])
        plan.detail["answered"] = _auto_answer(mail, purpose="intake.wrong_channel",
                                               subject=subject, body=body)

    return _Plan("door.wrong_channel", detail={"to": ours[0]}, act=answer)


def _not_client(mail: _Mail) -> _Plan | None:
    """§6: the sender is not a contact of any customer."""
    if mail.contact is not None:
        return None
    return _Plan("door.not_client", act=_answer_not_client(mail))


def _answer_not_client(mail: _Mail) -> Callable[[_Plan], None]:
    def answer(plan: _Plan) -> None:
        subject, body = texts.not_client_answer(loaded=mail.loaded,
                                                original_subject=mail.parsed.subject)
        plan.detail["answered"] = _auto_answer(mail, purpose="intake.not_client",
                                               subject=subject, body=body)
    return answer


def _unauthenticated(mail: _Mail) -> _Plan | None:
    """A message claiming a client's address must prove it, or it does not act as them."""
    if settings.XUALA_MAIL_AUTH == "off" or mail.row.sender_confirmed_at is not None:
        return None
    row = mail.row
    mail.verdict = verify_sender(mail.raw, mail.parsed, client_ip=row.client_ip,
                                 helo=row.helo or None, mail_from=row.envelope_from or None)
    auth = {"method": mail.verdict.method, **{k: str(v) for k, v in mail.verdict.details.items()}}
    if mail.verdict.authenticated:
        return None
    user = mail.contact.user
    token = secrets.token_urlsafe(24)

    def ask(plan: _Plan) -> None:
        not_asked = _confirmation_not_wanted(mail, user)
        plan.detail["asked"] = not_asked is None
        if not_asked is not None:
            plan.detail["not_asked"] = not_asked
            return
        subject, body = texts.confirm_request(
            loaded=mail.loaded, language=user.language, address=user.email,
            original_subject=mail.parsed.subject, token=token)
        email_enqueue(to=user.email.strip(), subject=subject, body_text=body,
                      purpose=selectors.CONFIRM_PURPOSE, auto_submitted=True,
                      in_reply_to=mail.parsed.message_id or "",
                      references=mail.parsed.message_id or "")

    return _Plan("auth.held", InboundStatus.HELD, act=ask, detail={"auth": auth},
                 row_fields={"claimed_user": user, "confirm_token": token})


def _confirmation_not_wanted(mail: _Mail, user) -> str | None:
    """Why a held message's sender is not asked to confirm it (None: ask them).

    The request has its own limit, apart from the automatic answers of RFC 3834 (an
    acknowledgement minutes before must not silence it): one per held message, none when a
    message of the same thread already waits with a request sent, and at most
    CONFIRM_REQUESTS_PER_HOUR to one address, so that forged mail cannot flood a client.
    The client area lists every message waiting, asked or not.
    """
    address = (user.email or "").strip()
    if "@" not in address or mail.in_company_domain(address):
        return "no_address"
    thread = [mail.parsed.message_id or "", mail.row.message_id, *mail.thread_ids]
    if selectors.inbound_held_asked_in_thread(user=user, message_ids=thread,
                                              exclude=mail.row.pk):
        return "thread_asked"
    # Requests are written at once (a batch's too), so this count includes the batch's own.
    since = timezone.now() - timedelta(hours=1)
    if selectors.confirm_requests_since(address=address, since=since) \
            >= CONFIRM_REQUESTS_PER_HOUR:
        return "flood_limit"
    return None


def _thread_reply(mail: _Mail) -> _Plan | None:
    """A reply to one of the customer's tickets: by Message-ID first, then by [#id]."""
    customer = mail.contact.customer
    parsed = mail.parsed
    ticket = mail.ticket_by_message_ids(customer)
    how = "message_id"
    if ticket is None:
        ticket = selectors.ticket_by_subject_token(subject=parsed.subject, customer=customer)
        how = "subject_token"
    if ticket is None:
        return None
    mail.target_ticket_id = ticket.pk
    window_ends = ticket.resolved_at + reopen_window() if ticket.resolved_at else None
    if ticket.status in DONE_STATUSES and window_ends and mail.row.received_at > window_ends:
        return _Plan("ticket.linked", act=_open_linked(mail, ticket),
                     detail={"follows": ticket.pk, "threaded_by": how})

    def reply(plan: _Plan) -> Ticket:
        body_text, body_html = _body(mail)
        uploads = _uploads(mail)
        ticket_client_message(ticket=ticket, author=mail.contact.user, body_text=body_text,
                              body_html=body_html, uploads=uploads, channel=Channel.EMAIL,
                              message_id=parsed.message_id or "", at=mail.row.received_at)
        _record_dropped(mail, ticket, uploads)
        return ticket

    return _Plan("ticket.replied", act=reply,
                 detail={"threaded_by": how, "reopened": ticket.status in DONE_STATUSES})


def _open_linked(mail: _Mail, old: Ticket) -> Callable[[_Plan], Ticket | None]:
    def open_linked(plan: _Plan) -> Ticket | None:
        new = _open(mail, plan)
        if new is not None:
            event_record(ticket=new, key="ticket.linked", other=old.pk,
                         other_reference=old.reference, relation="follows")
            event_record(ticket=old, key="ticket.linked", other=new.pk,
                         other_reference=new.reference, relation="followed_by")
        return new
    return open_linked


def _new_ticket(mail: _Mail) -> _Plan:
    return _Plan("ticket.opened", act=lambda plan: _open(mail, plan), opens=True)


def _open(mail: _Mail, plan: _Plan) -> Ticket | None:
    """A new ticket via the desk's triage (it acknowledges it); §6 if there is no cover."""
    prepared = _open_prepare(mail, plan)
    if prepared is None:
        return None
    request, uploads = prepared
    opened = tickets_open_write([request])[0]
    _record_dropped(mail, opened.ticket, uploads)
    return opened.ticket


def _open_prepare(mail: _Mail, plan: _Plan, *, reads: OpenReads | None = None
                  ) -> tuple[PreparedOpen, list[Upload]] | None:
    """The ticket ``_open`` writes, prepared; None (and the §6 answer) without cover."""
    contact = mail.contact
    body_text, body_html = _body(mail)
    uploads = _uploads(mail)
    try:
        prepared = ticket_open_prepare(OpenRequest(
            customer=contact.customer, contact=contact.user, channel=Channel.EMAIL,
            subject=_subject(mail), body_text=body_text, body_html=body_html, uploads=uploads,
            message_id=mail.parsed.message_id or "", received_at=mail.row.received_at),
            reads=reads)
    except CoverageRefused:
        plan.outcome = "door.not_client"
        plan.detail["reason"] = "no_active_service"
        _answer_not_client(mail)(plan)
        return None
    return prepared, uploads


def _subject(mail: _Mail) -> str:
    subject = " ".join(mail.parsed.subject.split())
    if subject:
        return subject[:250]
    first_line = next((line.strip() for line in mail.parsed.text.splitlines() if line.strip()),
                      "")
    if first_line:
        return first_line[:80]
    with translation.override(_contact_language(mail)):
        return _("(no subject)")


def _contact_language(mail: _Mail) -> str:
    return getattr(mail.contact.user, "language", None) or mail.contact.customer.language


def _body(mail: _Mail) -> tuple[str, str]:
    parsed = mail.parsed
    text = parsed.new_text.strip() or parsed.text.strip()
    if text:
        return text, ""
    if parsed.html.strip():
        return "", parsed.html
    with translation.override(_contact_language(mail)):
        return _("(The message has no text.)"), ""


def _uploads(mail: _Mail) -> list[Upload]:
    limit = settings.XUALA_MAX_ATTACHMENT_BYTES
    fitting = [a for a in mail.parsed.attachments if 0 < len(a.content) <= limit]
    return [Upload(filename=a.filename, content=a.content, content_type=a.content_type)
            for a in fitting[: settings.XUALA_MAX_ATTACHMENTS]]


def _record_dropped(mail: _Mail, ticket: Ticket, uploads: Sequence[Upload]) -> None:
    kept = {u.filename for u in uploads}
    dropped = [*mail.parsed.oversized_attachments,
               *(a.filename for a in mail.parsed.attachments if a.filename not in kept)]
    if dropped:
        event_record(ticket=ticket, key="mail.attachments_dropped", names=dropped[:50],
                     inbound=mail.row.pk)


def _auto_answer(mail: _Mail, *, purpose: str, subject: str, body: str,
                 to: str | None = None) -> bool:
    """Send an automatic answer unless the sender had one within the period (RFC 3834)."""
    to = (to or mail.answer_address).strip()
    if not to or "@" not in to or mail.in_company_domain(to):
        return False
    if mail.batch and to.lower() in mail.batch.answered:
        return False  # acknowledged by this batch, not written yet
    if selectors.auto_answer_sent_since(address=to, since=timezone.now() - autoreply_period()):
        return False
    message_id = mail.parsed.message_id or ""
    email_enqueue(to=to, subject=subject, body_text=body, purpose=purpose, auto_submitted=True,
                  in_reply_to=message_id, references=message_id)
    return True


# ---------------------------------------------------------------- held messages

def inbound_confirm(*, message: InboundMessage, user) -> InboundMessage:
    """The contact a held message claims to come from confirms it: it is processed as theirs.

    ``message`` comes from selectors.inbound_for_confirmation (which checks the user).
    """
    if message.claimed_user_id != getattr(user, "pk", None):
        raise PermissionError("this message does not claim to come from this user")
    now = timezone.now()
    released = InboundMessage.objects.filter(
        pk=message.pk, status=InboundStatus.HELD, outcome="auth.held",
    ).update(status=InboundStatus.RECEIVED, sender_confirmed_at=now, next_attempt_at=now)
    row = InboundMessage.objects.get(pk=message.pk)
    if released:
        inbound_process(message=row)
        row.refresh_from_db()
    return row


def inbound_reject(*, message: InboundMessage, user) -> InboundMessage:
    """The contact says they did not send a held message: it is never acted upon."""
    if message.claimed_user_id != getattr(user, "pk", None):
        raise PermissionError("this message does not claim to come from this user")
    InboundMessage.objects.filter(pk=message.pk, status=InboundStatus.HELD,
                                  outcome="auth.held").update(
        status=InboundStatus.IGNORED, outcome="auth.rejected", processed_at=timezone.now())
    return InboundMessage.objects.get(pk=message.pk)
