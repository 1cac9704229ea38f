"""Small builders for test data: customers with and without plans, agents, tickets."""

from __future__ import annotations

from datetime import date

from xuala.accounts.models import Role, User
from xuala.customers.models import (
    Billing,
    Contact,
    Contract,
    Customer,
    HostingServer,
    Service,
    ServiceKind,
    Site,
)

PASSWORD = "correct horse battery staple"


def server(name: str = "xc-web-01") -> HostingServer:
    return HostingServer.objects.get_or_create(name=name, defaults={"hostname": f"{name}.xuala"})[0]


def customer(*, name: str, email: str, plan: str | None = None, service: bool = True,
             language: str = "es", site_url: str | None = None) -> Customer:
    """A customer with one contact (``email``), a hosting service and a site, and a plan."""
    cust = Customer.objects.create(name=name, language=language)
    user = User.objects.create_user(email, PASSWORD, name=name + " contact", role=Role.CLIENT,
                                    language=language)
    Contact.objects.create(user=user, customer=cust, is_primary=True)
    domain = email.split("@", 1)[1]
    if service:
        svc = Service.objects.create(customer=cust, kind=ServiceKind.WEB_HOSTING, name=domain,
                                     server=server(), starts_on=date(2020, 1, 1))
        Site.objects.create(customer=cust, service=svc, server=svc.server,
                            url=site_url or f"https://www.{domain}/")
        Service.objects.create(customer=cust, kind=ServiceKind.MAIL, name=domain,
                               server=svc.server, starts_on=date(2020, 1, 1))
    if plan:
        Contract.objects.create(customer=cust, plan_key=plan, billing=Billing.MONTHLY,
                                starts_on=date(2020, 1, 1))
    return cust


def contact_user(cust: Customer) -> User:
    return cust.contacts.select_related("user").first().user


def agent(email: str = "agente@modo3.net", *, admin: bool = False) -> User:
    if admin:
        return User.objects.create_superuser(email, PASSWORD, name="Admin")
    return User.objects.create_user(email, PASSWORD, name="Agente", role=Role.AGENT,
                                    is_staff=False)
