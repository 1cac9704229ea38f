"""Coverage triage: every rule of the policy, with the clause it cites."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tests.factories import contact_user
from xuala.desk.errors import CoverageRefused
from xuala.desk.models import Channel, MessageKind, Status, TriageState
from xuala.desk.services import ticket_open, ticket_triage_apply, triage_prepared_answer
from xuala.notify.models import OutboundEmail
from xuala.notify.services import outbox_step

MADRID = ZoneInfo("Europe/Madrid")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MADRID)


def open_(customer, *, category=None, subject="Ayuda", body="Necesito ayuda", at=WEDNESDAY_NOON,
          site=None):
    return ticket_open(customer=customer, contact=contact_user(customer), channel=Channel.PORTAL,
                       subject=subject, body_text=body, category=category, received_at=at,
                       site=site)


def test_a_customer_without_an_active_service_is_refused_citing_clause_6(lapsed_customer):
    with pytest.raises(CoverageRefused) as caught:
        open_(lapsed_customer, category="hosting")
    assert caught.value.clause == "6"
    assert "servicio contratado" in str(caught.value)
    assert lapsed_customer.tickets.count() == 0


@pytest.mark.parametrize("category", ["third_party", "personal_computing", "mail_client"])
def test_an_out_of_scope_category_is_answered_citing_its_clause_and_resolved(hosting_customer,
                                                                           category):
    opened = open_(hosting_customer, category=category)
    ticket = opened.ticket
    assert opened.triage.certain
    assert ticket.status == Status.RESOLVED
    auto = ticket.messages.get(kind=MessageKind.AUTO)
    clause = "6.1" if category == "mail_client" else "6"
    assert f"cláusula {clause})" in auto.body_text
    assert "Xuala Cloud" in auto.body_text
    keys = list(ticket.events.values_list("key", flat=True))
    assert "triage.applied" in keys and "ticket.status_changed" in keys


def test_a_site_fault_without_a_plan_needs_a_plan_and_the_plans_are_offered(hosting_customer):
    ticket = open_(hosting_customer, category="site_fault").ticket
    assert ticket.triage_decision == "needs_plan" and ticket.triage_clause == "6.2"
    answer = ticket.messages.get(kind=MessageKind.AUTO).body_text
    assert "Póliza de Cobertura Técnica Web Xuala Cloud — mensual" in answer
    assert "cláusula 6.2" in answer
    assert ticket.status == Status.RESOLVED


def test_a_site_fault_with_a_plan_is_covered_with_priority(plan_customer):
    ticket = open_(plan_customer, category="site_fault").ticket
    assert ticket.triage_decision == "covered"
    assert ticket.ticket_class == "priority"
    assert ticket.status == Status.NEW


def test_a_paid_change_waits_on_a_quote_with_the_clock_paused(plan_customer):
    ticket = open_(plan_customer, category="paid_change").ticket
    assert ticket.status == Status.WAITING_QUOTE
    assert ticket.paused_since == WEDNESDAY_NOON
    assert ticket.sla_next_at is None
    assert ticket.triage_clause == "5"


def test_personal_help_becomes_a_meeting_request(hosting_customer):
    ticket = open_(hosting_customer, category="meeting").ticket
    assert ticket.status == Status.MEETING
    assert ticket.triage_clause == "4"
    assert "reunión virtual" in ticket.messages.get(kind=MessageKind.AUTO).body_text


def test_a_site_down_is_an_emergency_on_the_calendar_clock_paging_on_call(hosting_customer):
    saturday = datetime(2026, 11, 28, 23, 0, tzinfo=MADRID)
    ticket = open_(hosting_customer, category="site_down", at=saturday).ticket
    assert ticket.ticket_class == "emergency"
    assert ticket.queue_rank == 0
    assert ticket.due_at == datetime(2026, 11, 29, 3, 0, tzinfo=MADRID)
    page = OutboundEmail.objects.get(purpose="oncall.page")
    assert page.to == "guardia@modo3.net"
    assert "oncall.paged" in ticket.events.values_list("key", flat=True)
    ack = OutboundEmail.objects.get(purpose="ticket.ack")
    assert "emergencia" in ack.body_text and "fuera de nuestro horario" not in ack.body_text


def test_a_plan_client_is_priority_and_others_standard(plan_customer, hosting_customer):
    assert open_(plan_customer, category="hosting").ticket.ticket_class == "priority"
    assert open_(hosting_customer, category="hosting").ticket.ticket_class == "standard"


def test_free_text_judgement_is_proposed_then_applied_with_one_click(keyword_rules,
                                                                   hosting_customer,
                                                                   agent_user):
    # The keyword rules: their judgement on free text is always a proposal (with the learned
    # triage, a sure decision is applied at once: tests/triage/test_learning.py).
    ticket = open_(hosting_customer, subject="Problema con Gmail",
                   body="No me llegan los correos a mi cuenta de gmail").ticket
    assert ticket.triage_state == TriageState.PROPOSED
    assert ticket.triage_rule == "third_party"
    assert ticket.status == Status.NEW  # nothing applied yet
    prepared = triage_prepared_answer(ticket)
    assert "terceros" in prepared and "cláusula 6)" in prepared
    ticket_triage_apply(ticket=ticket, actor=agent_user)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    assert reply.author == agent_user and reply.body_text == prepared


def test_keywords_match_without_accents_and_in_english(keyword_rules, hosting_customer):
    es = open_(hosting_customer, subject="Por favor llamame", body="Quiero una llamada").ticket
    assert es.triage_rule == "meeting" and es.triage_state == TriageState.PROPOSED
    en = open_(hosting_customer, subject="Please call me", body="about my domain").ticket
    assert en.triage_rule == "meeting"


def test_answers_go_out_in_the_clients_language(db):
    from tests import factories

    english = factories.customer(name="Acme Ltd", email="jo@acme.co.uk", language="en")
    ticket = open_(english, category="third_party", subject="Shopify").ticket
    assert "clause 6)" in ticket.messages.get(kind=MessageKind.AUTO).body_text
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    assert ack.subject.startswith(f"[{ticket.reference}] We have received your request")


def test_every_new_ticket_is_acknowledged_with_its_number_and_answer_time(plan_customer):
    ticket = open_(plan_customer, category="hosting").ticket
    ack = OutboundEmail.objects.get(purpose="ticket.ack")
    assert ack.to == "ana@cliente-demo.es"
    assert ticket.reference in ack.subject
    assert "jueves 26 noviembre 2026, 12:00 (CET)" in ack.body_text  # 24 h working days
    assert outbox_step() >= 1
    assert any(ticket.reference in m.subject for m in mail.outbox)
    sent = next(m for m in mail.outbox if "Hemos recibido" in m.subject)
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


def test_an_out_of_hours_request_is_told_when_it_will_be_attended(hosting_customer):
    friday_night = datetime(2026, 11, 27, 22, 15, tzinfo=MADRID)
    opened = open_(hosting_customer, category="hosting", at=friday_night)
    assert opened.out_of_hours_from == datetime(2026, 11, 30, 9, 0, tzinfo=MADRID)
    ack = OutboundEmail.objects.get(purpose="ticket.ack")
    assert "fuera de nuestro horario" in ack.body_text
    assert "lunes 30 noviembre 2026, 09:00" in ack.body_text


def test_hostile_deeply_nested_html_is_kept_as_text_quickly():
    """nh3 is quadratic in nesting depth; such markup is reduced to its text instead."""
    from xuala.core.html import sanitize_html

    hostile = "<div>" * 40_000 + "<script>alert(1)</script>hola" + "</div>" * 40_000
    clean = sanitize_html(hostile)
    assert "<script>" not in clean and "hola" in clean and "<div>" not in clean
    assert sanitize_html("<p onclick='x()'>hi <b>there</b></p>") == "<p>hi <b>there</b></p>"
