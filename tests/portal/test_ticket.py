"""One request in the client area: its facts, the public conversation, replies, attachments."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.portal.conftest import file_ticket
from xuala.desk.models import Attachment, Message, MessageKind, Status
from xuala.desk.services import Upload, ticket_note, ticket_reply, ticket_set_status


def url(ticket):
    return f"/portal/tickets/{ticket.pk}/"


def test_it_shows_subject_status_class_and_the_promised_answer_time(ana, plan_customer,
                                                                    open_hours):
    ticket = file_ticket(plan_customer)
    page = ana.get(url(ticket)).content.decode()
    assert ticket.reference in page and "No puedo entrar al FTP" in page
    assert 'id="ticket-status">Nuevo<' in page and 'id="ticket-class">Prioritario<' in page
    due = page.split('id="ticket-due"')[1].split("</dd>")[0]
    assert "viernes 27 noviembre 2026, 12:00 (CET)" in due
    assert 'id="reply-form"' in page and 'enctype="multipart/form-data"' in page


def test_the_promised_time_goes_once_the_ticket_is_answered(ana, plan_customer, agent_user,
                                                            open_hours):
    ticket = file_ticket(plan_customer)
    ticket_reply(ticket=ticket, author=agent_user, body_text="Ya está resuelto.")
    assert 'id="ticket-due"' not in ana.get(url(ticket)).content.decode()


def test_the_conversation_shows_public_messages_and_never_notes(ana, plan_customer, agent_user,
                                                                open_hours):
    ticket = file_ticket(plan_customer, body="El FTP falla desde hoy.")
    ticket_note(ticket=ticket, author=agent_user, body_text="NOTA INTERNA: cliente pesado")
    ticket_reply(ticket=ticket, author=agent_user, body_text="Hemos reiniciado el servicio FTP.")
    page = ana.get(url(ticket)).content.decode()
    assert "NOTA INTERNA" not in page and "cliente pesado" not in page
    client_msg = page.split('class="message from-client"')[1].split("</article>")[0]
    assert "El FTP falla desde hoy." in client_msg
    agent_msg = page.split('class="message from-agent"')[1].split("</article>")[0]
    assert "Hemos reiniciado el servicio FTP." in agent_msg
    assert "Agente, asistencia de Xuala Cloud" in agent_msg
    assert page.count('<article class="message') == 2


def test_an_agents_html_is_shown_sanitised(ana, plan_customer, agent_user, open_hours):
    ticket = file_ticket(plan_customer)
    ticket_reply(ticket=ticket, author=agent_user, body_text="Hecho",
                 body_html='<p>Hecho <strong>ya</strong><script>alert(1)</script>'
                           '<img src=x onerror=alert(2)></p>')
    page = ana.get(url(ticket)).content.decode()
    assert "<strong>ya</strong>" in page
    assert "alert(1)" not in page and "onerror" not in page


def test_a_reply_is_added_and_reopens_a_resolved_ticket(ana, plan_customer, agent_user,
                                                        open_hours):
    ticket = file_ticket(plan_customer)
    ticket_reply(ticket=ticket, author=agent_user, body_text="Resuelto.", status=Status.RESOLVED)
    page = ana.get(url(ticket)).content.decode()
    assert "si escribe un mensaje, se reabrirá" in page
    response = ana.post(url(ticket), {"body": "Sigue sin funcionar."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.filter(kind=MessageKind.CLIENT, body_text="Sigue sin funcionar.",
                                  author__email="ana@cliente-demo.es").exists()
    page = response.content.decode()
    assert f"Su mensaje se ha añadido al ticket {ticket.reference}." in page
    assert "Sigue sin funcionar." in page.split('class="conversation"')[1]


def test_a_reply_while_waiting_on_the_client_resumes_the_ticket(ana, plan_customer, agent_user,
                                                                open_hours):
    ticket = file_ticket(plan_customer)
    ticket_set_status(ticket=ticket, status=Status.WAITING_CLIENT, actor=agent_user)
    ana.post(url(ticket), {"body": "Aquí tienen los datos."})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.paused_since is None


def test_an_empty_reply_is_refused_and_adds_nothing(ana, plan_customer, open_hours):
    ticket = file_ticket(plan_customer)
    response = ana.post(url(ticket), {"body": "  "})
    assert response.status_code == 200
    assert "Este campo es obligatorio." in response.content.decode()
    assert ticket.messages.count() == 1


@override_settings(XUALA_MAX_ATTACHMENT_BYTES=10)
def test_an_oversize_reply_attachment_is_refused_keeping_the_text(ana, plan_customer,
                                                                  open_hours):
    ticket = file_ticket(plan_customer)
    big = SimpleUploadedFile("grande.bin", b"y" * 50)
    response = ana.post(url(ticket), {"body": "Adjunto el registro.", "attachments": [big]})
    page = response.content.decode()
    assert "El archivo «grande.bin» ocupa 50" in page
    assert "Adjunto el registro." in page
    assert ticket.messages.count() == 1


def test_attachments_are_listed_and_downloadable_as_files(ana, plan_customer, agent_user,
                                                          open_hours):
    ticket = file_ticket(plan_customer)
    ticket_reply(ticket=ticket, author=agent_user, body_text="Le adjunto el informe.",
                 uploads=[Upload("informe.pdf", b"%PDF-1.4 informe", "application/pdf")])
    attachment = Attachment.objects.get(filename="informe.pdf")
    page = ana.get(url(ticket)).content.decode()
    assert f'href="/portal/attachments/{attachment.pk}/"' in page and "informe.pdf" in page
    response = ana.get(f"/portal/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="informe.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 informe"


def test_the_attachment_of_a_note_cannot_be_downloaded(ana, plan_customer, agent_user,
                                                       open_hours):
    ticket = file_ticket(plan_customer)
    ticket_note(ticket=ticket, author=agent_user, body_text="interno",
                uploads=[Upload("interno.txt", b"secreto", "text/plain")])
    attachment = Attachment.objects.get(filename="interno.txt")
    assert ana.get(f"/portal/attachments/{attachment.pk}/").status_code == 404
    assert "interno.txt" not in ana.get(url(ticket)).content.decode()


def test_an_automatic_answer_is_marked_as_such(ana, plan_customer, open_hours):
    ticket = file_ticket(plan_customer, category="personal_computing")
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.AUTO).exists()
    page = ana.get(url(ticket)).content.decode()
    auto = page.split('class="message auto"')[1].split("</article>")[0]
    assert "Respuesta automática" in auto and "informática personal" in auto


def test_an_unknown_ticket_is_404(ana, db):
    assert ana.get("/portal/tickets/999999/").status_code == 404
