"""Services published as running must run: the client area shows each plan service per site
with its real state (active since, last run, next run) from the service's own records, and
the article marks a service that no software delivers as not in operation, in Spanish and
English."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from xuala.customers import delivery
from xuala.sentry.models import Monitor, MonitorKind, UptimeHour

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MADRID)
ARTICLE_ES = "/kb/politicas-de-asistencia-tecnica/"
ARTICLE_EN = "/en/kb/politicas-de-asistencia-tecnica/"


@pytest.fixture(autouse=True)
def wednesday():
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


def row(page: str, key: str) -> str:
    return re.sub(r"\s+", " ", page.split(f'data-service="{key}"', 1)[1].split("</tr>", 1)[0])


def section(page: str, clause: str) -> str:
    return page.split(f'id="s{clause}"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def monitored(plan_customer):
    """The plan customer's site, watched by Online Sentry since 2 November."""
    site = plan_customer.sites.get()
    monitor = Monitor.objects.create(
        kind=MonitorKind.SITE, site=site, customer=plan_customer, name=site.url, url=site.url,
        last_check_at=datetime(2026, 11, 25, 10, 59, 30, tzinfo=UTC),
        next_check_at=datetime(2026, 11, 25, 11, 0, 30, tzinfo=UTC))
    UptimeHour.objects.create(monitor=monitor, hour=datetime(2026, 11, 2, 9, tzinfo=UTC),
                              checks=60)
    return monitor


def test_the_client_area_shows_each_service_of_the_plan_with_its_real_state(ana, monitored):
    page = ana.get("/portal/").content.decode()
    sentry = row(page, "online_sentry")
    assert "En funcionamiento" in sentry and "2 Nov 2026" in sentry
    assert "25 Nov 2026, 11:59" in sentry and "25 Nov 2026, 12:00" in sentry  # Madrid time
    for key in ("wsa", "antispam", "weekly_updates"):  # anti-spam: the site has no key yet
        assert "Todavía no en funcionamiento" in row(page, key), key
    english = ana.get("/en/portal/").content.decode()
    assert "In service" in row(english, "online_sentry")
    assert "Not in service yet" in row(english, "wsa")


def test_a_site_not_checked_yet_is_not_claimed_as_monitored(ana, plan_customer):
    page = ana.get("/portal/").content.decode()
    assert "Todavía no en funcionamiento" in row(page, "online_sentry")


def test_a_client_without_a_plan_sees_no_plan_services(client, hosting_customer):
    client.force_login(factories.contact_user(hosting_customer))
    assert 'data-service="' not in client.get("/portal/").content.decode()


def test_the_article_marks_a_service_no_software_delivers(client, monkeypatch):
    # Every service of §6.3 is delivered today (Tuesday updates by xuala.updates, issue 16).
    es = client.get(ARTICLE_ES).content.decode()
    for clause in ("6.3.1", "6.3.2", "6.3.3", "6.3.4", "6.3.5", "6.3.6"):
        assert "service-state" not in section(es, clause), clause
    monkeypatch.delitem(delivery.PROVIDERS, "weekly_updates")
    es = client.get(ARTICLE_ES).content.decode()
    assert "Estado:</strong> Este servicio todavía no está en funcionamiento" in section(
        es, "6.3.5")
    en = client.get(ARTICLE_EN).content.decode()
    assert "State:</strong> This service is not in operation yet" in section(en, "6.3.5")


def test_a_service_that_comes_into_being_is_published_and_shown_as_running(
        client, ana, monitored, monkeypatch):
    def audits(site, records):
        return {"running": True, "active_since": datetime(2026, 11, 20, tzinfo=UTC),
                "last_run": datetime(2026, 11, 20, 3, tzinfo=UTC),
                "next_run": datetime(2026, 12, 5, 3, tzinfo=UTC)}

    monkeypatch.setitem(delivery.PROVIDERS, "wsa", audits)
    # The article is regenerated from the policy and the delivery state on each view.
    assert "service-state" not in section(client.get(ARTICLE_ES).content.decode(), "6.3.3")
    wsa = row(ana.get("/portal/").content.decode(), "wsa")
    assert "En funcionamiento" in wsa and "5 Dec 2026, 04:00" in wsa.replace("Dic", "Dec")


def test_anti_spam_runs_from_the_sites_key_and_its_last_verdict(ana, plan_customer):
    from xuala.antispam.filter import Item
    from xuala.antispam.services import antispam_check, antispam_key_create

    site = plan_customer.sites.get()
    antispam_key_create(site=site, at=datetime(2026, 11, 3, 9, tzinfo=UTC))
    antispam_check(site=site, item=Item(content="Hola, ¿abrís el sábado?", user_ip="192.0.2.5"),
                   languages=("es",), now=datetime(2026, 11, 24, 17, 30, tzinfo=UTC))
    antispam = row(ana.get("/portal/").content.decode(), "antispam")
    assert "En funcionamiento" in antispam and "3 Nov 2026" in antispam
    assert "24 Nov 2026, 18:30" in antispam  # Madrid time
