"""State changes of quotes (§5: extra-cost work starts only once the client accepts a quote).

Every change tied to a ticket writes a ticket event with a machine key (quote.drafted,
quote.sent, quote.accepted…). Locks are always taken quote first, then ticket.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from xuala.core.claims import claim_due
from xuala.customers.models import Customer
from xuala.customers.selectors import customer_for_user
from xuala.desk.models import DONE_STATUSES, Status, Ticket
from xuala.desk.services import ALLOWED, event_record, ticket_reply, ticket_set_status
from xuala.notify.services import MailAttachment, email_enqueue
from xuala.policy.selectors import policy_active
from xuala.quotes import texts
from xuala.quotes.errors import (
    QuoteAlreadyDecided,
    QuoteExpired,
    QuoteInvalid,
    QuoteNotEditable,
    QuoteNotYours,
    TermsNotAccepted,
)
from xuala.quotes.models import (
    DECIDED,
    LineKind,
    Quote,
    QuoteCounter,
    QuoteLine,
    QuoteStatus,
    Recurrence,
)
from xuala.quotes.selectors import customer_primary_contact

MAX_REASON = 2000
MAX_QUANTITY = Decimal("999999999.999")
MAX_UNIT_PRICE = Decimal("9999999999.9999")
LANGUAGES = ("es", "en")


def policy_today(at: datetime | None = None) -> date:
    """The date in the policy's zone (where validity dates are promised)."""
    return (at or timezone.now()).astimezone(policy_active().calendar.tz).date()


# ---------------------------------------------------------------- numbering

def _sequence_next(*, year: int) -> int:
    """The next number of ``year``, safe under concurrency.

    The counter row is bumped with an UPDATE (a row lock on PostgreSQL; SQLite's
    IMMEDIATE transactions take the write lock at BEGIN) and read back inside the same
    transaction, so two drafts never get the same number. The first draft of a year
    creates the row; a concurrent first draft that loses that race bumps it instead.
    """
    with transaction.atomic():
        if QuoteCounter.objects.filter(year=year).update(last=F("last") + 1):
            return QuoteCounter.objects.get(year=year).last
        try:
            with transaction.atomic():
                QuoteCounter.objects.create(year=year, last=1)
            return 1
        except IntegrityError:
            QuoteCounter.objects.filter(year=year).update(last=F("last") + 1)
            return QuoteCounter.objects.get(year=year).last


def quote_number(year: int, sequence: int) -> str:
    return f"P-{year}-{sequence:04d}"


# ---------------------------------------------------------------- input checks

def _decimal(value, *, field: str, places: int, minimum: Decimal, maximum: Decimal,
             exclusive_minimum: bool = False) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise QuoteInvalid(f"{field} is not a number: {value!r}", code=field) from None
    too_low = number <= minimum if exclusive_minimum else number < minimum
    if not number.is_finite() or too_low or number > maximum:
        raise QuoteInvalid(f"{field} is out of range: {number}", code=field)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise QuoteInvalid(f"{field} has more than {places} decimals: {number}", code=field)
    return number


def _discount(value) -> Decimal:
    return _decimal(value, field="discount", places=2, minimum=Decimal(0),
                    maximum=Decimal(100))


def _line_values(*, description: str, kind: str, recurrence: str, quantity,
                 unit_price) -> dict:
    description = " ".join((description or "").split())
    if not description:
        raise QuoteInvalid("a line needs a description", code="description")
    if len(description) > 500:
        raise QuoteInvalid("a line's description is at most 500 characters", code="description")
    if kind not in LineKind.values:
        raise QuoteInvalid(f"unknown line kind {kind!r}", code="kind")
    if recurrence not in Recurrence.values:
        raise QuoteInvalid(f"unknown recurrence {recurrence!r}", code="recurrence")
    return {
        "description": description, "kind": kind, "recurrence": recurrence,
        "quantity": _decimal(quantity, field="quantity", places=3, minimum=Decimal(0),
                             maximum=MAX_QUANTITY, exclusive_minimum=True),
        "unit_price": _decimal(unit_price, field="unit_price", places=4, minimum=Decimal(0),
                               maximum=MAX_UNIT_PRICE),
    }


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    code = (value or "")[:2]
    return code if code in LANGUAGES else settings.LANGUAGE_CODE


