"""The intake engine: claim stored messages, parse, decide and act on each exactly once.

One path for every message, whoever runs it: the listener's batcher with the rows it just
stored (``inbounds_process``), a way in with its one row (``inbound_process``, a group of
one), and the intake engine with the rows that came due (``intake_step``).

1. Claim: each row is taken for one attempt by a conditional update that counts the
   attempt and moves ``next_attempt_at`` forward by a back-off (the contract of
   ``xuala.core.claims.claim_due``). Whoever updates nothing lost the race and leaves the
   row alone; a live worker's attempt is never taken from under it before its back-off.
2. Parse (pure Python). A message that cannot be parsed is held for an agent, raw kept.
3. Decide, reading only (``door.decide``), in order, for as many messages as can go
   together: a message that refers to another of the same group (a reply to it, or a
   second message on the ticket another acts on) waits for the next group, so it sees
   what the first did.
4. Act and mark every row of the group done in ONE transaction, each mark conditional on
   the claim still being ours; then COMMIT. A crash anywhere before the commit leaves no
   ticket, no answer and the rows "received"; they come due again after their back-off.
5. Should a group raise, it is rolled back and each of its messages runs again as a group
   of one with fresh reads: one bad message never costs the others, and its failure is
   recorded on its row (after MAX_ATTEMPTS it is marked failed).

So each message is acted on exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xuala.core.claims import claim_due
from xuala.desk.errors import DeskError
from xuala.desk.models import Ticket
from xuala.desk.services import PreparedOpen, Upload, event_record, tickets_open_write
from xuala.intake import acts, parser_process
from xuala.intake.door import Mail, Plan, Reads, decide
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.parse import ParsedMail, UnparseableMail, parse_message

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def backoff(attempts: int) -> timedelta:
    """How long the ``attempts``-th attempt holds its row: 30 s, doubling, at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** (max(1, attempts) - 1)))


# ---------------------------------------------------------------- claiming

def claim_rows(rows: Sequence[InboundMessage], now: datetime) -> list[InboundMessage]:
    """Claim an attempt on each of ``rows``; returns those claimed, attempts counted.

    The contract of ``claim_due``: a conditional update on the values read (status
    "received", the attempt count) that changes what other claimers look at (the count, and
    ``next_attempt_at`` moved to the end of the back-off). A row nobody has tried can be
    claimed at once (it is within the hand-off grace its accepting process holds); a row
    already tried only once its back-off has passed. One UPDATE … RETURNING per distinct
    attempt count (usually one: every row fresh) instead of ``claim_due``'s SELECT and one
    UPDATE per row: these rows are not "due", and the listener claims on every batch.
    """
    by_attempts: dict[int, list[InboundMessage]] = {}
    for row in rows:
        by_attempts.setdefault(row.attempts, []).append(row)
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    due = InboundMessage._meta.get_field("next_attempt_at")
    claimed: set[int] = set()
    for seen, group in by_attempts.items():
        pks = [row.pk for row in group]
        params = [due.get_db_prep_save(now + backoff(seen + 1), connection), seen + 1,
                  *pks, InboundStatus.RECEIVED.value, seen]
        waited = ""
        if seen:
            waited = " AND next_attempt_at <= %s"
            params.append(due.get_db_prep_save(now, connection))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET next_attempt_at = %s, attempts = %s "  # noqa: S608
                f"WHERE id IN ({', '.join(['%s'] * len(pks))}) AND status = %s "
                f"AND attempts = %s{waited} RETURNING id", params)
            claimed.update(pk for (pk,) in cursor.fetchall())
    for row in rows:
        if row.pk in claimed:
            row.attempts += 1
    return [row for row in rows if row.pk in claimed]


# ---------------------------------------------------------------- the ways to run it

def inbound_process(*, message: InboundMessage, refresh: bool = True) -> InboundMessage:
    """Parse, authenticate, classify and act on an accepted message, once: a group of one.

    A message no longer "received", or whose attempt another worker holds, is left alone.
    An exception is recorded on the row (attempt counted, back-off) and raised; a message
    that cannot be parsed is held for an agent, raw kept. Returns the row as stored
    afterwards; with ``refresh`` False, ``message`` itself, not read again.
    """
    failure = inbounds_process([message]).get(message.pk)
    if failure is not None:
        raise failure
    if not refresh:
        return message
    return InboundMessage.objects.defer("raw").get(pk=message.pk)


