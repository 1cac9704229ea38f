"""Filing a new request from the client area: the structured form and the policy's answers."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests import factories
from xuala.desk.models import Attachment, MessageKind, Status, Ticket
from xuala.notify.models import OutboundEmail

NEW = "/portal/tickets/new/"


def request_data(customer, **overrides):
    site = customer.sites.first()
    data = {"about": f"site:{site.pk}" if site else "", "category": "hosting",
            "subject": "No puedo entrar al FTP",
            "description": "Desde esta mañana el FTP rechaza mi contraseña."}
    data.update(overrides)
    return data


def test_it_shows_the_structured_form_with_the_customers_choices_and_policy_categories(
        ana, plan_customer, other_customer):
    page = ana.get(NEW).content.decode()
    assert 'id="new-ticket-form"' in page and 'enctype="multipart/form-data"' in page
    own_site = plan_customer.sites.get()
    assert f'value="site:{own_site.pk}"' in page
    assert f'value="site:{other_customer.sites.get().pk}"' not in page
    assert 'value="site_down"' in page and "Mi web o servidor no funciona (caído)" in page
    assert 'value="third_party"' in page and 'name="attachments"' in page and "multiple" in page


def test_the_english_form_offers_the_categories_in_english(client, db):
    english = factories.customer(name="Acme Ltd", email="jo@acme.co.uk", language="en")
    client.force_login(factories.contact_user(english))
    page = client.get("/en" + NEW).content.decode()
    assert "My website or server is down" in page and "Kind of problem" in page


def test_it_opens_a_ticket_acknowledges_it_and_shows_the_reference_and_due_time(
        ana, plan_customer, open_hours):
    response = ana.post(NEW, request_data(plan_customer))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert ticket.customer == plan_customer and ticket.site == plan_customer.sites.get()
    assert ticket.service == plan_customer.sites.get().service
    assert ticket.category == "hosting" and ticket.channel == "portal"
    assert ticket.contact.email == "ana@cliente-demo.es"
    ack = OutboundEmail.objects.get(purpose="ticket.ack")
    assert ack.to == "ana@cliente-demo.es" and ticket.reference in ack.subject
    page = ana.get(response["Location"]).content.decode()
    notice = page.split('<ul class="messages">')[1].split("</ul>")[0]
    assert f"hemos abierto el ticket {ticket.reference}" in notice
    assert "viernes 27 noviembre 2026, 12:00 (CET)" in notice  # priority: due in 48 h (working)
    assert "cerrada" not in notice


def test_a_request_on_saturday_is_told_when_it_will_be_attended(ana, plan_customer, weekend):
    page = ana.get(NEW).content.decode()
    assert "La asistencia está cerrada en este momento" in page
    response = ana.post(NEW, request_data(plan_customer), follow=True)
    notice = response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0]
    assert "se atenderá a partir del lunes 30 noviembre 2026, 09:00 (CET)" in notice


def test_a_site_down_on_saturday_is_an_emergency_and_says_so(ana, plan_customer, weekend):
    response = ana.post(NEW, request_data(plan_customer, category="site_down"), follow=True)
    ticket = Ticket.objects.get()
    assert ticket.ticket_class == "emergency"
    notice = response.content.decode().split('<ul class="messages">')[1].split("</ul>")[0]
    assert "emergencia" in notice and "sábado 28 noviembre 2026, 15:00 (CET)" in notice
    assert "se atenderá a partir del lunes" not in notice


def test_a_refused_category_shows_the_policys_answer_citing_its_clause(ana, plan_customer,
                                                                      open_hours):
    response = ana.post(NEW, request_data(plan_customer, category="third_party",
                                          subject="Mi cuenta de Gmail"), follow=True)
    ticket = Ticket.objects.get()
    assert ticket.status == Status.RESOLVED
    page = response.content.decode()
    assert "Nuestra respuesta aparece a continuación" in page
    auto = page.split('class="message auto"')[1].split("</article>")[0]
    assert "no damos soporte a servicios de terceros" in auto
    assert "cláusula 6)" in auto


def test_a_customer_without_an_active_service_gets_the_clause_6_answer_and_no_ticket(
        client, lapsed_customer):
    client.force_login(factories.contact_user(lapsed_customer))
    response = client.post(NEW, request_data(lapsed_customer))
    assert response.status_code == 200
    page = response.content.decode()
    refusal = page.split('id="refusal"')[1].split("</div>")[0]
    assert "clientes con un servicio contratado" in refusal and "cláusula 6)" in refusal
    assert Ticket.objects.count() == 0
    assert not OutboundEmail.objects.exists()


def test_a_forged_site_of_another_customer_is_rejected_and_nothing_is_lost(
        ana, plan_customer, other_customer):
    foreign = other_customer.sites.get()
    data = request_data(plan_customer, about=f"site:{foreign.pk}")
    response = ana.post(NEW, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Elija uno de sus propios servicios o webs." in page
    assert 'value="No puedo entrar al FTP"' in page
    assert "Desde esta mañana el FTP rechaza mi contraseña." in page
    assert Ticket.objects.count() == 0


def test_a_forged_service_of_another_customer_is_rejected(ana, plan_customer, other_customer):
    foreign = other_customer.services.first()
    response = ana.post(NEW, request_data(plan_customer, about=f"service:{foreign.pk}"))
    assert "Elija uno de sus propios servicios o webs." in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_category_the_policy_does_not_have_is_rejected(ana, plan_customer):
    response = ana.post(NEW, request_data(plan_customer, category="free_work"))
    assert "Elija uno de los tipos de problema de la lista." in response.content.decode()
    assert Ticket.objects.count() == 0


def test_empty_fields_are_named_and_what_was_typed_stays(ana, plan_customer):
    response = ana.post(NEW, request_data(plan_customer, subject="   ", category=""))
    page = response.content.decode()
    assert page.count("Este campo es obligatorio.") == 2
    assert "Desde esta mañana el FTP rechaza mi contraseña." in page
    assert Ticket.objects.count() == 0


def test_a_request_may_be_about_no_service_in_particular(ana, plan_customer, open_hours):
    response = ana.post(NEW, request_data(plan_customer, about=""))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.site is None and ticket.service is None


def test_attachments_are_stored_with_the_first_message(ana, plan_customer, open_hours):
    files = [SimpleUploadedFile("captura.png", b"\x89PNG fake", content_type="image/png"),
             SimpleUploadedFile("log.txt", b"530 Login incorrect", content_type="text/plain")]
    response = ana.post(NEW, {**request_data(plan_customer), "attachments": files})
    assert response.status_code == 302
    stored = Attachment.objects.filter(message__ticket=Ticket.objects.get())
    assert sorted(stored.values_list("filename", flat=True)) == ["captura.png", "log.txt"]
    assert stored.get(filename="log.txt").file.read() == b"530 Login incorrect"


@override_settings(XUALA_MAX_ATTACHMENT_BYTES=1024)
def test_an_oversize_attachment_is_rejected_clearly_and_no_ticket_is_opened(ana, plan_customer):
    big = SimpleUploadedFile("volcado.sql", b"x" * 2048, content_type="application/sql")
    response = ana.post(NEW, {**request_data(plan_customer), "attachments": [big]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "El archivo «volcado.sql» ocupa 2,0" in page and "como máximo 1,0" in page
    assert "tiene que volver a adjuntar los archivos" in page
    assert 'value="No puedo entrar al FTP"' in page
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0


@override_settings(XUALA_MAX_ATTACHMENTS=2)
def test_too_many_attachments_are_rejected(ana, plan_customer):
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(3)]
    response = ana.post(NEW, {**request_data(plan_customer), "attachments": files})
    assert "Puede adjuntar como máximo 2 archivos." in response.content.decode()
    assert Ticket.objects.count() == 0


def test_an_empty_attachment_is_rejected(ana, plan_customer):
    empty = SimpleUploadedFile("vacio.txt", b"")
    response = ana.post(NEW, {**request_data(plan_customer), "attachments": [empty]})
    assert response.status_code == 200 and Ticket.objects.count() == 0
    assert "errorlist" in response.content.decode()


def test_the_first_message_keeps_the_description_as_plain_text(ana, plan_customer, open_hours):
    ana.post(NEW, request_data(plan_customer, description="<script>alert(1)</script> hola"))
    message = Ticket.objects.get().messages.get(kind=MessageKind.CLIENT)
    page = ana.get(f"/portal/tickets/{message.ticket_id}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hola" in page


def test_the_form_carries_an_explanation_for_each_kind_of_problem_refused_at_once(ana):
    """Refused at once (mail program, third parties, personal computing): the page holds the
    policy's answer and a link to the clause, hidden until that kind is chosen."""
    page = ana.get(NEW).content.decode()
    hints = page.split('id="category-hints"', 1)[1].split("</form>", 1)[0]
    for key, clause, words in [("mail_client", "6.1", "configuración de su sistema operativo"),
                               ("third_party", "6", "servicios de terceros"),
                               ("personal_computing", "6", "informática personal")]:
        hint = hints.split(f'id="category-hint-{key}"', 1)[1].split("</div>", 1)[0]
        assert " hidden" in hint.split(">", 1)[0]
        assert words in hint
        assert f'href="/kb/politicas-de-asistencia-tecnica/#s{clause}"' in hint
    assert "category-hint-hosting" not in hints and "category-hint-site_down" not in hints
    assert 'src="/static/portal/new_ticket.js"' in page or "portal/new_ticket" in page
    assert "onchange" not in page.split('id="new-ticket-form"', 1)[1]


def test_a_form_shown_again_keeps_the_chosen_kinds_explanation_visible(ana, plan_customer):
    page = ana.post(NEW, request_data(plan_customer, category="third_party",
                                      subject="")).content.decode()
    assert 'class="field has-errors"' in page
    hint = page.split('id="category-hint-third_party"', 1)[1].split(">", 1)[0]
    assert "hidden" not in hint
