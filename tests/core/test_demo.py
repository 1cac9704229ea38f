"""`xuala demo`: the demo accounts, sites and tickets in every state."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

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


@pytest.mark.django_db
def test_the_demo_agents_have_working_hours_so_a_meeting_can_be_offered(
        django_capture_on_commit_callbacks):
    from xuala.meetings.models import AgentAvailability, MeetingRequest

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=io.StringIO())
    for email in ("agente@modo3.net", "agente2@modo3.net"):
        days = set(AgentAvailability.objects.filter(agent__email=email)
                   .values_list("weekday", flat=True))
        assert days == {0, 1, 2, 3, 4}, email
    # The demo's "call me" ticket got its meeting times offered straight away.
    request = MeetingRequest.objects.get(ticket__subject="Quiero que me llaméis")
    assert request.slots.exists()


@pytest.mark.django_db(transaction=True)
def test_the_demo_monitors_check_pages_this_desk_serves_and_one_fails_on_purpose(live_server):
    from xuala.core.demo import demo_monitors_point
    from xuala.sentry.engine import engine_step
    from xuala.sentry.models import Monitor

    call_command("demo", stdout=io.StringIO())
    demo_monitors_point(origin=live_server.url)
    monitors = list(Monitor.objects.all())
    assert len(monitors) == 4 and all(m.url.startswith(live_server.url) for m in monitors)
    Monitor.objects.update(next_check_at=timezone.now())
    assert engine_step(engine="test") == 4
    results = {m.name: m.last_result for m in Monitor.objects.all()}
    failing = [name for name, result in results.items() if not result["ok"]]
    assert failing == ["[DEMO] falla a propósito: https://falla-a-proposito.cliente-demo.es/"]
    assert results["https://www.cliente-demo.es/"]["status"] == 200


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
