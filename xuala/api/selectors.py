"""Reads for the API, scoped to what the caller may see: agents everything, clients their own.

Client reads go through the desk and customers selectors; only agents' cross-customer
lists, and the policy look-ups the API shows, live here. A client asking for another
customer's object gets Http404, exactly as for an object that does not exist.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from xuala.api.auth import Principal
from xuala.customers.models import Contact, Contract, Customer, Service, Site
from xuala.customers.selectors import (
    Coverage,
    contact_for_email,
    customer_contracts,
    customer_coverage,
    customer_services,
    customer_sites,
)
from xuala.desk.models import Message, Ticket
from xuala.desk.selectors import queue, ticket_for_agent, ticket_of_customer, tickets_of_customer
from xuala.policy.selectors import policy_active


def _customer_filter(principal: Principal, customer_id: int | None) -> Customer | None:
    """The customer a list is limited to: the client's own, or the agent's filter if any."""
    if customer_id is None:
        return principal.customer
    return customer_visible(principal=principal, pk=customer_id)


# ---------------------------------------------------------------- customers

def customers_visible(*, principal: Principal) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if not principal.is_agent:
        qs = qs.filter(pk=principal.customer.pk)
    return qs.order_by("name", "id")


def customer_visible(*, principal: Principal, pk: int) -> Customer:
    try:
        return customers_visible(principal=principal).get(pk=pk)
    except Customer.DoesNotExist:
        raise Http404("no such customer") from None


def customer_coverage_now(*, customer: Customer, now: datetime | None = None) -> Coverage:
    """The customer's coverage today, in the policy's own zone (the day the desk sees)."""
    now = now or timezone.now()
    return customer_coverage(customer=customer,
                             on=now.astimezone(policy_active().calendar.tz))


def services_visible(*, principal: Principal, customer_id: int | None = None
                     ) -> QuerySet[Service]:
    customer = _customer_filter(principal, customer_id)
    if customer is not None:
        return customer_services(customer=customer).order_by("kind", "name", "id")
    return Service.objects.order_by("customer_id", "kind", "name", "id")


def sites_visible(*, principal: Principal, customer_id: int | None = None) -> QuerySet[Site]:
    customer = _customer_filter(principal, customer_id)
    if customer is not None:
        return customer_sites(customer=customer).order_by("url", "id")
    return Site.objects.order_by("customer_id", "url", "id")


def contracts_visible(*, principal: Principal, customer_id: int | None = None
                      ) -> QuerySet[Contract]:
    customer = _customer_filter(principal, customer_id)
    if customer is not None:
        return customer_contracts(customer=customer).order_by("-starts_on", "-id")
    return Contract.objects.prefetch_related("sites").order_by("customer_id", "-starts_on", "-id")


def site_of_customer(*, customer: Customer, pk: int) -> Site:
    try:
        return customer_sites(customer=customer).get(pk=pk)
    except Site.DoesNotExist:
        raise Http404("no such site") from None


def service_of_customer(*, customer: Customer, pk: int) -> Service:
    try:
        return customer_services(customer=customer).get(pk=pk)
    except Service.DoesNotExist:
        raise Http404("no such service") from None


def contact_of_customer(*, customer: Customer, email: str) -> Contact:
    contact = contact_for_email(email)
    if contact is None or contact.customer_id != customer.pk:
        raise Http404("no such contact")
    return contact


# ---------------------------------------------------------------- policy

def ticket_categories() -> list[str]:
    """The scope rule keys a request may name as its category."""
    from xuala.desk.triage import rules_of

    return [rule.key for rule in rules_of(policy_active().policy)]


def _service_description(service, language: str) -> str:
    """The service's description with its values ({interval}, {weekday}...) filled in."""
    from django.utils import translation

    from xuala.kb.policy_article import service_text

    with translation.override(language):
        return service_text(service, service.description.get(language))


def plan_summary(*, plan_key: str, language: str) -> dict | None:
    """A plan as the active policy describes it, with its services; None if it is gone."""
    policy = policy_active().policy
    try:
        plan = policy.plan(plan_key)
    except KeyError:
        return None
    return {
        "key": plan.key,
        "name": plan.name.get(language),
        "billing": plan.billing.value,
        "services": [
            {"key": key, "name": policy.services[key].name.get(language),
             "description": _service_description(policy.services[key], language),
             "clause": policy.services[key].clause}
            for key in plan.services
        ],
        "extras": list(plan.extras),
    }


# ---------------------------------------------------------------- tickets

def tickets_visible(*, principal: Principal, status: str | None = None,
                    ticket_class: str | None = None,
                    customer_id: int | None = None) -> QuerySet[Ticket]:
    """Clients: their customer's tickets, newest first. Agents: every ticket, in queue order."""
    if principal.is_agent:
        if customer_id is not None:
            customer_visible(principal=principal, pk=customer_id)
        return queue(status=status, ticket_class=ticket_class, customer_id=customer_id,
                     include_done=True)
    customer = _customer_filter(principal, customer_id)
    qs = tickets_of_customer(customer=customer)
    if status:
        qs = qs.filter(status=status)
    if ticket_class:
        qs = qs.filter(ticket_class=ticket_class)
    return qs


def ticket_visible(*, principal: Principal, pk: int) -> Ticket:
    """One ticket, with ``visible_messages``: public ones for clients, all of them for agents."""
    if principal.is_agent:
        ticket = ticket_for_agent(pk=pk)
        messages: list[Message] = list(ticket.messages.all())
    else:
        ticket = ticket_of_customer(customer=principal.customer, pk=pk)
        messages = list(ticket.public_messages)
    ticket.visible_messages = messages
    return ticket