def _default_terms(language: str) -> str:
    with translation.override(language):
        return translation.gettext(
            "Prices are in the currency shown, with taxes itemised. Recurring amounts are "
            "billed each period until cancelled. The work starts once this quote is accepted "
            "in the Client Area; it cannot be accepted after its validity date.")


# ---------------------------------------------------------------- locking helpers

def _locked(quote: Quote) -> Quote:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return (Quote.objects.select_for_update(of=("self",))
            .select_related("ticket", "customer", "contact").get(pk=quote.pk))


def _locked_ticket(quote: Quote) -> Ticket | None:
    if quote.ticket_id is None:
        return None
    return (Ticket.objects.select_for_update(of=("self",))
            .select_related("policy_version", "contact", "assignee").get(pk=quote.ticket_id))


def _event(quote: Quote, key: str, *, actor, at: datetime, **data) -> None:
    if quote.ticket_id is not None:
        event_record(ticket=quote.ticket, key=key, actor=actor, at=at, quote=quote.pk,
                     number=quote.number, **data)


def _editable(quote: Quote) -> Quote:
    locked = _locked(quote)
    if locked.status != QuoteStatus.DRAFT:
        raise QuoteNotEditable(f"quote {locked.number} is {locked.status}; only a draft changes",
                               code="not_draft")
    return locked


def _touch(quote: Quote) -> None:
    Quote.objects.filter(pk=quote.pk).update(updated_at=timezone.now())


# ---------------------------------------------------------------- drafting

def quote_draft(*, created_by, ticket: Ticket | None = None, customer: Customer | None = None,
                language: str | None = None, valid_until: date | None = None,
                terms: str | None = None, discount: Decimal | str = Decimal(0),
                at: datetime | None = None) -> Quote:
    """A new draft numbered P-<year>-<n>, for a ticket (and its customer) or a customer.

    The currency, tax and validity come from the policy in force (§5) and are copied onto
    the quote, so a later policy change leaves drafted quotes as they are.
    """
    if ticket is None and customer is None:
        raise QuoteInvalid("a quote needs a ticket or a customer", code="no_customer")
    if ticket is not None:
        if customer is not None and customer.pk != ticket.customer_id:
            raise QuoteInvalid("the ticket belongs to another customer", code="foreign_ticket")
        customer = ticket.customer
    at = at or timezone.now()
    rules = policy_active().policy.quotes
    today = policy_today(at)
    contact = (ticket.contact if ticket is not None and ticket.contact_id else
               customer_primary_contact(customer=customer))
    language = (_language(language) or (ticket.language[:2] if ticket is not None else None)
                or _language(getattr(contact, "language", None)) or customer.language)
    valid_until = valid_until or today + timedelta(days=max(rules.validity.days, 1))
    if valid_until < today:
        raise QuoteInvalid("the validity date has passed", code="valid_until")
    discount = _discount(discount)
    with transaction.atomic():
        sequence = _sequence_next(year=today.year)
        quote = Quote.objects.create(
            number=quote_number(today.year, sequence), year=today.year, sequence=sequence,
            ticket=ticket, customer=customer, contact=contact, status=QuoteStatus.DRAFT,
            clause=rules.clause, currency=rules.currency, tax_name=rules.tax_name,
            tax_rate=rules.tax_rate, discount=discount, valid_until=valid_until,
            terms=_default_terms(language) if terms is None else terms.strip(),
            language=language, created_by=created_by, created_at=at)
        _event(quote, "quote.drafted", actor=created_by, at=at)
    return quote


