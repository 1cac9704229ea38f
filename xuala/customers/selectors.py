"""Reads about customers: who a user speaks for, what a customer has bought."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.db.models.functions import Lower

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


def contacts_for_emails(*, emails: Iterable[str]) -> dict[str, Contact]:
    """``contact_for_email`` for several addresses in one query, by lower-cased address.

    An address with letters beyond ASCII is looked up on its own (SQLite lower-cases ASCII
    only, so the two sides of the comparison could differ)."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    plain = {email for email in wanted if email.isascii()}
    found: dict[str, Contact] = {}
    if plain:
        for contact in (Contact.objects.select_related("customer", "user")
                        .annotate(email_lower=Lower("user__email"))
                        .filter(email_lower__in=plain, user__is_active=True).order_by("pk")):
            found.setdefault(contact.email_lower, contact)
    for email in wanted - plain:
        contact = contact_for_email(email)
        if contact is not None:
            found[email] = contact
    return found


def customer_coverage(*, customer: Customer, on: date | datetime) -> Coverage:
    return customers_coverage(customers=[customer], on=on)[customer.pk]


def customers_coverage(*, customers: Sequence[Customer], on: date | datetime
                       ) -> dict[int, Coverage]:
    """The coverage of several customers on one day, in three queries whatever their number."""
    day = on.date() if isinstance(on, datetime) else on
    pks = [customer.pk for customer in customers]
    with_service = set(Service.objects.filter(Service.active_q(day), customer_id__in=pks)
                       .values_list("customer_id", flat=True).distinct())
    contracts: dict[int, list[Contract]] = {}
    for contract in (Contract.objects.filter(Contract.active_q(day), customer_id__in=pks)
                     .prefetch_related("sites")):
        contracts.setdefault(contract.customer_id, []).append(contract)
    coverage = {}
    for pk in pks:
        mine = contracts.get(pk, [])
        if not mine:
            coverage[pk] = Coverage(pk in with_service, (), frozenset())
            continue
        site_ids: set[int] | None = set()
        for contract in mine:
            ids = {site.pk for site in contract.sites.all()}
            if not ids:
                site_ids = None
                break
            site_ids |= ids
        coverage[pk] = Coverage(pk in with_service, tuple(sorted({c.plan_key for c in mine})),
                                None if site_ids is None else frozenset(site_ids))
    return coverage


def customer_services(*, customer: Customer) -> QuerySet[Service]:
    return customer.services.select_related("server").order_by("kind", "name")


def customer_sites(*, customer: Customer) -> QuerySet[Site]:
    return customer.sites.select_related("server").order_by("url")


def customer_contracts(*, customer: Customer) -> QuerySet[Contract]:
    return customer.contracts.prefetch_related("sites").order_by("-starts_on")