def inbounds_process(messages: Sequence[InboundMessage], *,
                     parsing: Mapping[int, Future] | None = None) -> dict[int, Exception]:
    """Claim and process rows together: one claim, one transaction per group.

    ``parsing``: by row id, the parse of its bytes begun elsewhere (the listener's parser
    process); a row without one, or whose parse did not come back, is parsed here.
    Returns the exceptions of the messages that failed, by row id (already recorded).
    """
    now = timezone.now()
    rows = list({row.pk: row for row in messages
                 if row.status == InboundStatus.RECEIVED}.values())
    return _run(claim_rows(rows, now), now, parsing or {})


def intake_step(*, batch: int = 50, now: datetime | None = None) -> int:
    """Process the "received" rows that are due; returns how many this step claimed.

    ``claim_due`` takes up to ``batch`` rows whose ``next_attempt_at`` has passed (a row
    whose accepting process died after the hand-off grace, or one whose back-off ended),
    counting the attempt; they are then processed as the listener's are.
    """
    now = now or timezone.now()
    claimed = claim_due(
        InboundMessage.objects.filter(status=InboundStatus.RECEIVED),
        field="next_attempt_at", now=now, batch=batch, guard=("attempts",),
        update=lambda row: {"attempts": row.attempts + 1,
                            "next_attempt_at": now + backoff(row.attempts + 1)})
    _run(claimed, now, {})  # failures are recorded on their rows (and logged)
    return len(claimed)


# ---------------------------------------------------------------- one run

@dataclass
class _Item:
    row: InboundMessage
    raw: bytes
    parsed: ParsedMail | None
    held: Plan | None  # held at parsing: only its row to mark
    mail: Mail | None = None
    plan: Plan | None = None
    ticket: Ticket | None = None


class _Superseded(Exception):
    """Our claim on a row was taken over while acting: roll back and leave it."""


def _run(rows: Sequence[InboundMessage], now: datetime,
         parsing: Mapping[int, Future]) -> dict[int, Exception]:
    """Parse the claimed ``rows``, then decide and act on them group by group, in order."""
    failures: dict[int, Exception] = {}
    items: list[_Item] = []
    for row in rows:
        try:
            raw, parsed, held = _parse(row, parsing.get(row.pk))
        except Exception as exc:  # the raw bytes could not be read (a file gone missing)
            _fail(row, exc, now, failures)
            continue
        items.append(_Item(row=row, raw=raw, parsed=parsed, held=held))
    reads = Reads()
    while items:
        items = _run_group(items, reads, now, failures)
    return failures


def _parse(message: InboundMessage, pending: Future | None = None,
           ) -> tuple[bytes, ParsedMail | None, Plan | None]:
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
        return raw, None, Plan("parse.held", InboundStatus.HELD, detail={"reason": reason},
                               row_fields={"error": f"{exc.__class__.__name__}: {exc}"[:4000]})


def _run_group(items: list[_Item], reads: Reads, now: datetime,
               failures: dict[int, Exception]) -> list[_Item]:
    """Decide and act on as many of ``items`` as can go together; returns the rest."""
    for item in items:
        if item.mail is None and item.parsed is not None:
            item.mail = Mail(row=item.row, raw=item.raw, parsed=item.parsed, reads=reads)
    reads.prefetch([item.mail for item in items if item.mail is not None])
    group: list[_Item] = []
    rest: list[_Item] = []
    ids_in_group: set[str] = set()
    tickets_in_group: set[int] = set()
    for item in items:
        if rest:
            rest.append(item)  # order is kept: nothing overtakes a message that waits
            continue
        if item.held is not None:
            item.plan = item.held
            group.append(item)
            continue
        mail = item.mail
        if ids_in_group.intersection(mail.thread_ids):
            rest.append(item)  # a reply to a message of this group: after it is written
            continue
        try:
            item.plan = decide(mail)
        except Exception as exc:
            _fail(item.row, exc, now, failures)
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
        _act_group(group, reads, now, failures)
    return rest