def quote_update(*, quote: Quote, actor, discount: Decimal | str | None = None,
                 valid_until: date | None = None, terms: str | None = None,
                 language: str | None = None) -> Quote:
    """Change a draft's discount, validity, terms or language."""
    with transaction.atomic():
        quote = _editable(quote)
        changed = []
        if discount is not None:
            quote.discount = _discount(discount)
            changed.append("discount")
        if valid_until is not None:
            if valid_until < policy_today():
                raise QuoteInvalid("the validity date has passed", code="valid_until")
            quote.valid_until = valid_until
            changed.append("valid_until")
        if terms is not None:
            quote.terms = terms.strip()
            changed.append("terms")
        if language is not None:
            quote.language = _language(language)
            changed.append("language")
        quote.save()
        _event(quote, "quote.updated", actor=actor, at=timezone.now(), fields=changed)
    return quote


def quote_line_add(*, quote: Quote, actor, description: str, quantity, unit_price,
                   kind: str = LineKind.WORK, recurrence: str = Recurrence.ONE_OFF
                   ) -> QuoteLine:
    values = _line_values(description=description, kind=kind, recurrence=recurrence,
                          quantity=quantity, unit_price=unit_price)
    with transaction.atomic():
        quote = _editable(quote)
        last = quote.lines.order_by("-position").values_list("position", flat=True).first()
        line = QuoteLine.objects.create(quote=quote, position=(last or 0) + 1, **values)
        _touch(quote)
        _event(quote, "quote.line_added", actor=actor, at=timezone.now(), line=line.pk)
    return line


def quote_line_update(*, line: QuoteLine, actor, description: str, quantity, unit_price,
                      kind: str, recurrence: str) -> QuoteLine:
    values = _line_values(description=description, kind=kind, recurrence=recurrence,
                          quantity=quantity, unit_price=unit_price)
    with transaction.atomic():
        quote = _editable(line.quote)
        line = QuoteLine.objects.get(pk=line.pk, quote=quote)
        for name, value in values.items():
            setattr(line, name, value)
        line.save()
        _touch(quote)
        _event(quote, "quote.line_updated", actor=actor, at=timezone.now(), line=line.pk)
    return line


def quote_line_remove(*, line: QuoteLine, actor) -> None:
    with transaction.atomic():
        quote = _editable(line.quote)
        QuoteLine.objects.filter(pk=line.pk, quote=quote).delete()
        _touch(quote)
        _event(quote, "quote.line_removed", actor=actor, at=timezone.now(), line=line.pk)


# ---------------------------------------------------------------- sending

def _ticket_to(ticket: Ticket, status: Status, *, actor, at: datetime, reason: str) -> None:
    """Move ``ticket`` to ``status``, through "open" when the direct step is not allowed."""
    if ticket.status == status:
        return
    if status not in ALLOWED[Status(ticket.status)]:
        ticket_set_status(ticket=ticket, status=Status.OPEN, actor=actor, at=at, reason=reason)
    ticket_set_status(ticket=ticket, status=status, actor=actor, at=at, reason=reason)


