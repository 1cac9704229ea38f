"""The demo: a plan client, a hosting-only client, agents, an admin, tickets in every state."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xuala.accounts.models import Role, User
from xuala.customers.models import Cms, Customer, HostingServer, Site
from xuala.customers.services import demo_customer_create
from xuala.desk.models import CannedReply, Channel, Status

DEMO_MARK = "[DEMO] "
# The demo's monitors check small pages the desk serves itself (xuala.core.views.demo_site),
# so a fresh machine sees them up; `xuala run` points them at the address it serves.
DEMO_SITE_PATH = "/demo-site/"
FAILING_ON_PURPOSE = "failing-on-purpose"
# Demo agents take meetings Monday to Friday, in the morning and the afternoon.
DEMO_AGENT_HOURS = ((time(9), time(14)), (time(15), time(18)))


@dataclass
class DemoAccounts:
    passwords: dict[str, str]


def demo_present() -> bool:
    return Customer.objects.filter(is_demo=True).exists()


def _user(email: str, name: str, role: str, password: str, **extra) -> User:
    if role == Role.ADMIN:
        return User.objects.create_superuser(email, password, name=name, **extra)
    return User.objects.create_user(email, password, name=name, role=role, **extra)


def _local_origin() -> str:
    return settings.XUALA_PUBLIC_URL


def _demo_monitors(*, ana_site: Site, failing_site: Site, servers) -> None:
    """Monitors on the desk's own demo pages (up), and one that fails on purpose."""
    from xuala.sentry.models import Monitor, MonitorKind

    origin = _local_origin()
    slug = ana_site.url.split("//", 1)[-1].strip("/")
    Monitor.objects.create(kind=MonitorKind.SITE, site=ana_site, customer=ana_site.customer,
                           name=ana_site.url, url=f"{origin}{DEMO_SITE_PATH}{slug}/")
    Monitor.objects.create(
        kind=MonitorKind.SITE, site=failing_site, customer=failing_site.customer,
        name=f"{DEMO_MARK}falla a propósito: {failing_site.url}",
        url=f"{origin}{DEMO_SITE_PATH}{FAILING_ON_PURPOSE}/")
    for server in servers:
        Monitor.objects.create(kind=MonitorKind.SERVER, server=server, name=server.name,
                               url=f"{origin}{DEMO_SITE_PATH}{server.name}/",
                               status_min=200, status_max=499)


def demo_monitors_point(*, origin: str) -> int:
    """Point the demo's monitors at ``origin`` (the address `xuala run` serves on)."""
    from xuala.sentry.models import Monitor

    moved = 0
    for monitor in Monitor.objects.filter(url__contains=DEMO_SITE_PATH):
        path = monitor.url[monitor.url.index(DEMO_SITE_PATH):]
        if monitor.url != origin + path:
            Monitor.objects.filter(pk=monitor.pk).update(url=origin + path)
            moved += 1
    return moved


