"""The ticket page and its actions: reply, note, canned replies, assignment, status, triage."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.console.conftest import open_ticket
from tests.factories import contact_user
from xuala.desk.models import CannedReply, MessageKind, Status, TriageState
from xuala.desk.services import ticket_note, ticket_set_status, triage_prepared_answer
from xuala.notify.models import OutboundEmail


def url(ticket, action: str = "") -> str:
    return f"/console/tickets/{ticket.pk}/" + (f"{action}/" if action else "")


def test_it_shows_the_whole_conversation_with_notes_set_apart_and_the_event_log(
        agent_client, agent_user, hosting_customer):
    ticket = open_ticket(hosting_customer, body="La copia no termina nunca.")
    ticket_note(ticket=ticket, author=agent_user, body_text="Revisar el disco del servidor.")
    ticket_set_status(ticket=ticket, status=Status.WAITING_CLIENT, actor=agent_user)
    page = agent_client.get(url(ticket)).text
    assert "La copia no termina nunca." in page
    note = page.split('class="msg msg-note"', 1)[1].split("</article>", 1)[0]
    assert "Revisar el disco del servidor." in note
    events = page.split('id="ticket-events"', 1)[1].split("</ol>", 1)[0]
    for key in ("ticket.opened", "triage.applied", "ticket.acknowledged", "ticket.noted",
                "sla.paused", "ticket.status_changed"):
        assert f'data-key="{key}"' in events
    assert "Agente" in events  # the actor of the note
    assert 'id="ticket-pauses"' in page
    assert f'id="ticket-policy-version">{ticket.policy_version_id}<' in page
    for element in ('id="reply-form"', 'id="note-form"', "Sin Plan SL",
                    contact_user(hosting_customer).email):
        assert element in page


def test_it_answers_404_for_a_ticket_that_does_not_exist(agent_client):
    assert agent_client.get("/console/tickets/999999/").status_code == 404


def test_it_sends_a_reply_that_stops_the_clock_and_mails_the_contact(agent_client, agent_user,
                                                                     hosting_customer):
    ticket = open_ticket(hosting_customer)
    assert ticket.sla_next_at is not None
    page = agent_client.get(url(ticket)).text
    # The status after replying defaults to waiting on the client.
    assert '<option value="waiting_client" selected>' in page
    response = agent_client.post(url(ticket, "reply"), {
        "body": "Hemos revisado la copia; ya funciona.", "status": "waiting_client"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.sla_next_at is None
    assert ticket.status == Status.WAITING_CLIENT
    assert ticket.assignee == agent_user
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    assert reply.author == agent_user and "ya funciona" in reply.body_text
    mail = OutboundEmail.objects.get(ticket=ticket, purpose="ticket.reply")
    assert mail.to == contact_user(hosting_customer).email
    assert "ya funciona" in mail.body_text
    followed = agent_client.get(response["Location"])
    assert "Su respuesta se ha enviado al cliente." in followed.text


def test_it_keeps_the_status_when_asked_and_stores_reply_attachments(agent_client,
                                                                     hosting_customer):
    ticket = open_ticket(hosting_customer)
    upload = SimpleUploadedFile("informe.txt", b"todo correcto", content_type="text/plain")
    agent_client.post(url(ticket, "reply"), {"body": "Adjunto el informe.", "status": "",
                                             "attachments": [upload]})
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    attachment = ticket.messages.get(kind=MessageKind.REPLY).attachments.get()
    page = agent_client.get(url(ticket)).text
    assert f'/console/attachments/{attachment.pk}/' in page
    download = agent_client.get(f"/console/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"todo correcto"
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="informe.txt"' in download["Content-Disposition"]


def test_it_shows_the_form_again_when_a_reply_is_empty(agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer)
    response = agent_client.post(url(ticket, "reply"), {"body": "", "status": "waiting_client"})
    assert response.status_code == 200 and 'id="reply-form"' in response.text
    assert 'class="field-error"' in response.text
    assert not ticket.messages.filter(kind=MessageKind.REPLY).exists()


def test_it_adds_an_internal_note_without_mailing_the_client(agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer)
    response = agent_client.post(url(ticket, "note"), {"body": "Llamar al centro de datos."})
    assert response.status_code == 302
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert note.body_text == "Llamar al centro de datos."
    assert not OutboundEmail.objects.filter(ticket=ticket, purpose="ticket.reply").exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.sla_next_at is not None
    assert ticket.events.filter(key="ticket.noted").exists()


def test_it_offers_canned_replies_in_the_ticket_language_and_fills_the_reply_box(
        agent_client, hosting_customer):
    spanish = CannedReply.objects.create(title="Saludo", language="es",
                                         body="Hola, gracias por escribirnos.")
    CannedReply.objects.create(title="Greeting", language="en", body="Hello there.")
    ticket = open_ticket(hosting_customer)
    page = agent_client.get(url(ticket)).text
    select = page.split('id="canned-select"', 1)[1].split("</select>", 1)[0]
    assert "Saludo" in select and 'data-body="Hola, gracias por escribirnos."' in select
    assert "Greeting" not in select
    # Without JavaScript the "Insert" button reloads the page with the box filled.
    page = agent_client.get(url(ticket), {"canned": spanish.pk}).text
    box = page.split('id="reply_body"', 1)[1].split("</textarea>", 1)[0]
    assert "Hola, gracias por escribirnos." in box


def test_it_assigns_to_me_to_another_agent_and_unassigns(agent_client, agent_user, other_agent,
                                                         hosting_customer):
    ticket = open_ticket(hosting_customer)
    agent_client.post(url(ticket, "assign"), {"assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent_user
    agent_client.post(url(ticket, "assign"), {"assignee": str(other_agent.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    response = agent_client.post(url(ticket, "assign"), {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(key="ticket.assigned").count() == 3
    assert "El ticket ya no está asignado." in agent_client.get(response["Location"]).text


def test_it_does_not_assign_a_client_contact(agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer)
    contact = contact_user(hosting_customer)
    agent_client.post(url(ticket, "assign"), {"assignee": str(contact.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not ticket.events.filter(key="ticket.assigned").exists()


def test_it_changes_the_status(agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer)
    response = agent_client.post(url(ticket, "status"), {"status": "open"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_it_shows_an_invalid_status_change_as_an_error_and_changes_nothing(agent_client,
                                                                          plan_customer):
    ticket = open_ticket(plan_customer, category="paid_change")
    assert ticket.status == Status.WAITING_QUOTE
    events_before = ticket.events.count()
    response = agent_client.post(url(ticket, "status"), {"status": "waiting_client"},
                                 follow=True)
    assert response.status_code == 200
    assert "Un ticket no puede pasar de «Esperando presupuesto» a «Esperando al cliente»." \
        in response.text
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_QUOTE
    assert ticket.events.count() == events_before
    response = agent_client.post(f"/en{url(ticket, 'status')}", {"status": "waiting_client"},
                                 follow=True)
    assert "A ticket cannot go from “Waiting on quote” to “Waiting on client”." in response.text


def test_it_applies_a_triage_proposal_with_one_click(unsure_model, agent_client, agent_user,
                                                     hosting_customer):
    ticket = open_ticket(hosting_customer, subject="Problema con Gmail",
                         body="No puedo entrar en mi cuenta de gmail.")
    assert ticket.triage_state == TriageState.PROPOSED and ticket.triage_decision == "refused"
    prepared = triage_prepared_answer(ticket)
    page = agent_client.get(url(ticket)).text
    panel = page.split('id="triage-panel"', 1)[1].split("</section>", 1)[0]
    assert "§6" in panel and 'id="triage-apply"' in panel and 'id="triage-dismiss"' in panel
    assert prepared.split(".")[0] in panel
    # What weighed: the model's probability, below the policy's threshold, and its words.
    proposed = ticket.events.get(key="triage.proposed").data
    shown = panel.split('id="triage-probability">', 1)[1].split("</dd>", 1)[0]
    assert shown.startswith(f"{round(proposed['probability'] * 100)} %")
    assert "por debajo del umbral de la política (100 %)" in shown
    assert "policy keywords:third_party" in proposed["reasons"]  # "gmail" is one of them
    for reason in proposed["reasons"]:
        if reason.startswith("policy keywords:"):
            assert f"las palabras clave de la política para {reason[16:]}" in panel
        else:
            assert f'<code class="chip">{reason}</code>' in panel

    response = agent_client.post(url(ticket, "triage/apply"))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.status == Status.RESOLVED
    answer = ticket.messages.get(kind=MessageKind.REPLY)
    assert answer.body_text == prepared and answer.author == agent_user
    assert OutboundEmail.objects.filter(ticket=ticket, purpose="ticket.reply").exists()
    assert 'id="triage-panel"' not in agent_client.get(url(ticket)).text


def test_it_dismisses_a_triage_proposal_and_sends_nothing(unsure_model, agent_client,
                                                          hosting_customer):
    ticket = open_ticket(hosting_customer, subject="Problema con Gmail",
                         body="No puedo entrar en mi cuenta de gmail.")
    response = agent_client.post(url(ticket, "triage/dismiss"))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.triage_state == TriageState.DISMISSED
    assert ticket.status == Status.NEW
    assert not ticket.messages.filter(kind=MessageKind.REPLY).exists()
    assert ticket.events.filter(key="triage.dismissed").exists()
    # A second click finds no proposal: a clear message, nothing changes.
    followed = agent_client.post(url(ticket, "triage/apply"), follow=True)
    assert "Este ticket ya no tiene una propuesta de triaje pendiente." in followed.text
    ticket.refresh_from_db()
    assert ticket.triage_state == TriageState.DISMISSED


def test_it_rejects_actions_sent_with_get(agent_client, hosting_customer):
    ticket = open_ticket(hosting_customer)
    for action in ("reply", "note", "assign", "status", "triage/apply", "triage/dismiss"):
        assert agent_client.get(url(ticket, action)).status_code == 405
