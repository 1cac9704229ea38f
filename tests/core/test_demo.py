"""`xuala demo`: the demo accounts, sites and tickets in every state."""

import io

import pytest
from django.core.management import call_command

from xuala.accounts.models import User
from xuala.customers.models import Customer
from xuala.desk.models import Status, Ticket


@pytest.mark.django_db
def test_it_loads_a_marked_demo_with_tickets_in_every_state_and_prints_passwords():
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    passwords = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and "@" in parts[0]:
            passwords[parts[0]] = parts[1]
    assert set(passwords) >= {"ana@cliente-demo.es", "luis@sinplan-demo.es", "agente@modo3.net",
                              "admin@modo3.net"}
    for email, password in passwords.items():
        assert User.objects.get(email=email).check_password(password), email
    assert all(c.name.startswith("[DEMO]") and c.is_demo for c in Customer.objects.all())
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert Ticket.objects.filter(ticket_class="emergency").exists()
    assert Ticket.objects.filter(triage_state="proposed").exists()
    # A second run changes nothing; --if-empty does nothing on a database with customers.
    count = Ticket.objects.count()
    call_command("demo", stdout=io.StringIO())
    call_command("demo", "--if-empty", stdout=io.StringIO())
    assert Ticket.objects.count() == count


def test_if_empty_on_a_loaded_demo_says_so_and_how_to_set_new_passwords(db):
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "The demo is already loaded" in text and "nothing was changed" in text
    assert "xuala changepassword ana@cliente-demo.es" in text
    assert "xuala changepassword agente@modo3.net" in text


def test_if_empty_on_a_database_with_real_customers_says_the_demo_was_not_loaded(db):
    from tests import factories

    factories.customer(name="Cliente Real SL", email="eva@cliente-real.es")
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "the demo was not loaded" in out.getvalue()
    assert not Customer.objects.filter(is_demo=True).exists()