def quote_send(*, quote: Quote, actor, at: datetime | None = None) -> Quote:
    """Send a draft to the client: a mail in their language, and the ticket waits on it
    with its clock paused (§5)."""
    at = at or timezone.now()
    with transaction.atomic():
        quote = _editable(quote)
        lines = list(quote.lines.all())
        if not lines:
            raise QuoteInvalid("a quote needs at least one line", code="no_lines")
        if quote.valid_until < policy_today(at):
            raise QuoteInvalid("the validity date has passed", code="valid_until")
        if quote.contact is None or not quote.contact.email:
            raise QuoteInvalid("the customer has no contact to send the quote to",
                               code="no_contact")
        quote.status = QuoteStatus.SENT
        quote.sent_at = at
        quote.save()
        totals = quote.totals(lines)
        subject, body = texts.sent_mail(quote, totals)
        from xuala.quotes.pdf import quote_pdf

        pdf = MailAttachment(f"{quote.number}.pdf", quote_pdf(quote, lines=lines),
                             "application/pdf")
        email_enqueue(to=quote.contact.email, subject=subject, body_text=body,
                      purpose="quote.sent", ticket=quote.ticket, attachments=[pdf])
        ticket = _locked_ticket(quote)
        if ticket is not None:
            _event(quote, "quote.sent", actor=actor, at=at, to=quote.contact.email,
                   total=str(totals.overall.total))
            _ticket_to(ticket, Status.WAITING_QUOTE, actor=actor, at=at, reason="quote.sent")
    return quote


# ---------------------------------------------------------------- the client decides

def _check_client(quote: Quote, user) -> None:
    customer = customer_for_user(user)
    if customer is None or customer.pk != quote.customer_id or quote.status == QuoteStatus.DRAFT:
        raise QuoteNotYours("that quote is not one of this user's customer", code="not_yours")


def _check_undecided(quote: Quote) -> None:
    if quote.status in DECIDED:
        raise QuoteAlreadyDecided(f"quote {quote.number} was {quote.status} already",
                                  code=quote.status)
    if quote.status == QuoteStatus.WITHDRAWN:
        raise QuoteAlreadyDecided(f"quote {quote.number} was withdrawn", code="withdrawn")
    if quote.status == QuoteStatus.EXPIRED:
        raise _expired(quote)


def _agent_to_tell(quote: Quote, ticket: Ticket | None):
    """The assigned agent, else whoever drafted the quote, else None (the team address)."""
    if ticket is not None and ticket.assignee_id and ticket.assignee.is_active:
        return ticket.assignee
    if ticket is None and quote.created_by_id and getattr(quote.created_by, "is_agent", False):
        return quote.created_by
    return None


def _tell_agent(quote: Quote, ticket: Ticket | None, *, decision: str, purpose: str) -> None:
    agent = _agent_to_tell(quote, ticket)
    subject, body = texts.decision_mail_to_agent(quote, agent=agent, decision=decision)
    email_enqueue(to=agent.email if agent else settings.XUALA_AGENTS_EMAIL, subject=subject,
                  body_text=body, purpose=purpose, ticket=ticket)


def _no_other_quote_pending(quote: Quote) -> bool:
    return not (Quote.objects.filter(ticket_id=quote.ticket_id, status=QuoteStatus.SENT)
                .exclude(pk=quote.pk).exists())


def _after_expiry(quote: Quote, at: datetime) -> None:
    """A quote just marked expired: the event, and a waiting ticket goes back to work."""
    ticket = _locked_ticket(quote)
    _event(quote, "quote.expired", actor=None, at=at, valid_until=quote.valid_until.isoformat())
    if (ticket is not None and ticket.status == Status.WAITING_QUOTE
            and _no_other_quote_pending(quote)):
        ticket_set_status(ticket=ticket, status=Status.OPEN, at=at, reason="quote.expired")
    _tell_agent(quote, ticket, decision="expired", purpose="quote.expired")


def _expire_if_due(quote: Quote, at: datetime) -> bool:
    """Mark a sent quote whose validity date has passed as expired; True if it was."""
    if quote.status != QuoteStatus.SENT or quote.valid_until >= policy_today(at):
        return False
    claimed = Quote.objects.filter(pk=quote.pk, status=QuoteStatus.SENT).update(
        status=QuoteStatus.EXPIRED, updated_at=at)
    if claimed:
        quote.status = QuoteStatus.EXPIRED
        _after_expiry(quote, at)
    return True


