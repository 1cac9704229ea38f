"""The learned triage in the console: an agent changes a proposal to another rule (carried out,
and a labelled example), a sure decision shows what weighed, and the "Triage model" page shows
the model in use, its score, the last retraining's candidate score and decision and the
agents' examples."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.console.conftest import open_ticket
from tests.triage.test_learning import _pks
from xuala.desk.models import MessageKind, Status, TriageState
from xuala.triage import model as triage_model
from xuala.triage.models import TriageExample, TriageTraining

MADRID = ZoneInfo("Europe/Madrid")
HOLDED = ("Holded", "No me cuadran las facturas que exporta Holded, ¿me ayudáis con su panel?")


def url(ticket, action: str = "") -> str:
    return f"/console/tickets/{ticket.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def packaged(settings, tmp_path, monkeypatch):
    """The packaged model in use (a data dir of its own, no $XUALA_TRIAGE_MODEL)."""
    monkeypatch.delenv(triage_model.MODEL_ENV, raising=False)
    settings.DATA_DIR = tmp_path / "data"


def agents_rule_recorded(response, ticket, agent_user, *, key: str, rule: str, logged: str):
    """The agent's rule for the Holded request (proposed: third_party) is the event ``key``,
    a labelled example, and a line of the ticket's log."""
    event = ticket.events.get(key=key)
    assert event.actor == agent_user
    assert (event.data["rule"], event.data["proposed"]) == (rule, "third_party")
    example = TriageExample.objects.get()
    assert (example.source, example.label, example.proposed, example.body) == (
        "changed", rule, "third_party", HOLDED[1])
    events = response.text.split('id="ticket-events"', 1)[1].split("</ol>", 1)[0]
    assert logged in events


def test_an_agent_changes_a_proposal_to_another_rule_and_it_becomes_an_example(
        packaged, unsure_model, agent_client, agent_user, hosting_customer):
    ticket = open_ticket(hosting_customer, subject=HOLDED[0], body=HOLDED[1])
    assert (ticket.triage_state, ticket.triage_rule) == (TriageState.PROPOSED, "third_party")
    page = agent_client.get(url(ticket)).text
    form = page.split('id="triage-change-form"', 1)[1].split("</form>", 1)[0]
    assert '<option value="third_party" selected>' in form  # the proposed rule, preselected
    assert '<option value="meeting">' in form and '<option value="ecommerce_orders">' in form

    response = agent_client.post(url(ticket, "triage/change"), {"rule": "meeting"}, follow=True)
    assert "Se cambió el triaje a la regla elegida y se aplicó." in response.text
    ticket.refresh_from_db()
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "meeting", "meeting", "4")
    assert ticket.triage_state == TriageState.APPLIED and ticket.status == Status.MEETING
    answer = ticket.messages.get(kind=MessageKind.REPLY)
    assert answer.author == agent_user and "4)" in answer.body_text
    agents_rule_recorded(response, ticket, agent_user, key="triage.changed", rule="meeting",
                         logged="Triaje cambiado por el agente a:")


def test_a_change_to_a_rule_the_policy_does_not_have_changes_nothing(
        packaged, unsure_model, agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer, subject=HOLDED[0], body=HOLDED[1])
    response = agent_client.post(url(ticket, "triage/change"), {"rule": "refunds_please"},
                                 follow=True)
    assert "Elija una de las reglas de la política." in response.text
    ticket.refresh_from_db()
    assert (ticket.triage_state, ticket.triage_rule) == (TriageState.PROPOSED, "third_party")
    assert not TriageExample.objects.exists()
    assert agent_client.get(url(ticket, "triage/change")).status_code == 405


def test_a_sure_decision_shows_its_probability_and_words_without_a_proposal(
        packaged, agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer, subject=HOLDED[0], body=HOLDED[1])
    assert ticket.triage_state == TriageState.APPLIED  # the shipped threshold: sure
    page = agent_client.get(f"/en{url(ticket)}").text
    assert 'id="triage-panel"' not in page
    card = page.split('id="triage-decided"', 1)[1].split("</section>", 1)[0]
    applied = ticket.events.get(key="triage.applied").data
    assert f'{round(applied["probability"] * 100)} %' in card
    assert "below the policy" not in card  # at or above the threshold
    assert '<code class="chip">holded</code>' in card