@transaction.atomic
def demo_load() -> DemoAccounts:
    """Create the demo data once; returns the passwords it set (shown to the operator)."""
    from xuala.desk import services as desk

    passwords = {email: secrets.token_urlsafe(9) for email in (
        "ana@cliente-demo.es", "luis@sinplan-demo.es", "agente@modo3.net",
        "agente2@modo3.net", "admin@modo3.net")}
    web = HostingServer.objects.get_or_create(name="xc-web-01",
                                              defaults={"hostname": "xc-web-01.xuala.cloud"})[0]
    mail = HostingServer.objects.get_or_create(name="xc-mail-01",
                                               defaults={"hostname": "xc-mail-01.xuala.cloud"})[0]

    def client(name, email, person, domain, cms, plan=None):
        return demo_customer_create(name=DEMO_MARK + name, email=email, person=person,
                                    password=passwords[email], domain=domain, cms=cms,
                                    web=web, mail=mail, plan=plan)

    plan_customer, ana, ana_site = client("Cliente Demo SL", "ana@cliente-demo.es", "Ana García",
                                          "cliente-demo.es", Cms.WOOCOMMERCE,
                                          plan="cobertura-mensual")
    basic_customer, luis, luis_site = client("Sin Plan Demo SL", "luis@sinplan-demo.es",
                                             "Luis Pérez", "sinplan-demo.es", Cms.WORDPRESS)
    agent = _user("agente@modo3.net", "Agente Demo", Role.AGENT, passwords["agente@modo3.net"])
    agent2 = _user("agente2@modo3.net", "Segunda Agente", Role.AGENT,
                   passwords["agente2@modo3.net"])
    _user("admin@modo3.net", "Administración", Role.ADMIN, passwords["admin@modo3.net"])
    from xuala.meetings.services import availability_week_add

    for person in (agent, agent2):
        for starts, ends in DEMO_AGENT_HOURS:
            availability_week_add(agent=person, weekdays=range(5), starts=starts, ends=ends)
    failing_site = Site.objects.create(
        customer=plan_customer, service=ana_site.service, server=web, cms=Cms.WORDPRESS,
        url="https://falla-a-proposito.cliente-demo.es/")
    _demo_monitors(ana_site=ana_site, failing_site=failing_site, servers=(web, mail))
    from xuala.nodes.demo import demo_node

    demo_node(site=ana_site)  # xuala run starts a local node for it (see docs/wsa.md)

    CannedReply.objects.get_or_create(title="Revisado y solucionado", language="es", defaults={
        "body": "Hola:\n\nHemos revisado el problema y ya está solucionado. Si vuelve a "
                "ocurrir, responda a este mensaje.\n\nUn saludo."})
    CannedReply.objects.get_or_create(title="Checked and fixed", language="en", defaults={
        "body": "Hello,\n\nWe have looked into it and it is fixed now. If it happens again, "
                "reply to this message.\n\nKind regards."})
    CannedReply.objects.get_or_create(title="Necesitamos más datos", language="es", defaults={
        "body": "Hola:\n\n¿Podría indicarnos la URL exacta y la hora a la que vio el error?"
                "\n\nUn saludo."})

    now = timezone.now()

    def ticket(customer, user, site, subject, body, category, hours_ago):
        return desk.ticket_open(customer=customer, contact=user, channel=Channel.PORTAL,
                                subject=subject, body_text=body, category=category, site=site,
                                received_at=now - timedelta(hours=hours_ago)).ticket

    ticket(plan_customer, ana, ana_site, "El carrito da error al pagar",
           "Desde ayer algunos clientes ven un error 500 al pagar con tarjeta.",
           "site_fault", 2)  # new, priority
    opened = ticket(basic_customer, luis, luis_site, "No puedo entrar por FTP",
                    "El cliente FTP dice que la contraseña no es válida.", "hosting", 5)
    desk.ticket_set_status(ticket=opened, status=Status.OPEN, actor=agent)
    waiting = ticket(plan_customer, ana, ana_site, "Certificado SSL caducado",
                     "El navegador avisa de que el certificado ha caducado.", "hosting", 26)
    desk.ticket_reply(ticket=waiting, author=agent,
                      body_text="Hola Ana: ¿nos confirma el dominio exacto afectado?")
    ticket(plan_customer, ana, ana_site, "Licencia de un plugin premium",
           "Queremos añadir el plugin de envíos con licencia anual.", "paid_change", 30)
    ticket(basic_customer, luis, luis_site, "Quiero que me llaméis",
           "Prefiero explicarlo en persona, ¿podemos hablar?", "meeting", 3)
    ticket(basic_customer, luis, luis_site, "Mi plantilla se ve mal",
           "Tras cambiar de tema la portada sale descolocada.", "site_fault", 50)  # resolved
    closed = ticket(plan_customer, ana, ana_site, "Copia de seguridad",
                    "¿Podéis restaurar la copia de ayer?", "hosting", 120)
    desk.ticket_reply(ticket=closed, author=agent, body_text="Restaurada. Un saludo.",
                      status=Status.RESOLVED)
    desk.ticket_set_status(ticket=closed, status=Status.CLOSED, actor=agent)
    ticket(basic_customer, luis, luis_site, "La web no carga",
           "La web devuelve un error y no carga nada.", "site_down", 1)  # emergency
    ticket(basic_customer, luis, luis_site, "Copias",
           "¿Hacéis copias de seguridad del correo también o solo de la web?", None,
           4)  # free text the learned triage is unsure of: a proposal for the agent
    from xuala.kb.seed import seed_load

    seed_load()
    return DemoAccounts(passwords=passwords)
