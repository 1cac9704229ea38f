"""Reads the client area needs beyond the shared selectors; each is scoped to one customer."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from xuala.customers.models import Contract, Customer
from xuala.customers.selectors import customer_contracts
from xuala.desk.models import Attachment, MessageKind


def contracts_active(*, customer: Customer, on: date) -> QuerySet[Contract]:
    """The customer's coverage-plan contracts in force on ``on``."""
    return customer_contracts(customer=customer).filter(Contract.active_q(on))


def attachment_of_customer(*, customer: Customer | None, pk: int) -> Attachment:
    """An attachment of a public message on one of ``customer``'s tickets; 404 for any other."""
    if customer is None:
        raise Http404("no such attachment")
    try:
        return (Attachment.objects.select_related("message__ticket")
                .exclude(message__kind=MessageKind.NOTE)
                .get(pk=pk, message__ticket__customer=customer))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("no such attachment") from None
