"""§6.3.6, urgent review: any incident of a plan site opens or joins one urgent ticket per
site and cause, on the emergency clock, with the evidence.

The causes are Online Sentry's incidents, the security audit's findings of severity high or
critical, and failed updates (``UrgentCause``). Each app calls ``urgent_review`` with its
words for the client and its evidence for the agents; the desk decides whether a ticket is
opened or an open one joined, so duplicates are merged, not multiplied:

- an open review of the same site and cause is joined: the client gets one more message on
  the same ticket, the agents one more internal note with the evidence and its files;
- a cause the client may report herself (a site down) also joins the client's own open
  emergency for the same site, found by its category;
- otherwise a new emergency ticket is opened, written by the desk in the client's language.

A review ends with its ticket (resolved or closed); the next incident opens a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from xuala.customers.models import Site
from xuala.desk.errors import AttachmentRejected, DeskError
from xuala.desk.events import event_record
from xuala.desk.messages import Upload, ticket_note, ticket_system_message
from xuala.desk.models import (
    DONE_STATUSES,
    Channel,
    Ticket,
    UrgentCause,
    UrgentReview,
)
from xuala.desk.opening import ticket_open
from xuala.policy.schema import TicketClass

log = logging.getLogger(__name__)

# The form categories under which a client reports the same cause herself: her own open
# emergency for the site is the same incident, and the system's evidence joins it.
CLIENT_CATEGORIES = {UrgentCause.SENTRY: ("site_down",)}


@dataclass(frozen=True)
class UrgentWords:
    """What the client reads, in one language: the new ticket's subject and first message,
    and the message added when another incident of the same cause joins it."""

    subject: str
    opened: str
    joined: str


@dataclass(frozen=True)
class UrgentOutcome:
    ticket: Ticket
    review: UrgentReview
    opened: bool  # a new ticket (False: an open one was joined)


def urgent_language(site: Site) -> tuple[object, str]:
    """(the site's primary contact's user or None, the language to write to her in)."""
    contact = site.customer.contacts.select_related("user").order_by("-is_primary").first()
    user = contact.user if contact else None
    return user, getattr(user, "language", None) or site.customer.language


def _open_review(site: Site, cause: str, at: datetime) -> UrgentReview | None:
    review = (UrgentReview.objects.select_related("ticket")
              .filter(site=site, cause=cause, closed_at__isnull=True).first())
    if review is not None and (review.ticket is None or review.ticket.status in DONE_STATUSES):
        UrgentReview.objects.filter(pk=review.pk).update(closed_at=at)
        return None
    return review


def _clients_own(site: Site, cause: str) -> Ticket | None:
    categories = CLIENT_CATEGORIES.get(UrgentCause(cause), ())
    if not categories:
        return None
    return (Ticket.objects.filter(customer_id=site.customer_id, site=site,
                                  category__in=categories,
                                  ticket_class=TicketClass.EMERGENCY.value)
            .exclude(status__in=DONE_STATUSES)
            .exclude(pk__in=UrgentReview.objects.filter(closed_at__isnull=True,
                                                        ticket__isnull=False)
                     .values("ticket_id"))
            .order_by("created_at").first())


def _evidence(ticket: Ticket, text: str, attachments: Sequence[Upload]) -> None:
    """The evidence as an internal note; files the desk refuses (size, count, the customer's
    quota) are named in the note instead, so the text is never lost with them."""
    try:
        with transaction.atomic():
            ticket_note(ticket=ticket, author=None, body_text=text, uploads=attachments)
        return
    except AttachmentRejected as exc:
        names = ", ".join(a.filename for a in attachments)
        text += f"\n\n(Files not attached: {names}: {exc})"
    ticket_note(ticket=ticket, author=None, body_text=text)


def urgent_review(*, site: Site, cause: str, words: Callable[[str], UrgentWords],
                  evidence: str, joined_key: str, attachments: Sequence[Upload] = (),
                  at: datetime | None = None, channel: str = Channel.AGENT,
                  category: str = "site_fault", **data) -> UrgentOutcome | None:
    """Open or join the site's urgent ticket for ``cause`` (§6.3.6); None when the desk
    cannot open one for the customer (no active service), which is logged.

    ``words(language)`` gives the client's texts in her language; ``evidence`` (and
    ``attachments``) go to the agents as an internal note; ``joined_key`` is the cause's own
    event for the message a joining incident adds to the client's ticket (its app's words
    for it); ``data`` goes into the events.
    """
    cause = UrgentCause(cause).value
    at = at or timezone.now()
    with transaction.atomic():
        review = _open_review(site, cause, at)
        if review is None:
            try:
                with transaction.atomic():
                    review = UrgentReview.objects.create(site=site, cause=cause, opened_at=at,
                                                         last_at=at, incidents=0)
            except IntegrityError:  # another process opened it a moment ago: join that one
                review = _open_review(site, cause, at)
                if review is None:
                    raise
        if review.ticket_id is None:
            own = _clients_own(site, cause)
            if own is not None:
                review.ticket = own
            else:
                return _open(review, site=site, cause=cause, words=words, evidence=evidence,
                             attachments=attachments, at=at, channel=channel,
                             category=category, data=data)
        return _join(review, cause=cause, words=words, evidence=evidence,
                     attachments=attachments, at=at, channel=channel, joined_key=joined_key,
                     data=data)


def _open(review: UrgentReview, *, site: Site, cause: str, words, evidence: str,
          attachments: Sequence[Upload], at: datetime, channel: str, category: str,
          data: dict) -> UrgentOutcome | None:
    user, language = urgent_language(site)
    said = words(language)
    try:
        with transaction.atomic():
            opened = ticket_open(customer=site.customer, contact=user, channel=channel,
                                 category=category, site=site, subject=said.subject,
                                 body_text=said.opened, received_at=at, language=language,
                                 ticket_class=TicketClass.EMERGENCY.value, by_system=True)
    except DeskError as exc:
        log.warning("no urgent ticket for %s (%s): %s", site.url, cause, exc)
        UrgentReview.objects.filter(pk=review.pk).delete()
        return None
    ticket = opened.ticket
    UrgentReview.objects.filter(pk=review.pk).update(ticket=ticket, incidents=1, last_at=at)
    review.ticket, review.incidents = ticket, 1
    _evidence(ticket, evidence, attachments)
    event_record(ticket=ticket, key="urgent.opened", at=at, cause=cause, **data)
    return UrgentOutcome(ticket=ticket, review=review, opened=True)


def _join(review: UrgentReview, *, cause: str, words, evidence: str,
          attachments: Sequence[Upload], at: datetime, channel: str, joined_key: str,
          data: dict) -> UrgentOutcome:
    ticket = review.ticket
    ticket_system_message(ticket=ticket, body_text=words(ticket.language).joined,
                          channel=channel, key=joined_key, at=at, **data)
    _evidence(ticket, evidence, attachments)
    review.incidents += 1
    UrgentReview.objects.filter(pk=review.pk).update(ticket=ticket, incidents=review.incidents,
                                                     last_at=max(at, review.last_at))
    event_record(ticket=ticket, key="urgent.joined", at=at, cause=cause,
                 incidents=review.incidents, **data)
    return UrgentOutcome(ticket=ticket, review=review, opened=False)
