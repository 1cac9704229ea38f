"""Two engines of each kind against the same due rows: every row is handled once, none skipped.

Each test makes due rows, then runs two engines of one kind at once (threads, each with its own
database connection), each stepping until its step finds nothing more to do, and checks what
the handling left behind (events, queued or sent mail, claim stamps). Run it on SQLite and on
PostgreSQL (XUALA_DATABASE_URL): there the claims also take ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.utils import timezone

from tests import factories
from tests.factories import contact_user
from xuala.desk.clocks import sla_stages
from xuala.desk.models import Channel, Ticket, TicketEvent
from xuala.desk.services import ticket_open
from xuala.desk.sla_engine import sla_sweep_step
from xuala.notify.models import OutboundEmail, OutboundStatus
from xuala.notify.services import outbox_step

MADRID = ZoneInfo("Europe/Madrid")
pytestmark = pytest.mark.django_db(transaction=True)


def race(step: Callable[[int], int], *, engines: int = 2) -> list[int]:
    """Run ``engines`` engines at once, engine ``i`` calling ``step(i)`` until a step handles
    nothing; the number each handled. (On PostgreSQL an engine may find nothing while the
    other holds the rest; that one goes on until they are done.)"""
    handled = [0] * engines
    errors: list[BaseException] = []
    start = threading.Barrier(engines)

    def engine(i: int) -> None:
        try:
            start.wait()
            while got := step(i):
                handled[i] += got
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=engine, args=(i,)) for i in range(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    return handled


def test_two_outboxes_send_every_due_message_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    OutboundEmail.objects.bulk_create(
        OutboundEmail(to=f"c{i}@cliente.es", subject=f"s{i}", body_text="b", purpose="test",
                      message_id=f"<{i}@race.test>", next_attempt_at=now - timedelta(seconds=i))
        for i in range(60))
    mail.outbox = []
    handled = race(lambda _engine: outbox_step(batch=7, now=now))
    sent = Counter(message.extra_headers["Message-ID"] for message in mail.outbox)
    assert sum(handled) == 60
    assert sent == Counter({f"<{i}@race.test>": 1 for i in range(60)})
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {
        (OutboundStatus.SENT, 1)}


def test_two_sla_sweeps_act_on_every_stage_of_every_ticket_once(hosting_customer):
    for hour in range(9, 21):
        received = datetime(2026, 11, 25, hour, tzinfo=MADRID)
        with time_machine.travel(received, tick=False):
            ticket_open(customer=hosting_customer, contact=contact_user(hosting_customer),
                        channel=Channel.PORTAL, subject="El FTP no conecta",
                        body_text="No puedo entrar", category="hosting", received_at=received)
    expected = Counter()
    for ticket in Ticket.objects.select_related("policy_version"):
        expected.update((ticket.pk, key) for _when, key in sla_stages(ticket))
    now = datetime(2026, 12, 9, tzinfo=MADRID)  # every stage of every ticket has passed
    handled = race(lambda _engine: sla_sweep_step(now=now, batch=5))
    acted = Counter(TicketEvent.objects.filter(key__startswith="sla.")
                    .exclude(key__in=["sla.paused", "sla.resumed", "sla.first_response"])
                    .values_list("ticket_id", "key"))
    assert sum(handled) == sum(expected.values()) > 12
    assert acted == expected
    assert OutboundEmail.objects.filter(purpose__startswith="sla.").count() == sum(handled)
    assert not Ticket.objects.filter(sla_next_at__isnull=False).exists()


def test_two_expiry_sweeps_expire_every_past_quote_once(hosting_customer, agent_user):
    from xuala.quotes.models import Quote, QuoteStatus
    from xuala.quotes.services import quote_draft, quote_expire_due, quote_line_add, quote_send

    monday = datetime(2026, 11, 23, 12, tzinfo=MADRID)
    with time_machine.travel(monday, tick=False):
        for i in range(8):
            ticket = ticket_open(customer=hosting_customer,
                                 contact=contact_user(hosting_customer), channel=Channel.PORTAL,
                                 subject=f"Ampliar el disco {i}", body_text="Más espacio.",
                                 category="hosting", received_at=monday).ticket
            quote = quote_draft(ticket=ticket, created_by=agent_user)
            quote_line_add(quote=quote, actor=agent_user, description="Migración",
                           quantity=Decimal("1"), unit_price=Decimal("10"))
            quote_send(quote=quote, actor=agent_user)
    later = datetime(2027, 3, 1, 12, tzinfo=MADRID)  # past every quote's validity
    with time_machine.travel(later, tick=False):
        handled = race(lambda _engine: quote_expire_due(now=later, batch=3))
    assert sum(handled) == 8
    assert set(Quote.objects.values_list("status", flat=True)) == {QuoteStatus.EXPIRED}
    expired = Counter(TicketEvent.objects.filter(key="quote.expired")
                      .values_list("ticket_id", flat=True))
    assert expired == Counter({pk: 1 for pk in Quote.objects.values_list("ticket_id",
                                                                          flat=True)})


def test_two_reminder_engines_remind_every_due_meeting_once(plan_customer, agent_user):
    from xuala.meetings.models import Meeting, MeetingRequest, MeetingStatus

    now = datetime(2026, 11, 23, 12, tzinfo=MADRID)
    for i in range(10):
        ticket = ticket_open(customer=plan_customer, contact=contact_user(plan_customer),
                             channel=Channel.PORTAL, subject=f"Ayuda {i}", body_text="Hola",
                             category="hosting", received_at=now).ticket
        request = MeetingRequest.objects.create(ticket=ticket, customer=plan_customer)
        starts = now + timedelta(hours=1, minutes=30 * i)
        Meeting.objects.create(request=request, agent=agent_user, starts_at=starts,
                               ends_at=starts + timedelta(minutes=30), uid=f"race-{i}@test",
                               room_url="https://meet.jit.si/xuala-race",
                               reminder_at=now - timedelta(minutes=i))
    with time_machine.travel(now, tick=False):
        handled = race(lambda _engine: _reminders(now))
    assert sum(handled) == 10
    reminded = Counter(TicketEvent.objects.filter(key="meeting.reminded")
                       .values_list("data__meeting", flat=True))
    assert reminded == Counter({pk: 1 for pk in Meeting.objects.values_list("pk", flat=True)})
    assert not Meeting.objects.filter(status=MeetingStatus.CONFIRMED,
                                      reminder_sent_at__isnull=True).exists()


def _reminders(now: datetime) -> int:
    from xuala.meetings.services import meeting_reminders_step

    return meeting_reminders_step(now=now, batch=3)


def test_two_sentry_engines_claim_every_due_monitor_once():
    from xuala.customers.models import HostingServer, Site
    from xuala.sentry import services
    from xuala.sentry.engine import claim
    from xuala.sentry.models import Monitor

    customer = factories.customer(name="Muchas SL", email="z@muchas.es", plan="cobertura-anual")
    Site.objects.bulk_create(Site(customer=customer, url=f"https://s{i}.muchas.es/")
                             for i in range(80))
    HostingServer.objects.update(is_active=False)
    services.monitors_sync()
    now = timezone.now() + timedelta(minutes=2)
    taken: list[list[int]] = [[], []]

    def step(engine: int) -> int:
        got = claim(engine="ab"[engine], now=now, batch=9)
        taken[engine].extend(due.pk for due in got)
        return len(got)

    handled = race(step)
    every = taken[0] + taken[1]
    assert sum(handled) == len(every) == len(set(every)) == Monitor.objects.count() > 80
    assert set(Monitor.objects.values_list("claimed_by", flat=True)) <= {"a", "b"}
