"""Reads of quotes. Every client-facing read is scoped to the client's customer here."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from xuala.customers.models import Contact, Customer
from xuala.quotes.models import CLIENT_VISIBLE, Quote, QuoteLine


def quotes_of_customer(*, customer: Customer) -> QuerySet[Quote]:
    """The customer's quotes that were sent to it (drafts are the agents'), newest first."""
    return (Quote.objects.filter(customer=customer, status__in=CLIENT_VISIBLE)
            .select_related("ticket").order_by("-year", "-sequence"))


def quote_of_customer(*, customer: Customer | None, number: str) -> Quote:
    """One sent or decided quote of ``customer`` with its lines; 404 for any other."""
    if customer is None:
        raise Http404("no such quote")
    try:
        return (Quote.objects.select_related("ticket", "customer", "contact", "decided_by")
                .prefetch_related("lines")
                .get(number=number, customer=customer, status__in=CLIENT_VISIBLE))
    except Quote.DoesNotExist:
        raise Http404("no such quote") from None


def quote_of_ticket_for_client(*, ticket) -> Quote | None:
    """The newest quote of ``ticket`` that its client can see, if any."""
    return (Quote.objects.filter(ticket_id=ticket.pk, customer_id=ticket.customer_id,
                                 status__in=CLIENT_VISIBLE)
            .order_by("-year", "-sequence").first())


def quote_for_agent(*, number: str) -> Quote:
    return get_object_or_404(Quote.objects.select_related("ticket", "customer", "contact",
                                                          "created_by", "decided_by")
                             .prefetch_related("lines"), number=number)


def quote_for_action(*, number: str) -> Quote:
    """A plain quote row to hand to a service (services lock and re-read it)."""
    return get_object_or_404(Quote, number=number)


def quote_line_for_action(*, number: str, pk: int) -> QuoteLine:
    """A line of quote ``number``, with its quote, to hand to a service."""
    return get_object_or_404(QuoteLine.objects.select_related("quote"), pk=pk,
                             quote__number=number)


def quotes_for_agents(*, status: str | None = None, search: str | None = None,
                      ticket_id: int | None = None, customer_id: int | None = None
                      ) -> QuerySet[Quote]:
    """Every quote for the console, newest first, optionally filtered."""
    qs = Quote.objects.select_related("customer", "ticket", "created_by")
    given = {"status": status, "ticket_id": ticket_id, "customer_id": customer_id}
    qs = qs.filter(**{field: value for field, value in given.items() if value})
    if search:
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(customer__name__icontains=term)
                       | Q(ticket__subject__icontains=term))
    return qs.order_by("-year", "-sequence")


def customer_primary_contact(*, customer: Customer):
    """The user a quote without a ticket goes to: the primary contact, else the first one."""
    contact = (Contact.objects.select_related("user")
               .filter(customer=customer, user__is_active=True)
               .order_by("-is_primary", "pk").first())
    return contact.user if contact else None


def customers_to_quote() -> QuerySet[Customer]:
    """Customers an agent can draft a quote for (without a ticket)."""
    return Customer.objects.order_by("name", "pk")


def customer_for_agent(*, pk: int) -> Customer:
    try:
        return Customer.objects.get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("no such customer") from None
