"""Quote services: drafting from the policy, editing drafts, sending, and the client's decision
under §5 (expired, decided, another customer's, terms), with the ticket's clock."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.quotes.conftest import add_standard_lines, madrid, open_ticket
from xuala.desk.models import MessageKind, Status
from xuala.notify.models import OutboundEmail
from xuala.quotes.errors import (
    QuoteAlreadyDecided,
    QuoteExpired,
    QuoteInvalid,
    QuoteNotEditable,
    QuoteNotYours,
    TermsNotAccepted,
)
from xuala.quotes.models import QuoteStatus
from xuala.quotes.services import (
    quote_accept,
    quote_draft,
    quote_expire_due,
    quote_line_add,
    quote_line_remove,
    quote_line_update,
    quote_reject,
    quote_send,
    quote_update,
    quote_withdraw,
)

D = Decimal


def keys(ticket):
    return list(ticket.events.values_list("key", flat=True))


# ---------------------------------------------------------------- drafting and editing

def test_a_draft_copies_currency_tax_validity_and_clause_from_the_policy(ticket, agent_user):
    quote = quote_draft(ticket=ticket, created_by=agent_user, at=madrid(23, 13))
    assert (quote.currency, quote.tax_name, quote.tax_rate) == ("EUR", "IVA", D("21"))
    assert quote.clause == "5"
    assert quote.valid_until == date(2026, 12, 23)  # 30 days from Monday 23 November
    assert quote.customer == ticket.customer and quote.contact == ticket.contact
    assert quote.language == "es" and quote.status == QuoteStatus.DRAFT
    assert "Área de Cliente" in quote.terms  # default terms in the quote's language
    assert "quote.drafted" in keys(ticket)


def test_a_draft_for_a_customer_goes_to_its_primary_contact_in_its_language(english_customer,
                                                                             agent_user):
    quote = quote_draft(customer=english_customer, created_by=agent_user)
    assert quote.ticket is None
    assert quote.contact == factories.contact_user(english_customer)
    assert quote.language == "en"
    assert "Client Area" in quote.terms


def test_a_draft_needs_a_ticket_or_a_customer_of_that_ticket(ticket, other_customer, agent_user):
    with pytest.raises(QuoteInvalid):
        quote_draft(created_by=agent_user)
    with pytest.raises(QuoteInvalid) as caught:
        quote_draft(ticket=ticket, customer=other_customer, created_by=agent_user)
    assert caught.value.clause == "5"


def test_lines_are_added_updated_and_removed_in_order_while_a_draft(draft, agent_user):
    lines = list(draft.lines.all())
    assert [line.position for line in lines] == [1, 2]
    quote_line_update(line=lines[0], actor=agent_user, description="Migración completa",
                      quantity="2", unit_price="100", kind="work", recurrence="one_off")
    quote_line_remove(line=lines[1], actor=agent_user)
    third = quote_line_add(quote=draft, actor=agent_user, description="Licencia anual",
                           quantity=1, unit_price="49.90", kind="licence", recurrence="annual")
    assert third.position == 2
    totals = draft.totals()
    assert totals.by_recurrence["one_off"].total == D("242.00")
    assert totals.by_recurrence["annual"].total == D("60.38")  # 49.90 + 10.479 → 10.48
    assert {"quote.line_added", "quote.line_updated", "quote.line_removed"} <= set(
        keys(draft.ticket))


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", "0"), ("quantity", "-1"), ("quantity", "1.0001"), ("quantity", "abc"),
    ("unit_price", "-0.01"), ("unit_price", "1.00001"), ("description", "   "),
    ("kind", "gift"), ("recurrence", "weekly"),
])
def test_a_bad_line_is_refused_and_nothing_is_written(draft, agent_user, field, value):
    values = {"description": "Trabajo", "quantity": "1", "unit_price": "10", "kind": "work",
              "recurrence": "one_off", field: value}
    with pytest.raises(QuoteInvalid) as caught:
        quote_line_add(quote=draft, actor=agent_user, **values)
    assert caught.value.code == field
    assert draft.lines.count() == 2


def test_discount_validity_and_terms_change_only_on_a_draft(sent, agent_user):
    with pytest.raises(QuoteNotEditable):
        quote_update(quote=sent, actor=agent_user, discount="10")
    with pytest.raises(QuoteNotEditable):
        quote_line_add(quote=sent, actor=agent_user, description="Más", quantity=1,
                       unit_price=1)
    with pytest.raises(QuoteNotEditable):
        quote_line_remove(line=sent.lines.first(), actor=agent_user)
    assert sent.lines.count() == 2


def test_a_draft_takes_a_discount_and_refuses_one_over_100(draft, agent_user):
    quote_update(quote=draft, actor=agent_user, discount="10", terms="Pago a 30 días.")
    draft.refresh_from_db()
    assert draft.discount == D("10") and draft.terms == "Pago a 30 días."
    # 59.99 − 6.00 = 53.99; IVA 11.34 → 65.33
    assert draft.totals().by_recurrence["one_off"].total == D("65.33")
    with pytest.raises(QuoteInvalid):
        quote_update(quote=draft, actor=agent_user, discount="100.5")


# ---------------------------------------------------------------- sending

def test_sending_mails_the_contact_and_the_ticket_waits_with_its_clock_paused(draft, agent_user):
    quote_send(quote=draft, actor=agent_user, at=madrid(23, 13))
    draft.refresh_from_db()
    assert draft.status == QuoteStatus.SENT and draft.sent_at == madrid(23, 13)
    mail = OutboundEmail.objects.get(purpose="quote.sent")
    assert mail.to == "luis@sinplan-demo.es" and mail.ticket == draft.ticket
    assert draft.number in mail.subject
    assert "72,59\u00a0€" in mail.body_text  # one-off 59.99 + IVA 12.60
    assert "15,13\u00a0€" in mail.body_text  # monthly 12.50 + IVA 2.63
    assert "23 Dic 2026" in mail.body_text
    assert f"/portal/quotes/{draft.number}/" in mail.body_text
    assert "cláusula 5" in mail.body_text
    (pdf,) = mail.attachments
    assert pdf["filename"] == f"{draft.number}.pdf" and pdf["content_type"] == "application/pdf"
    import base64

    assert base64.b64decode(pdf["content"]).startswith(b"%PDF")
    ticket = draft.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_QUOTE
    assert ticket.paused_since == madrid(23, 13)
    assert ticket.sla_next_at is None
    events = keys(ticket)
    assert events.index("quote.drafted") < events.index("quote.sent") < events.index(
        "sla.paused")


def test_an_english_contact_gets_the_quote_in_english(english_customer, agent_user, clock):
    ticket = open_ticket(english_customer, subject="Bigger disk")
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    add_standard_lines(quote, agent_user)
    quote_send(quote=quote, actor=agent_user)
    mail = OutboundEmail.objects.get(purpose="quote.sent")
    assert mail.subject == f"[{ticket.reference}] Quote {quote.number}: Bigger disk"
    assert "€72.59" in mail.body_text and "23 Dec 2026" in mail.body_text
    assert f"/en/portal/quotes/{quote.number}/" in mail.body_text


def test_a_quote_is_not_sent_without_lines_or_twice(ticket, agent_user):
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    with pytest.raises(QuoteInvalid) as caught:
        quote_send(quote=quote, actor=agent_user)
    assert caught.value.code == "no_lines"
    add_standard_lines(quote, agent_user)
    quote_send(quote=quote, actor=agent_user)
    with pytest.raises(QuoteNotEditable):
        quote_send(quote=quote, actor=agent_user)
    assert OutboundEmail.objects.filter(purpose="quote.sent").count() == 1


def test_a_paid_change_already_waiting_on_a_quote_stays_paused_when_it_is_sent(
        clock, plan_customer, agent_user):
    ticket = open_ticket(plan_customer, category="paid_change", subject="Licencia de Yoast")
    assert ticket.status == Status.WAITING_QUOTE
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    add_standard_lines(quote, agent_user)
    quote_send(quote=quote, actor=agent_user, at=madrid(23, 15))
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_QUOTE
    assert ticket.paused_since == madrid(23, 12)  # paused since triage, not re-paused
    assert keys(ticket).count("sla.paused") == 1


# ---------------------------------------------------------------- accepting

def test_acceptance_records_who_when_where_and_resumes_the_clock(sent, client_user, clock):
    ticket = sent.ticket
    ticket.refresh_from_db()
    due_before, target_before = ticket.due_at, ticket.target_at
    assert due_before == madrid(26, 12)  # Monday noon + 72 h of working days
    # Accepted on Tuesday at 16:00: the clock stood still for 27 hours.
    clock.move_to(madrid(24, 16))
    quote_accept(quote=sent, user=client_user, terms_accepted=True, ip="203.0.113.7",
                 user_agent="Mozilla/5.0 (Prueba)")
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.ACCEPTED
    assert sent.decided_by == client_user and sent.decided_at == madrid(24, 16)
    assert sent.decided_ip == "203.0.113.7"
    assert sent.decided_user_agent == "Mozilla/5.0 (Prueba)"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.paused_since is None
    assert ticket.due_at == due_before + timedelta(hours=27) == madrid(27, 15)
    assert ticket.target_at == target_before + timedelta(hours=27)
    assert ticket.sla_next_at is not None
    events = keys(ticket)
    assert events.index("sla.paused") < events.index("quote.accepted") < events.index(
        "sla.resumed")
    pause = ticket.pauses.get()
    assert (pause.started_at, pause.ended_at) == (madrid(23, 13), madrid(24, 16))


def test_acceptance_tells_the_team_or_the_assigned_agent(sent, client_user, agent_user, clock):
    quote_accept(quote=sent, user=client_user, terms_accepted=True)
    mail = OutboundEmail.objects.get(purpose="quote.accepted")
    assert mail.to == "equipo@modo3.net"
    assert sent.number in mail.subject and "Sin Plan SL" in mail.subject
    assert f"/console/quotes/{sent.number}/" in mail.body_text
    receipt = OutboundEmail.objects.get(purpose="quote.receipt")
    assert receipt.to == client_user.email and sent.number in receipt.body_text


def test_acceptance_mails_the_assigned_agent_when_there_is_one(draft, agent_user, client_user,
                                                                clock):
    from xuala.desk.services import ticket_assign

    ticket_assign(ticket=draft.ticket, assignee=agent_user, actor=agent_user)
    quote_send(quote=draft, actor=agent_user)
    quote_accept(quote=draft, user=client_user, terms_accepted=True)
    assert OutboundEmail.objects.get(purpose="quote.accepted").to == agent_user.email


def test_acceptance_needs_the_terms_ticked(sent, client_user, clock):
    with pytest.raises(TermsNotAccepted) as caught:
        quote_accept(quote=sent, user=client_user, terms_accepted=False)
    assert caught.value.clause == "5"
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT and sent.decided_at is None
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.WAITING_QUOTE


def test_another_customers_contact_or_an_agent_cannot_accept(sent, other_customer, agent_user,
                                                             clock):
    for user in (factories.contact_user(other_customer), agent_user):
        with pytest.raises(QuoteNotYours) as caught:
            quote_accept(quote=sent, user=user, terms_accepted=True)
        assert caught.value.clause == "5"
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT


def test_a_draft_cannot_be_accepted_it_is_not_the_clients_yet(draft, client_user, clock):
    with pytest.raises(QuoteNotYours):
        quote_accept(quote=draft, user=client_user, terms_accepted=True)


def test_a_decided_quote_cannot_be_accepted_again_or_rejected(sent, client_user, clock):
    quote_accept(quote=sent, user=client_user, terms_accepted=True)
    with pytest.raises(QuoteAlreadyDecided):
        quote_accept(quote=sent, user=client_user, terms_accepted=True)
    with pytest.raises(QuoteAlreadyDecided):
        quote_reject(quote=sent, user=client_user, reason="Ya no")
    assert OutboundEmail.objects.filter(purpose="quote.accepted").count() == 1


def test_a_quote_past_its_validity_is_marked_expired_and_refused(sent, client_user, clock):
    assert sent.valid_until == date(2026, 12, 23)
    # Midnight in Madrid after the last valid day (23 December).
    clock.move_to(madrid(24, 0, 0, month=12))
    with pytest.raises(QuoteExpired) as caught:
        quote_accept(quote=sent, user=client_user, terms_accepted=True)
    assert caught.value.clause == "5"
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.EXPIRED and sent.decided_at is None
    ticket = sent.ticket
    ticket.refresh_from_db()
    assert "quote.expired" in keys(ticket)
    assert ticket.status == Status.OPEN  # back to the agent, who may quote again
    assert OutboundEmail.objects.filter(purpose="quote.expired").count() == 1
    with pytest.raises(QuoteExpired):  # and it stays expired
        quote_accept(quote=sent, user=client_user, terms_accepted=True)


def test_the_last_day_of_validity_still_counts_in_madrid(sent, client_user, clock):
    # 23:30 on 23 December in Madrid is already 24 December in Tokyo (the process zone).
    clock.move_to(madrid(23, 23, 30, month=12))
    quote_accept(quote=sent, user=client_user, terms_accepted=True)
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.ACCEPTED


def test_a_withdrawn_quote_cannot_be_accepted(sent, client_user, agent_user, clock):
    quote_withdraw(quote=sent, actor=agent_user, reason="Precio revisado.")
    with pytest.raises(QuoteAlreadyDecided) as caught:
        quote_accept(quote=sent, user=client_user, terms_accepted=True)
    assert caught.value.code == "withdrawn"
    assert OutboundEmail.objects.filter(purpose="quote.withdrawn").count() == 1
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.OPEN


# ---------------------------------------------------------------- rejecting

def test_rejection_closes_the_request_with_a_courteous_answer_citing_clause_5(sent, client_user,
                                                                               clock):
    clock.move_to(madrid(24, 10))
    quote_reject(quote=sent, user=client_user, reason="Es demasiado caro para nosotros.",
                 ip="198.51.100.4", user_agent="Prueba")
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.REJECTED
    assert sent.rejection_reason == "Es demasiado caro para nosotros."
    assert (sent.decided_by, sent.decided_ip) == (client_user, "198.51.100.4")
    ticket = sent.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    answer = ticket.messages.filter(kind=MessageKind.REPLY).last()
    assert sent.number in answer.body_text
    assert "cláusula 5" in answer.body_text and "Gracias" in answer.body_text
    assert OutboundEmail.objects.filter(purpose="ticket.reply", ticket=ticket).exists()
    agent_mail = OutboundEmail.objects.get(purpose="quote.rejected")
    assert "Es demasiado caro" in agent_mail.body_text
    assert "quote.rejected" in keys(ticket)


def test_rejection_needs_a_reason(sent, client_user, clock):
    with pytest.raises(QuoteInvalid) as caught:
        quote_reject(quote=sent, user=client_user, reason="   ")
    assert caught.value.code == "reason"
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT


# ---------------------------------------------------------------- expiry sweep

def test_the_expiry_sweep_marks_only_quotes_past_their_date_once(sent, ticket, agent_user,
                                                                  clock):
    fresh = quote_draft(ticket=ticket, created_by=agent_user, valid_until=date(2027, 1, 31))
    add_standard_lines(fresh, agent_user)
    quote_send(quote=fresh, actor=agent_user)
    assert quote_expire_due(now=madrid(23, 23, 59, month=12)) == 0
    assert quote_expire_due(now=madrid(24, 0, 1, month=12)) == 1
    assert quote_expire_due(now=madrid(24, 0, 2, month=12)) == 0
    sent.refresh_from_db()
    fresh.refresh_from_db()
    assert (sent.status, fresh.status) == (QuoteStatus.EXPIRED, QuoteStatus.SENT)
    ticket.refresh_from_db()
    # Another quote is still out: the ticket keeps waiting on it.
    assert ticket.status == Status.WAITING_QUOTE
    assert keys(ticket).count("quote.expired") == 1
