"""The console's anti-spam pages: sites' figures, a site's recent verdicts, a correction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.console.conftest import verify_session
from tests.factories import contact_user
from xuala.antispam.filter import Item
from xuala.antispam.models import AntispamEvent, Check
from xuala.antispam.services import antispam_check

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
SPAM = Item(content="Cheap pills at http://pills.example.xyz/buy and http://b.xyz http://c.xyz",
            user_ip="203.0.113.9", author="pills4u")
VISITOR = Item(content="Hola, quería pedir cita para el martes por la tarde si es posible.",
               user_ip="198.51.100.7", author="Lucía")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent(client, agent_user):
    return verify_session(client, agent_user)


@pytest.fixture
def checked(plan_site, plan_key):
    spam, _ = antispam_check(site=plan_site, item=SPAM, languages=("es",), now=NOW)
    visitor, _ = antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=NOW)
    return spam, visitor


def test_the_sites_page_shows_each_keyed_sites_figures(agent, plan_site, checked):
    page = agent.get("/console/antispam/").content.decode()
    row = page.split(f'data-site="{plan_site.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-figure="checked">2</td>' in row
    assert '<td data-figure="spam">1</td>' in row
    assert '<td data-figure="false_positives">0</td>' in row
    assert "Falsos positivos comunicados" in page


def test_the_sites_page_is_in_english_under_en(agent, checked):
    assert "False positives reported" in agent.get("/en/console/antispam/").content.decode()


def test_a_sites_page_lists_its_recent_verdicts_with_their_reasons(agent, plan_site, checked):
    page = agent.get(f"/console/antispam/sites/{plan_site.pk}/").content.decode()
    spam, visitor = checked
    assert f'data-check="{spam.pk}"' in page and f'data-check="{visitor.pk}"' in page
    assert "<code>links</code>" in page and "pills4u" in page


def test_an_agents_correction_is_feedback_the_next_verdict_follows(agent, plan_site, checked):
    spam, _ = checked
    response = agent.post(f"/console/antispam/checks/{spam.pk}/correct/", {"label": "ham"})
    assert response.status_code == 302
    spam.refresh_from_db()
    assert spam.corrected_to == "ham"
    assert AntispamEvent.objects.filter(key="antispam.reported_ham",
                                        data__via="console").exists()
    again, _ = antispam_check(site=plan_site, item=SPAM, languages=("es",), now=NOW)
    assert not again.spam
    page = agent.get("/console/antispam/").content.decode()
    assert '<td data-figure="false_positives">1</td>' in page


def test_a_correction_without_a_label_changes_nothing(agent, checked):
    spam, _ = checked
    agent.post(f"/console/antispam/checks/{spam.pk}/correct/", {"label": "maybe"})
    assert Check.objects.get(pk=spam.pk).corrected_to == ""


def test_a_client_cannot_see_the_pages(client, plan_customer, checked):
    client.force_login(contact_user(plan_customer))
    assert client.get("/console/antispam/").status_code == 403


def test_a_stranger_is_sent_to_sign_in(client, checked):
    response = client.get("/console/antispam/")
    assert response.status_code == 302 and "/login/" in response["Location"]
