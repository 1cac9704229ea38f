"""The dashboard: the customer's own services, sites, plans and requests, and the hours notice."""

from datetime import date

from tests import factories
from tests.portal.conftest import file_ticket
from xuala.customers.models import Billing, Contract, ContractStatus, Site


def test_it_lists_only_the_customers_own_services_sites_and_tickets(ana, plan_customer,
                                                                    other_customer, open_hours):
    mine = file_ticket(plan_customer, subject="Mi certificado caduca")
    theirs = file_ticket(other_customer, subject="El FTP de la otra empresa")
    page = ana.get("/portal/").content.decode()
    assert "Cliente Demo SL" in page
    assert "https://www.cliente-demo.es/" in page and "https://www.otra-empresa.es/" not in page
    assert "cliente-demo.es" in page and "otra-empresa.es" not in page
    assert "Mi certificado caduca" in page and mine.reference in page
    assert "El FTP de la otra empresa" not in page
    assert f'id="ticket-row-{theirs.pk}"' not in page
    assert 'id="new-ticket-button"' in page


def test_it_shows_each_service_with_kind_status_and_period(ana):
    page = ana.get("/portal/").content.decode()
    assert "Alojamiento web" in page
    assert "Activo" in page
    assert "desde el 1 Ene 2020" in page


def test_it_shows_the_active_plan_by_its_policy_name_and_that_it_covers_the_site(ana):
    page = ana.get("/portal/").content.decode()
    assert "Póliza de Cobertura Técnica Web Xuala Cloud — mensual" in page
    assert "Todas sus webs" in page
    assert '<span class="badge covered">Cubierta</span>' in page


def test_a_plan_limited_to_some_sites_leaves_the_others_uncovered(ana, plan_customer):
    extra = Site.objects.create(customer=plan_customer, url="https://tienda.cliente-demo.es/")
    contract = plan_customer.contracts.get()
    contract.sites.set([plan_customer.sites.exclude(pk=extra.pk).get()])
    page = ana.get("/portal/").content.decode()
    row = page.split("https://tienda.cliente-demo.es/")[1].split("</tr>")[0]
    assert "Sin cobertura" in row


def test_a_cancelled_or_ended_plan_is_not_listed(client, hosting_customer):
    Contract.objects.create(customer=hosting_customer, plan_key="cobertura-anual",
                            billing=Billing.ANNUAL, status=ContractStatus.CANCELLED)
    Contract.objects.create(customer=hosting_customer, plan_key="cobertura-mensual",
                            billing=Billing.MONTHLY, starts_on=date(2020, 1, 1),
                            ends_on=date(2021, 1, 1))
    client.force_login(factories.contact_user(hosting_customer))
    page = client.get("/portal/").content.decode()
    assert "Póliza de Cobertura Técnica —" not in page
    assert "No tiene ninguna póliza de cobertura" in page
    assert "Sin cobertura" in page


def test_it_shows_ticket_reference_subject_status_class_and_last_update(ana, plan_customer,
                                                                       open_hours):
    ticket = file_ticket(plan_customer)
    page = ana.get("/portal/").content.decode()
    row = page.split(f'id="ticket-row-{ticket.pk}"')[1].split("</tr>")[0]
    assert f"/portal/tickets/{ticket.pk}/" in row
    assert ticket.reference in row and "No puedo entrar al FTP" in row
    assert "Nuevo" in row and "Prioritario" in row
    assert "25 Nov 2026, 12:00" in row  # last update, in the policy's zone (Madrid)


def test_it_tells_a_visitor_on_saturday_when_support_opens(ana, weekend):
    page = ana.get("/portal/").content.decode()
    assert 'id="closed-notice"' in page
    assert "La asistencia está cerrada en este momento" in page
    assert "lunes 30 noviembre 2026, 09:00 (CET)" in page
    assert "emergencias del servicio web se atienden en cualquier momento" in page


def test_it_shows_no_closed_notice_while_support_is_open(ana, open_hours):
    assert 'id="closed-notice"' not in ana.get("/portal/").content.decode()


def test_the_english_dashboard_is_in_english(client, db, weekend):
    english = factories.customer(name="Acme Ltd", email="jo@acme.co.uk", language="en")
    client.force_login(factories.contact_user(english))
    page = client.get("/en/portal/").content.decode()
    assert '<html lang="en">' in page
    assert "Your services" in page and "Web hosting" in page
    assert "Support is closed now" in page and "Monday 30 November 2026, 09:00 (CET)" in page
    assert "Sus servicios" not in page


def test_the_dashboard_is_in_spanish_by_default(ana):
    page = ana.get("/portal/").content.decode()
    assert '<html lang="es">' in page
    assert "Sus servicios" in page and "Your services" not in page


def test_the_nav_has_dashboard_new_request_sign_out_and_the_users_name(ana):
    page = ana.get("/portal/").content.decode()
    assert 'id="nav-dashboard"' in page and 'id="nav-new-ticket"' in page
    assert 'action="/portal/logout/"' in page and 'id="nav-sign-out"' in page
    assert "Cliente Demo SL contact" in page
