"""SLA tracking: clocks pause while waiting on the client; the sweep warns and records breaches."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from tests.factories import contact_user
from xuala.desk.models import Channel, Status, Ticket
from xuala.desk.services import (
    ticket_client_message,
    ticket_open,
    ticket_reply,
    ticket_set_status,
)
from xuala.desk.sla_engine import sla_sweep_step
from xuala.notify.models import OutboundEmail

MADRID = ZoneInfo("Europe/Madrid")


def at(*args):
    return datetime(*args, tzinfo=MADRID)


def open_hosting(customer, received):
    """Opens a ticket as the portal does at `received` (the clock is there too: the
    acknowledgement is stamped when it is sent)."""
    with time_machine.travel(received, tick=False):
        return ticket_open(customer=customer, contact=contact_user(customer),
                           channel=Channel.PORTAL, subject="El FTP no conecta",
                           body_text="Desde esta mañana", category="hosting",
                           received_at=received).ticket


def keys(ticket):
    return list(ticket.events.values_list("key", flat=True))


def test_it_clocks_a_ticket_with_the_policy_version_in_force(hosting_customer):
    ticket = open_hosting(hosting_customer, at(2026, 11, 25, 12))
    assert ticket.policy_version.source.startswith("# Xuala Desk")
    assert ticket.target_at == at(2026, 11, 26, 12)
    assert ticket.due_at == at(2026, 11, 30, 12)  # Wed 12:00 + 72 h of working days
    assert ticket.sla_next_at == at(2026, 11, 26, 8)  # 4 h warning before the target


def test_waiting_on_the_client_pauses_the_clock_and_moves_the_due_time(hosting_customer,
                                                                      agent_user):
    ticket = open_hosting(hosting_customer, at(2026, 11, 25, 12))
    ticket_set_status(ticket=ticket, status=Status.WAITING_CLIENT, actor=agent_user,
                      at=at(2026, 11, 25, 14))
    ticket.refresh_from_db()
    assert ticket.paused_since == at(2026, 11, 25, 14)
    assert ticket.sla_next_at is None and ticket.queue_rank == 2
    # The client answers 3 h later: the clock resumes and everything moves 3 h.
    ticket_client_message(ticket=ticket, author=contact_user(hosting_customer),
                          body_text="Aquí están los datos", at=at(2026, 11, 25, 17))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.paused_since is None
    assert ticket.due_at == at(2026, 11, 30, 15)
    assert ticket.target_at == at(2026, 11, 26, 15)
    assert [(p.started_at, p.ended_at) for p in ticket.pauses.all()] == [
        (at(2026, 11, 25, 14), at(2026, 11, 25, 17))]
    assert "sla.paused" in keys(ticket) and "sla.resumed" in keys(ticket)


def test_a_pause_over_a_weekend_costs_only_working_time(hosting_customer, agent_user):
    ticket = open_hosting(hosting_customer, at(2026, 11, 27, 10))  # Friday
    ticket_set_status(ticket=ticket, status=Status.WAITING_CLIENT, actor=agent_user,
                      at=at(2026, 11, 27, 20))
    ticket_set_status(ticket=ticket, status=Status.OPEN, actor=agent_user,
                      at=at(2026, 11, 30, 6))  # Monday 06:00
    ticket.refresh_from_db()
    # 10 h ran on Friday; Fri 20:00-24:00 and Mon 00:00-06:00 were paused (10 h moved).
    assert ticket.target_at == at(2026, 11, 30, 20)
    assert ticket.due_at == at(2026, 12, 2, 20)


def test_the_sweep_warns_then_records_the_missed_target_then_the_breach(hosting_customer):
    ticket = open_hosting(hosting_customer, at(2026, 11, 25, 12))
    assert sla_sweep_step(now=at(2026, 11, 26, 7, 59)) == 0
    assert sla_sweep_step(now=at(2026, 11, 26, 8)) == 1
    assert keys(ticket)[-1] == "sla.target_warning"
    warning = OutboundEmail.objects.get(purpose="sla.target_warning")
    assert warning.to == "equipo@modo3.net" and ticket.reference in warning.subject
    # Late sweeps catch up on every stage that has passed, one at a time, in order.
    handled = sum(sla_sweep_step(now=at(2026, 12, 1, 9)) for _ in range(5))
    assert handled == 3
    ticket.refresh_from_db()
    assert keys(ticket)[-3:] == ["sla.target_missed", "sla.due_warning", "sla.breached"]
    assert ticket.target_missed_at == at(2026, 11, 26, 12)
    assert ticket.breached_at == at(2026, 11, 30, 12)
    assert ticket.sla_next_at is None
    assert sla_sweep_step(now=at(2026, 12, 9)) == 0


def test_a_first_reply_stops_the_clock_and_nothing_is_breached(hosting_customer, agent_user):
    ticket = open_hosting(hosting_customer, at(2026, 11, 25, 12))
    ticket_reply(ticket=ticket, author=agent_user, body_text="Revisado, ya funciona",
                 at=at(2026, 11, 25, 13))
    ticket.refresh_from_db()
    assert ticket.first_response_at == at(2026, 11, 25, 13)
    assert ticket.sla_next_at is None and ticket.assignee == agent_user
    assert sla_sweep_step(now=at(2026, 12, 9)) == 0
    first = ticket.events.get(key="sla.first_response")
    assert first.data == {"within_target": True, "within_due": True}


def test_the_assignee_is_warned_rather_than_the_team(hosting_customer, agent_user):
    ticket = open_hosting(hosting_customer, at(2026, 11, 25, 12))
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent_user)
    sla_sweep_step(now=at(2026, 11, 26, 8))
    assert OutboundEmail.objects.get(purpose="sla.target_warning").to == agent_user.email


def test_an_invalid_status_change_changes_nothing(plan_customer, agent_user):
    ticket = ticket_open(customer=plan_customer, contact=contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="Licencia", body_text="Quiero ampliar",
                         category="paid_change", received_at=at(2026, 11, 25, 12)).ticket
    from xuala.desk.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        ticket_set_status(ticket=ticket, status=Status.WAITING_CLIENT, actor=agent_user)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_QUOTE


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_act_on_each_stage_once(hosting_customer):
    for hour in range(9, 19):
        open_hosting(hosting_customer, at(2026, 11, 25, hour))
    now = at(2026, 11, 26, 23)  # every ticket's target warning and target have passed
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep():
        try:
            for _ in range(4):
                results.append(sla_sweep_step(now=now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 20  # 10 tickets x (warning + target missed)
    from xuala.desk.models import TicketEvent

    assert TicketEvent.objects.filter(key="sla.target_warning").count() == 10
    assert TicketEvent.objects.filter(key="sla.target_missed").count() == 10
    assert OutboundEmail.objects.filter(purpose__startswith="sla.").count() == 20


def test_the_queue_puts_emergencies_first_then_plans_then_the_rest(plan_customer,
                                                                   hosting_customer):
    from xuala.desk.selectors import queue

    noon = at(2026, 11, 25, 12)
    std = open_hosting(hosting_customer, noon)
    pri = ticket_open(customer=plan_customer, contact=contact_user(plan_customer),
                      channel=Channel.PORTAL, subject="x", body_text="y", category="hosting",
                      received_at=noon).ticket
    old_std = open_hosting(hosting_customer, noon - timedelta(days=2))
    emergency = ticket_open(customer=hosting_customer, contact=contact_user(hosting_customer),
                            channel=Channel.PORTAL, subject="caída", body_text="caída",
                            category="site_down", received_at=noon).ticket
    # §6.3.2 "por encima de otras peticiones" (queue.order = plan_first): the plan client's
    # request goes above the older standard one.
    assert list(queue().values_list("pk", flat=True)) == [emergency.pk, pri.pk, old_std.pk,
                                                          std.pk]