def quote_accept(*, quote: Quote, user, terms_accepted: bool, ip: str | None = None,
                 user_agent: str = "", at: datetime | None = None) -> Quote:
    """The client accepts: who, when and from where are recorded, the ticket goes back to
    work with its clock running, and the agent is told.

    Raises QuoteNotYours (another customer's, or a draft), QuoteAlreadyDecided, QuoteExpired
    (a quote past its validity date is marked expired first) and TermsNotAccepted.
    """
    at = at or timezone.now()
    with transaction.atomic():
        quote, expired = _decision_open(quote, user=user, at=at)
        if not expired:
            if not terms_accepted:
                raise TermsNotAccepted("the terms must be accepted", code="terms")
            ticket = _record_decision(quote, QuoteStatus.ACCEPTED, key="quote.accepted",
                                      user=user, at=at, ip=ip, user_agent=user_agent)
            if ticket is not None and ticket.status != Status.OPEN:
                ticket_set_status(ticket=ticket, status=Status.OPEN, actor=user, at=at,
                                  reason="quote.accepted")
            _tell_agent(quote, ticket, decision="accepted", purpose="quote.accepted")
            subject, body = texts.acceptance_receipt(quote)
            email_enqueue(to=user.email, subject=subject, body_text=body,
                          purpose="quote.receipt", ticket=ticket)
    if expired:
        raise _expired(quote)
    return quote


def _decision_open(quote: Quote, *, user, at: datetime) -> tuple[Quote, bool]:
    """The quote, locked for its client's decision: theirs and undecided. The flag: it has
    just been marked expired (raise ``_expired`` once that is committed)."""
    quote = _locked(quote)
    _check_client(quote, user)
    _check_undecided(quote)
    return quote, _expire_if_due(quote, at)


def _expired(quote: Quote) -> QuoteExpired:
    return QuoteExpired(f"quote {quote.number} expired on {quote.valid_until}", code="expired")


def _record_decision(quote: Quote, status: str, *, key: str, user, at: datetime,
                     ip: str | None, user_agent: str) -> Ticket | None:
    """Who decided, when and from where (§5: acceptance must be provable), with the event
    ``key``; the quote's ticket, locked, if it has one."""
    quote.status = status
    quote.decided_at = at
    quote.decided_by = user
    quote.decided_ip = ip or None
    quote.decided_user_agent = (user_agent or "")[:500]
    quote.save()
    ticket = _locked_ticket(quote)
    _event(quote, key, actor=user, at=at, ip=quote.decided_ip)
    return ticket


