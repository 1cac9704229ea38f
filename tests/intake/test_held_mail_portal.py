"""The client area lists the mail held in the client's name until they confirm it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.intake.conftest import compose
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.intake.models import InboundStatus

pytestmark = pytest.mark.django_db

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Madrid"))


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ana(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    return client


def test_the_dashboard_lists_every_message_waiting_for_the_clients_confirmation(
        ana, plan_customer, deliver, enforcing, clock):
    ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                channel=Channel.PORTAL, subject="FTP", body_text="No entro", category="hosting")
    clock.shift(timedelta(minutes=3))
    first = deliver(compose(subject="Borrad mi web", message_id="<p-1@cliente-demo.es>"))
    second = deliver(compose(subject="Re: Borrad mi web", message_id="<p-2@cliente-demo.es>",
                             headers={"In-Reply-To": "<p-1@cliente-demo.es>"}))
    assert second.detail["asked"] is False  # no second mail, but listed all the same
    page = ana.get("/portal/").content.decode()
    assert 'id="held-mail"' in page
    assert "Mensajes pendientes de su confirmación" in page
    for row in (first, second):
        assert f"/portal/mail/confirm/{row.confirm_token}/" in page
    assert "Borrad mi web" in page and "Re: Borrad mi web" in page


def test_a_message_once_confirmed_leaves_the_list(ana, plan_customer, deliver, enforcing, clock):
    row = deliver(compose(subject="Mi web", message_id="<p-3@cliente-demo.es>"))
    response = ana.post(f"/portal/mail/confirm/{row.confirm_token}/", {"decision": "confirm"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == InboundStatus.PROCESSED
    assert 'id="held-mail"' not in ana.get("/portal/").content.decode()


def test_another_clients_held_mail_is_not_listed(ana, deliver, enforcing, clock):
    other = factories.customer(name="Otra", email="bea@otra-empresa.es",
                               plan="cobertura-mensual")
    assert other.pk
    row = deliver(compose(sender="bea@otra-empresa.es", subject="SECRETO-B"))
    assert row.outcome == "auth.held"
    page = ana.get("/portal/").content.decode()
    assert "SECRETO-B" not in page and row.confirm_token not in page
    assert 'id="held-mail"' not in page
