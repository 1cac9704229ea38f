"""`xuala import customers`: all or nothing, with a report that names each bad row."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xuala.customers.models import Contact, Contract, Customer, Service, Site

HEADER = ("customer,tax_id,language,contact_email,contact_name,contact_phone,service_kind,"
          "service_name,server,starts_on,ends_on,site_url,cms,plan,billing\n")
GOOD = HEADER + (
    "Panadería Sol SL,B12345678,es,marta@panaderiasol.es,Marta,600000000,web_hosting,"
    "panaderiasol.es,xc-web-02,2024-01-01,,https://panaderiasol.es/,woocommerce,"
    "cobertura-anual,annual\n"
    "Panadería Sol SL,,,marta@panaderiasol.es,,,mail,panaderiasol.es,xc-mail-01,2024-01-01,,,,,\n"
    "Acme Ltd,,en,jo@acme.co.uk,Jo,,domain,acme.co.uk,,2025-03-01,2026-03-01,,,,\n"
)


def run(tmp_path, text):
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "customers", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_it_imports_customers_contacts_services_sites_and_contracts(tmp_path):
    out, _ = run(tmp_path, GOOD)
    assert "Imported 3 row(s): 2 customers, 2 contacts, 3 services, 1 sites, 1 contracts" in out
    sol = Customer.objects.get(name="Panadería Sol SL")
    assert sol.services.count() == 2
    assert Site.objects.get(customer=sol).cms == "woocommerce"
    assert Contract.objects.get(customer=sol).plan_key == "cobertura-anual"
    assert Contact.objects.get(user__email="jo@acme.co.uk").customer.language == "en"
    # Importing again creates nothing new.
    out, _ = run(tmp_path, GOOD)
    assert "0 customers, 0 contacts, 0 services, 0 sites, 0 contracts" in out


@pytest.mark.django_db
def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(tmp_path):
    bad = GOOD + ("Roto SL,,fr,not-an-email,,,ftp,,,,2026-13-01,ftp://x,,gold,\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        run(tmp_path, bad)
    assert Customer.objects.count() == 0 and Service.objects.count() == 0
    path = tmp_path / "customers.csv"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "customers", str(path), stderr=err)
    report = err.getvalue()
    for problem in ["customers.csv:5: contact_email", "customers.csv:5: language",
                    "customers.csv:5: service_kind", "customers.csv:5: site_url",
                    "customers.csv:5: plan: 'gold'", "customers.csv:5: ends_on"]:
        assert problem in report, problem


@pytest.mark.django_db
def test_unknown_columns_are_refused(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path, "customer,contact_email,colour\nA,a@a.es,red\n")
    assert Customer.objects.count() == 0