def quote_reject(*, quote: Quote, user, reason: str, ip: str | None = None,
                 user_agent: str = "", at: datetime | None = None) -> Quote:
    """The client rejects, giving a reason: the change request is closed with a courteous
    public answer citing §5, and the agent is told."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        quote, expired = _decision_open(quote, user=user, at=at)
        if not expired:
            if not reason:
                raise QuoteInvalid("a rejection needs a reason", code="reason")
            quote.rejection_reason = reason[:MAX_REASON]
            ticket = _record_decision(quote, QuoteStatus.REJECTED, key="quote.rejected",
                                      user=user, at=at, ip=ip, user_agent=user_agent)
            if ticket is not None and ticket.status not in DONE_STATUSES:
                ticket_reply(ticket=ticket, author=None, body_text=texts.rejection_answer(quote),
                             status=Status.RESOLVED, at=at, reason="quote.rejected")
            _tell_agent(quote, ticket, decision="rejected", purpose="quote.rejected")
    if expired:
        raise _expired(quote)
    return quote


# ---------------------------------------------------------------- agent and engine

def quote_withdraw(*, quote: Quote, actor, reason: str = "",
                   at: datetime | None = None) -> Quote:
    """The agent takes a draft or a sent quote back, saying why; a client who had it is
    told, and a ticket waiting only on it goes back to work (§5).

    Withdrawing a sent quote needs a reason: it is one of the three ways a ticket leaves
    "waiting on quote", recorded as an event with who and why.
    """
    at = at or timezone.now()
    reason = (reason or "").strip()[:MAX_REASON]
    with transaction.atomic():
        quote = _locked(quote)
        if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            raise QuoteAlreadyDecided(f"quote {quote.number} is {quote.status}",
                                      code=quote.status)
        was_sent = quote.status == QuoteStatus.SENT
        if was_sent and not reason:
            raise QuoteInvalid("withdrawing a sent quote needs a reason", code="reason")
        quote.status = QuoteStatus.WITHDRAWN
        quote.decided_at = at
        quote.decided_by = actor
        quote.save()
        ticket = _locked_ticket(quote)
        _event(quote, "quote.withdrawn", actor=actor, at=at, reason=reason)
        if was_sent:
            if quote.contact is not None and quote.contact.email:
                subject, body = texts.withdrawn_mail(quote)
                email_enqueue(to=quote.contact.email, subject=subject, body_text=body,
                              purpose="quote.withdrawn", ticket=ticket)
            if (ticket is not None and ticket.status == Status.WAITING_QUOTE
                    and _no_other_quote_pending(quote)):
                ticket_set_status(ticket=ticket, status=Status.OPEN, actor=actor, at=at,
                                  reason="quote.withdrawn")
    return quote


def ticket_quote_withdraw(*, ticket: Ticket, actor, reason: str,
                          at: datetime | None = None) -> Ticket:
    """The agent ends a ticket's wait on a quote: every draft or sent quote of the ticket
    is withdrawn, and the ticket goes back to work without the extra-cost work (§5).

    Also the way out for a ticket that triage sent to "waiting on quote" before any quote
    was drafted. Needs a reason; the event ``quote.request_withdrawn`` records who and why.
    """
    at = at or timezone.now()
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise QuoteInvalid("ending the wait on a quote needs a reason", code="reason")
    with transaction.atomic():
        pending = list(Quote.objects.filter(ticket_id=ticket.pk, status__in=(
            QuoteStatus.DRAFT, QuoteStatus.SENT)).order_by("pk"))
        for quote in pending:
            quote_withdraw(quote=quote, actor=actor, reason=reason, at=at)
        ticket = (Ticket.objects.select_for_update(of=("self",))
                  .select_related("policy_version").get(pk=ticket.pk))
        if ticket.status != Status.WAITING_QUOTE:
            if not pending:
                raise QuoteInvalid("this ticket is not waiting on a quote", code="not_waiting")
            return ticket
        event_record(ticket=ticket, key="quote.request_withdrawn", actor=actor, at=at,
                     reason=reason, quotes=[q.number for q in pending])
        ticket_set_status(ticket=ticket, status=Status.OPEN, actor=actor, at=at,
                          reason="quote.withdrawn")
    return ticket


def quote_expire_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """Mark every sent quote past its validity date as expired; returns how many.

    In one transaction:
    1. Claim up to ``batch`` sent quotes whose valid_until is before today in the policy's
       zone (at or before yesterday), through ``xuala.core.claims.claim_due``: the claim is
       the change sent → expired, conditional on the quote still being sent with the date
       that was read; one another process claimed first, or that the client decided
       meanwhile, changes nothing and is left out.
    2. Record the event, send a waiting ticket back to work, and tell the agent.

    Why none is expired twice or missed: the status is the claim, and it commits with the
    event (a failure rolls both back, and the quote is due again on the next step).
    """
    now = now or timezone.now()
    yesterday = policy_today(now) - timedelta(days=1)
    with transaction.atomic():
        claimed = claim_due(
            Quote.objects.filter(status=QuoteStatus.SENT)
            .select_related("ticket", "customer", "created_by"),
            field="valid_until", now=yesterday, batch=batch,
            update={"status": QuoteStatus.EXPIRED, "updated_at": now}, guard=["status"])
        for quote in claimed:
            _after_expiry(quote, now)
    return len(claimed)
