"""State changes of customers: the CSV import and the demo's clients."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from xuala.accounts.models import Role, User
from xuala.customers.models import (
    Billing,
    Cms,
    Contact,
    Contract,
    Customer,
    HostingServer,
    Service,
    ServiceKind,
    Site,
)
from xuala.policy.selectors import policy_active

IMPORT_COLUMNS = [
    "customer", "tax_id", "language", "contact_email", "contact_name", "contact_phone",
    "service_kind", "service_name", "server", "starts_on", "ends_on",
    "site_url", "cms", "plan", "billing", "root",
]
REQUIRED = {"customer", "contact_email"}


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    created: dict[str, int] = field(default_factory=lambda: {
        "customers": 0, "contacts": 0, "services": 0, "sites": 0, "contracts": 0})

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_date(value: str, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a date (YYYY-MM-DD)") from None


def _check_row(row: dict[str, str], plan_keys: set[str]) -> list[str]:
    problems = [f"{col}: required" for col in sorted(REQUIRED) if not row.get(col)]
    if row.get("contact_email"):
        try:
            validate_email(row["contact_email"])
        except ValidationError:
            problems.append(f"contact_email: {row['contact_email']!r} is not an e-mail address")
    if row.get("language") and row["language"] not in ("es", "en"):
        problems.append("language: use es or en")
    if row.get("service_kind") and row["service_kind"] not in ServiceKind.values:
        problems.append(f"service_kind: use one of {', '.join(ServiceKind.values)}")
    if row.get("service_kind") and not row.get("service_name"):
        problems.append("service_name: required with service_kind")
    if row.get("site_url"):
        try:
            URLValidator(schemes=["http", "https"])(row["site_url"])
        except ValidationError:
            problems.append(f"site_url: {row['site_url']!r} is not an http(s) URL")
    if row.get("root") and (not row["root"].startswith("/") or not row.get("site_url")
                            or not row.get("server")):
        problems.append("root: an absolute path, with site_url and server")
    if row.get("cms") and row["cms"] not in Cms.values:
        problems.append(f"cms: use one of {', '.join(Cms.values)}")
    if row.get("plan") and row["plan"] not in plan_keys:
        problems.append(f"plan: {row['plan']!r} is not a plan of the policy "
                        f"({', '.join(sorted(plan_keys))})")
    if row.get("billing") and row["billing"] not in Billing.values:
        problems.append("billing: use monthly or annual")
    for column in ("starts_on", "ends_on"):
        try:
            _parse_date(row.get(column, ""), column)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def customers_import(*, text: str) -> ImportReport:
    """Import customers, contacts, services, sites and contracts from CSV text.

    Every row is checked first; if any row has a problem, the report lists each
    one with its line number and nothing is written. Otherwise everything is
    written in one transaction. Re-importing the same file creates nothing new.
    """
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"missing columns: {', '.join(sorted(missing))}"))
        return report
    unknown = [c for c in reader.fieldnames or [] if c not in IMPORT_COLUMNS]
    if unknown:
        report.errors.append((1, f"unknown columns: {', '.join(unknown)}"))
        return report
    plan_keys = {plan.key for plan in policy_active().policy.plans}
    rows = []
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k}
        report.rows += 1
        problems = _check_row(clean, plan_keys)
        for problem in problems:
            report.errors.append((reader.line_num, problem))
        rows.append(clean)
    if report.errors:
        return report
    with transaction.atomic():
        for row in rows:
            _import_row(row, report)
    return report


def _import_row(row: dict[str, str], report: ImportReport) -> None:
    customer = Customer.objects.filter(name=row["customer"]).first()
    if customer is None:
        customer = Customer.objects.create(name=row["customer"], tax_id=row.get("tax_id", ""),
                                           language=row.get("language") or "es")
        report.created["customers"] += 1
    email = row["contact_email"].lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None, name=row.get("contact_name", ""),
                                        role=Role.CLIENT, language=customer.language)
    if not Contact.objects.filter(user=user).exists():
        Contact.objects.create(user=user, customer=customer, phone=row.get("contact_phone", ""),
                               is_primary=not customer.contacts.exists())
        report.created["contacts"] += 1
    server = None
    if row.get("server"):
        server, _ = HostingServer.objects.get_or_create(name=row["server"],
                                                        defaults={"hostname": row["server"]})
    service = None
    if row.get("service_kind"):
        service, made = Service.objects.get_or_create(
            customer=customer, kind=row["service_kind"], name=row["service_name"],
            defaults={"server": server,
                      "starts_on": _parse_date(row.get("starts_on", ""), "starts_on")
                      or date.today(),
                      "ends_on": _parse_date(row.get("ends_on", ""), "ends_on")})
        report.created["services"] += made
    if row.get("site_url"):
        site, made = Site.objects.get_or_create(
            customer=customer, url=row["site_url"],
            defaults={"service": service, "server": server, "cms": row.get("cms") or Cms.OTHER})
        report.created["sites"] += made
        if row.get("root"):
            from xuala.nodes.services import site_attach

            site_attach(site=site, root=row["root"], server=server)
    if row.get("plan"):
        _, made = Contract.objects.get_or_create(
            customer=customer, plan_key=row["plan"],
            defaults={"billing": row.get("billing") or Billing.MONTHLY,
                      "starts_on": _parse_date(row.get("starts_on", ""), "starts_on")
                      or date.today()})
        report.created["contracts"] += made


def demo_customer_create(*, name: str, email: str, person: str, password: str, domain: str,
                         cms: str, web: HostingServer, mail: HostingServer,
                         plan: str | None = None) -> tuple[Customer, User, Site]:
    """A demo client: its contact (who signs in with ``password``), web hosting on ``web``,
    mail on ``mail`` and the domain, its site and, with ``plan``, a coverage contract."""
    customer = Customer.objects.create(name=name, is_demo=True, language="es")
    user = User.objects.create_user(email, password, name=person, role=Role.CLIENT)
    Contact.objects.create(user=user, customer=customer, is_primary=True, phone="+34 600 000 000")
    since = date(2024, 1, 1)
    hosting = Service.objects.create(customer=customer, kind=ServiceKind.WEB_HOSTING, name=domain,
                                     server=web, starts_on=since)
    Service.objects.create(customer=customer, kind=ServiceKind.MAIL, name=domain, server=mail,
                           starts_on=since)
    Service.objects.create(customer=customer, kind=ServiceKind.DOMAIN, name=domain,
                           starts_on=since)
    site = Site.objects.create(customer=customer, service=hosting, server=web,
                               url=f"https://www.{domain}/", cms=cms)
    if plan:
        Contract.objects.create(customer=customer, plan_key=plan, billing=Billing.MONTHLY,
                                starts_on=date(2025, 1, 1))
    return customer, user, site