def test_the_triage_model_page_shows_the_model_its_score_and_the_last_retraining(
        packaged, agent_client):
    printer = ("Impresora", "La impresora de la oficina no imprime desde el portátil.")
    for pk in _pks(held=True, count=4):  # scored on: the shipped model gets them right
        TriageExample.objects.create(pk=pk, subject=printer[0], body=printer[1],
                                     label="personal_computing", source="changed")
    for pk in _pks(held=False, count=3, start=5000):
        TriageExample.objects.create(pk=pk, subject=printer[0], body=printer[1],
                                     label="personal_computing", source="applied")
    TriageTraining.objects.create(trained_at=datetime(2026, 11, 25, 12, 0, tzinfo=MADRID),
                                  examples=3, held_back=4, old_score=1.0, new_score=0.75,
                                  adopted=False)
    page = agent_client.get("/en/console/triage/").text
    assert 'id="nav-triage" aria-current="page"' in page
    assert 'data-source="packaged"' in page and "shipped with Xuala Desk" in page
    score = page.split('id="model-score">', 1)[1].split("</dd>", 1)[0]
    assert score == "100 % on 4 held-back examples of the agents"
    assert page.split('id="examples-count">', 1)[1].startswith("7<")
    row = page.split('id="triage-trainings"', 1)[1].split("</tbody>", 1)[0]
    assert 'data-adopted="no"' in row
    assert "100 %" in row and "75 %" in row  # both scores: the model in use, the candidate
    assert "kept the model in use (the candidate scored lower)" in row
    assert 'id="no-trainings"' not in row


def test_the_triage_model_page_before_any_example(packaged, agent_client):
    page = agent_client.get("/console/triage/").text
    assert "todavía no hay ejemplos de los agentes apartados" in page
    assert 'id="no-trainings"' in page and "Aún no hay reentrenamientos" in page


def test_an_agent_corrects_a_decision_already_applied_and_it_becomes_an_example(
        packaged, agent_client, agent_user, hosting_customer):
    ticket = open_ticket(hosting_customer, subject=HOLDED[0], body=HOLDED[1])
    assert (ticket.triage_state, ticket.triage_rule) == (TriageState.APPLIED, "third_party")
    status, answers = ticket.status, ticket.messages.count()
    page = agent_client.get(url(ticket)).text
    form = page.split('id="triage-correct-form"', 1)[1].split("</form>", 1)[0]
    assert '<option value="third_party" selected>' in form and '<option value="hosting">' in form

    response = agent_client.post(url(ticket, "triage/correct"), {"rule": "hosting"},
                                 follow=True)
    assert "Se corrigió la regla del triaje." in response.text
    ticket.refresh_from_db()
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "hosting", "covered", "6.2")
    assert ticket.triage_state == TriageState.APPLIED
    # Nothing is sent and the status stays: the agent undoes the first decision, seeing it.
    assert (ticket.status, ticket.messages.count()) == (status, answers)
    agents_rule_recorded(response, ticket, agent_user, key="triage.corrected", rule="hosting",
                         logged="Triaje corregido por el agente a:")


def test_a_correction_changes_the_class_and_its_clock(packaged, agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer, subject="La web no va", body="No carga nada.",
                         category="site_down")
    assert (ticket.triage_state, ticket.ticket_class) == (TriageState.APPLIED, "emergency")
    emergency_due = ticket.due_at
    agent_client.post(url(ticket, "triage/correct"), {"rule": "hosting"})
    ticket.refresh_from_db()
    assert (ticket.triage_rule, ticket.ticket_class) == ("hosting", "standard")
    assert ticket.due_at > emergency_due  # 72 h on the working calendar, not the emergency's
    assert ticket.events.filter(key="ticket.class_changed").exists()


def test_only_an_applied_decision_is_corrected_and_only_to_another_policy_rule(
        packaged, unsure_model, agent_client, hosting_customer):
    proposed = open_ticket(hosting_customer, subject=HOLDED[0], body=HOLDED[1])
    assert proposed.triage_state == TriageState.PROPOSED
    response = agent_client.post(url(proposed, "triage/correct"), {"rule": "hosting"},
                                 follow=True)
    assert "Este ticket no tiene una decisión de triaje aplicada que corregir." in response.text
    response = agent_client.post(url(proposed, "triage/change"), {"rule": "hosting"})
    proposed.refresh_from_db()
    assert proposed.triage_state == TriageState.APPLIED
    for rule, said in (("hosting", "Esa ya es la regla del ticket."),
                       ("refunds_please", "Elija una de las reglas de la política.")):
        response = agent_client.post(url(proposed, "triage/correct"), {"rule": rule},
                                     follow=True)
        assert said in response.text
    assert not proposed.events.filter(key="triage.corrected").exists()
    assert agent_client.get(url(proposed, "triage/correct")).status_code == 405