def _act_group(group: list[_Item], reads: Reads, now: datetime,
               failures: dict[int, Exception]) -> None:
    """Act on the group and mark its rows done in one transaction (see the module)."""
    try:
        with transaction.atomic():
            opening = [item for item in group if item.plan.opens]
            reads.opening.prefetch([(item.mail.contact.customer, item.row.received_at)
                                    for item in opening],
                                   texts=[acts.open_text(item.mail) for item in opening])
            prepared: list[tuple[_Item, PreparedOpen, list[Upload]]] = []
            for item in group:
                plan = item.plan
                if plan.opens:
                    opened = acts.open_prepare(item.mail, plan, reads=reads.opening)
                    if opened is not None:
                        prepared.append((item, *opened))
                        reads.answered.add(opened[0].ticket.contact.email.strip().lower())
                else:
                    item.ticket = plan.act(plan) if plan.act else None
            written = tickets_open_write([p for _, p, _ in prepared])
            for (item, _, uploads), opened in zip(prepared, written, strict=True):
                item.ticket = opened.ticket
                acts.dropped_record(item.mail, opened.ticket, uploads)
            _mark_done(group)
    except Exception as exc:
        if len(group) > 1:
            log.warning("a group of %s inbound messages failed; processing them one by one",
                        len(group), exc_info=True)
            for item in group:
                _run_alone(item, now, failures)
        elif isinstance(exc, _Superseded):
            log.warning("inbound message %s was taken over by another worker",
                        group[0].row.pk)
        elif isinstance(exc, DeskError):
            # The desk refused what the plan asked (an impossible request): an agent decides.
            # (The held plan acts on nothing, so it cannot be refused again.)
            item = group[0]
            item.plan = Plan("desk.rejected", InboundStatus.HELD,
                             detail={"planned": item.plan.outcome, "code": exc.code},
                             row_fields={"error": f"{exc.__class__.__name__}: {exc}"[:4000]})
            item.ticket = None
            _act_group([item], reads, now, failures)
        else:
            _fail(group[0].row, exc, now, failures)


def _run_alone(item: _Item, now: datetime, failures: dict[int, Exception]) -> None:
    """Decide and act on one message of a failed group again: a group of one, fresh reads
    (the group's rolled back nothing they read, but its answers were not written)."""
    rest = [_Item(row=item.row, raw=item.raw, parsed=item.parsed, held=item.held)]
    reads = Reads()
    while rest:
        rest = _run_group(rest, reads, now, failures)


def _fail(row: InboundMessage, exc: Exception, now: datetime,
          failures: dict[int, Exception]) -> None:
    """Record a failed attempt on its row: a back-off, or "failed" after the last attempt."""
    log.exception("inbound message %s failed; will retry", row.pk, exc_info=exc)
    failures[row.pk] = exc
    give_up = row.attempts >= MAX_ATTEMPTS
    InboundMessage.objects.filter(pk=row.pk, status=InboundStatus.RECEIVED,
                                  attempts=row.attempts).update(
        error=f"{exc.__class__.__name__}: {exc}"[:4000],
        status=InboundStatus.FAILED if give_up else InboundStatus.RECEIVED,
        outcome="intake.failed" if give_up else "",
        next_attempt_at=None if give_up else now + backoff(row.attempts),
    )


# ---------------------------------------------------------------- marking done

def _done_fields(item: _Item) -> dict:
    """The row's columns once acted on (written just before the commit).

    A message stored under a Message-ID already seen says so in its detail and, when it
    acted on a ticket, in an event there ("mail.message_id_reused")."""
    message, parsed, plan, ticket = item.row, item.parsed, item.plan, item.ticket
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


def _mark_done(group: list[_Item]) -> None:
    """Mark every row of the group done, each on condition that the claim is still ours
    (status "received" and the attempt count we claimed); one statement per set of columns.
    Raises _Superseded, rolling the group back, when any row was taken over."""
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    statements: dict[tuple[str, ...], list[list]] = {}
    for item in group:
        fields = _done_fields(item)
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
