"""The intake's plain-SQL reads of customers answer what the ORM's own queries answer.

``customers_coverage`` writes the conditions of ``Service.active_q`` and ``Contract.active_q``
in SQL, and ``contacts_for_emails`` builds contacts as ``select_related`` would: these tests
hold both against the ORM on the same rows, so a change to the models or to ``active_q``
that the SQL does not follow fails here.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Model

from tests import factories
from xuala.customers.models import (
    Billing,
    Contact,
    Contract,
    ContractStatus,
    Service,
    ServiceKind,
    ServiceStatus,
    Site,
)
from xuala.customers.selectors import Coverage, contacts_for_emails, customers_coverage

pytestmark = pytest.mark.django_db

DAYS = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1),
        date(2027, 1, 1)]


def orm_coverage(customer, day: date) -> Coverage:
    """The coverage the ORM's own conditions give (the reference the SQL must match)."""
    has_service = Service.objects.filter(customer=customer).filter(
        Service.active_q(day)).exists()
    contracts = list(Contract.objects.filter(customer=customer).filter(Contract.active_q(day))
                     .prefetch_related("sites"))
    site_ids: frozenset[int] | None = frozenset()
    if contracts:
        sets = [{site.pk for site in contract.sites.all()} for contract in contracts]
        site_ids = None if not all(sets) else frozenset(set().union(*sets))
    return Coverage(has_service, tuple(sorted({c.plan_key for c in contracts})), site_ids)


def contract(customer, *, plan: str, status: str = ContractStatus.ACTIVE,
             starts: date = date(2026, 1, 1), ends: date | None = None, sites=()):
    row = Contract.objects.create(customer=customer, plan_key=plan, billing=Billing.MONTHLY,
                                  status=status, starts_on=starts, ends_on=ends)
    row.sites.set(sites)
    return row


def test_coverage_in_sql_matches_active_q_on_every_day():
    plain = factories.customer(name="Solo Hosting SL", email="a@solo.es")
    whole = factories.customer(name="Todo SL", email="b@todo.es")
    contract(whole, plan="cobertura-mensual")
    some = factories.customer(name="Algunas SL", email="c@algunas.es", service=False)
    one, two = (Site.objects.create(customer=some, url=f"https://{n}.algunas.es/")
                for n in ("uno", "dos"))
    contract(some, plan="cobertura-mensual", sites=[one], ends=date(2026, 6, 30))
    contract(some, plan="cobertura-anual", sites=[two], starts=date(2026, 7, 1))
    contract(some, plan="cobertura-anual", status=ContractStatus.PENDING, starts=date(2025, 1, 1))
    lapsed = factories.customer(name="Antiguo SL", email="d@antiguo.es", service=False)
    Service.objects.create(customer=lapsed, kind=ServiceKind.MAIL, name="antiguo.es",
                           status=ServiceStatus.SUSPENDED, starts_on=date(2020, 1, 1))
    Service.objects.create(customer=lapsed, kind=ServiceKind.MAIL, name="antiguo.es",
                           starts_on=date(2020, 1, 1), ends_on=date(2026, 1, 1))
    contract(lapsed, plan="cobertura-mensual", status=ContractStatus.CANCELLED)
    customers = [plain, whole, some, lapsed]
    for day in DAYS:
        assert customers_coverage(customers=customers, on=day) == {
            c.pk: orm_coverage(c, day) for c in customers}, day


def fields_of(row: Model) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


def test_contacts_in_sql_are_the_contacts_select_related_builds():
    factories.customer(name="Cliente Demo SL", email="Ana@Cliente-Demo.es")
    factories.customer(name="Otra SL", email="luis@otra.es")
    found = contacts_for_emails(emails=[" ana@cliente-demo.ES", "luis@otra.es", "nadie@x.es"])
    assert set(found) == {"ana@cliente-demo.es", "luis@otra.es"}
    for email, contact in found.items():
        expected = (Contact.objects.select_related("user", "customer")
                    .get(user__email__iexact=email, user__is_active=True))
        assert fields_of(contact) == fields_of(expected)
        assert fields_of(contact.user) == fields_of(expected.user)
        assert fields_of(contact.customer) == fields_of(expected.customer)
