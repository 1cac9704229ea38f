"""Reads about customers: who a user speaks for, what a customer has bought."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from xuala.customers.models import Contact, Contract, Customer, Service, Site


@dataclass(frozen=True)
class Coverage:
    """What a customer is entitled to on a given day."""

    has_active_service: bool
    plan_keys: tuple[str, ...]
    covered_site_ids: frozenset[int] | None  # None: every site of the customer

    @property
    def has_plan(self) -> bool:
        return bool(self.plan_keys)

    def covers_site(self, site_id: int | None) -> bool:
        if not self.has_plan:
            return False
        return self.covered_site_ids is None or site_id is None or site_id in self.covered_site_ids


def customer_for_user(user) -> Customer | None:
    """The customer a signed-in client speaks for, or None (agents, strangers)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Contact.objects.select_related("customer").get(user=user).customer
    except Contact.DoesNotExist:
        return None


def contact_for_email(email: str) -> Contact | None:
    return (Contact.objects.select_related("customer", "user")
            .filter(user__email__iexact=email.strip(), user__is_active=True).first())


def customer_coverage(*, customer: Customer, on: date | datetime) -> Coverage:
    day = on.date() if isinstance(on, datetime) else on
    has_service = customer.services.filter(Service.active_q(day)).exists()
    contracts = list(customer.contracts.filter(Contract.active_q(day))
                     .prefetch_related("sites"))
    if not contracts:
        return Coverage(has_service, (), frozenset())
    site_ids: set[int] | None = set()
    for contract in contracts:
        ids = {site.pk for site in contract.sites.all()}
        if not ids:
            site_ids = None
            break
        site_ids |= ids
    return Coverage(has_service, tuple(sorted({c.plan_key for c in contracts})),
                    None if site_ids is None else frozenset(site_ids))


def customer_services(*, customer: Customer) -> QuerySet[Service]:
    return customer.services.select_related("server").order_by("kind", "name")


def customer_sites(*, customer: Customer) -> QuerySet[Site]:
    return customer.sites.select_related("server").order_by("url")


def customer_contracts(*, customer: Customer) -> QuerySet[Contract]:
    return customer.contracts.prefetch_related("sites").order_by("-starts_on")
