"""Reads about customers: who a user speaks for, what a customer has bought."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import QuerySet

from xuala.customers.models import (
    Contact,
    Contract,
    ContractStatus,
    Customer,
    Service,
    ServiceStatus,
    Site,
)


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
    """``contact_for_email`` for several addresses in one statement, by lower-cased address.

    The mail intake asks this for every batch of messages: one plain SQL statement, the
    contact, its user and its customer built as ``select_related`` would build them. An
    address with letters beyond ASCII is looked up on its own (SQLite lower-cases ASCII
    only, so the two sides of the comparison could differ).
    """
    wanted = {email.strip().lower() for email in emails if email.strip()}
    plain = sorted(email for email in wanted if email.isascii())
    found: dict[str, Contact] = {}
    if plain:
        user_model = Contact.user.field.related_model
        parts = [(Contact, "c"), (user_model, "u"), (Customer, "k")]
        columns = [[f.attname for f in model._meta.concrete_fields] for model, _ in parts]
        q = connection.ops.quote_name
        select = ", ".join(f"{alias}.{q(f.column)}" for model, alias in parts
                           for f in model._meta.concrete_fields)
        email = q(user_model._meta.get_field("email").column)
        sql = (f"SELECT {select} FROM {q(Contact._meta.db_table)} c "  # noqa: S608
               f"JOIN {q(user_model._meta.db_table)} u ON u.{q('id')} = c.{q('user_id')} "
               f"JOIN {q(Customer._meta.db_table)} k ON k.{q('id')} = c.{q('customer_id')} "
               f"WHERE LOWER(u.{email}) IN ({', '.join(['%s'] * len(plain))}) "
               f"AND u.{q('is_active')} ORDER BY c.{q('id')}")
        with connection.cursor() as cursor:
            cursor.execute(sql, plain)
            rows = cursor.fetchall()
        convert = _converters([f for model, _ in parts for f in model._meta.concrete_fields])
        for row in rows:
            row = [value if not steps else _apply(steps, col, value) for value, (col, steps)
                   in zip(row, convert, strict=True)]
            values, at = [], 0
            for names in columns:
                values.append(row[at:at + len(names)])
                at += len(names)
            contact = Contact.from_db(connection.alias, columns[0], values[0])
            user = user_model.from_db(connection.alias, columns[1], values[1])
            customer = Customer.from_db(connection.alias, columns[2], values[2])
            Contact.user.field.set_cached_value(contact, user)
            Contact.customer.field.set_cached_value(contact, customer)
            found.setdefault(user.email.lower(), contact)
    for email in wanted - set(plain):
        contact = contact_for_email(email)
        if contact is not None:
            found[email] = contact
    return found


def _converters(fields) -> list[tuple]:
    """Per column, the converters the ORM's compiler applies to what the driver returns
    (SQLite's datetimes made aware, JSON decoded…): a plain cursor skips them."""
    out = []
    for field in fields:
        col = field.get_col(field.model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col)
                    + col.get_db_converters(connection)))
    return out


def _apply(steps: list, col, value):
    for convert in steps:
        value = convert(value, col, connection)
    return value


def customer_coverage(*, customer: Customer, on: date | datetime) -> Coverage:
    return customers_coverage(customers=[customer], on=on)[customer.pk]


def customers_coverage(*, customers: Sequence[Customer], on: date | datetime
                       ) -> dict[int, Coverage]:
    """The coverage of several customers on one day, in two statements whatever their number.

    Plain SQL (the mail intake asks this for every batch of new tickets); the conditions
    are those of ``Service.active_q`` and ``Contract.active_q``.
    """
    day = on.date() if isinstance(on, datetime) else on
    pks = sorted({customer.pk for customer in customers})
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(pks))
    when = connection.ops.adapt_datefield_value(day)
    active = "status = %s AND starts_on <= %s AND (ends_on IS NULL OR ends_on >= %s)"
    sites = Contract.sites.through
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT customer_id FROM {q(Service._meta.db_table)} "  # noqa: S608
            f"WHERE customer_id IN ({marks}) AND {active}",
            [*pks, ServiceStatus.ACTIVE.value, when, when])
        with_service = {pk for (pk,) in cursor.fetchall()}
        cursor.execute(
            f"SELECT c.id, c.customer_id, c.plan_key, s.site_id "  # noqa: S608
            f"FROM {q(Contract._meta.db_table)} c LEFT JOIN {q(sites._meta.db_table)} s "
            f"ON s.contract_id = c.id WHERE c.customer_id IN ({marks}) AND "
            + active.replace("status", "c.status").replace("starts_on", "c.starts_on")
            .replace("ends_on", "c.ends_on"),
            [*pks, ContractStatus.ACTIVE.value, when, when])
        rows = cursor.fetchall()
    contracts: dict[int, dict[int, tuple[str, set[int]]]] = {}
    for contract_id, customer_id, plan_key, site_id in rows:
        _, ids = contracts.setdefault(customer_id, {}).setdefault(contract_id, (plan_key, set()))
        if site_id is not None:
            ids.add(site_id)
    coverage = {}
    for pk in pks:
        mine = contracts.get(pk, {})
        if not mine:
            coverage[pk] = Coverage(pk in with_service, (), frozenset())
            continue
        site_ids: set[int] | None = set()
        for _, ids in mine.values():
            if not ids:
                site_ids = None
                break
            site_ids |= ids
        coverage[pk] = Coverage(pk in with_service,
                                tuple(sorted({plan for plan, _ in mine.values()})),
                                None if site_ids is None else frozenset(site_ids))
    return coverage


def customer_services(*, customer: Customer) -> QuerySet[Service]:
    return customer.services.select_related("server").order_by("kind", "name")


def customer_sites(*, customer: Customer) -> QuerySet[Site]:
    return customer.sites.select_related("server").order_by("url")


def customer_contracts(*, customer: Customer) -> QuerySet[Contract]:
    return customer.contracts.prefetch_related("sites").order_by("-starts_on")


def sites_with_url(url: str) -> list[Site]:
    """The sites whose URL is ``url``, with or without its trailing slash (the commands'
    way of naming a site)."""
    bare = url.strip().rstrip("/")
    return [site for site in Site.objects.filter(url__startswith=bare).select_related(
        "server", "customer") if site.url.rstrip("/") == bare] if bare else []
