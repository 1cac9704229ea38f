"""The administrators the desk knows for a site: learned by the first audit that reads the
database, sent to the node with every later audit, kept by a technician, forgotten when
demoted; the console shows them and lets a technician keep a proposed finding."""

from __future__ import annotations

import pytest

from tests.console.conftest import verify_session
from tests.wsa.test_report_pages import NOW, RESULT, audited
from xuala.customers.models import Site
from xuala.nodes.models import Job
from xuala.wsa import services
from xuala.wsa.admins import known_logins
from xuala.wsa.models import Action, Finding, WsaEvent

READ = {**RESULT, "admins": ["ana", "intruso"]}


def test_before_an_audit_reads_the_database_no_list_is_sent(plan_customer, tmp_path):
    audit = audited(plan_customer, tmp_path, RESULT)  # a node that did not read the database
    assert known_logins(audit.site) is None
    assert "admins" not in services.audit_start(site=audit.site, now=NOW).job.params


def test_the_first_audit_that_reads_the_database_sets_the_list_later_ones_do_not(
        plan_customer, tmp_path):
    audit = audited(plan_customer, tmp_path, READ)
    site = audit.site
    assert known_logins(site) == ["ana", "intruso"]
    learned = WsaEvent.objects.get(key="wsa.admins_learned")
    assert learned.data["logins"] == ["ana", "intruso"]
    later = services.audit_start(site=site, now=NOW.replace(hour=10))
    assert later.job.params["admins"] == ["ana", "intruso"]
    again = audited(plan_customer, tmp_path / "2", {**RESULT, "admins": ["ana", "otro"]})
    assert again.site == site and known_logins(site) == ["ana", "intruso"]


@pytest.fixture
def agent(client, agent_user):
    return verify_session(client, agent_user)


def test_a_technician_keeps_an_unknown_administrator_and_it_is_known_from_then_on(
        agent, plan_customer, tmp_path):
    audit = audited(plan_customer, tmp_path, {**RESULT, "admins": ["ana"]})
    rogue = Finding.objects.get(rule="admin-unknown")
    assert rogue.action == Action.PROPOSED
    page = agent.get(f"/console/wsa/audits/{audit.pk}/").content.decode()
    assert f"/console/wsa/findings/{rogue.pk}/keep/" in page and "Mantener: es correcto" in page
    response = agent.post(f"/console/wsa/findings/{rogue.pk}/keep/", follow=True)
    assert "no se cambia nada en la web" in response.content.decode()
    rogue.refresh_from_db()
    assert rogue.action == Action.KEPT and rogue.action_job is None
    assert not Job.objects.filter(kind="wsa.admin_demote").exists()  # nothing done on the site
    assert known_logins(audit.site) == ["ana", "intruso"]
    site_page = agent.get(f"/console/wsa/sites/{audit.site.pk}/").content.decode()
    known = site_page.split('id="wsa-known-admins"', 1)[1].split("</div>", 1)[0]
    assert "<code>ana</code>, <code>intruso</code>" in known
    # Kept once: a second POST finds nothing waiting (404), the list stays.
    assert agent.post(f"/console/wsa/findings/{rogue.pk}/keep/").status_code == 404


def test_a_kept_malware_proposal_changes_no_list(agent, plan_customer, tmp_path):
    suspicious = {"path": "wp-content/themes/t/functions.php", "kind": "malware",
                  "rule": "php_obfuscated", "severity": "high", "evidence": "gz", "offset": 0}
    audit = audited(plan_customer, tmp_path, {**RESULT, "findings": [suspicious],
                                              "admins": ["ana"]})
    finding = audit.findings.get()
    assert finding.action == Action.PROPOSED
    agent.post(f"/console/wsa/findings/{finding.pk}/keep/")
    finding.refresh_from_db()
    assert finding.action == Action.KEPT and known_logins(audit.site) == ["ana"]


def test_a_client_cannot_keep_a_finding(client, plan_customer, tmp_path):
    from tests import factories

    audit = audited(plan_customer, tmp_path, READ)
    rogue = Finding.objects.get(rule="admin-unknown")
    client.force_login(factories.contact_user(plan_customer))
    response = client.post(f"/console/wsa/findings/{rogue.pk}/keep/")
    assert response.status_code in (302, 403)
    rogue.refresh_from_db()
    assert rogue.action == Action.PROPOSED and Site.objects.get(pk=audit.site.pk)


def _client_of(client, customer):
    from tests import factories

    client.force_login(factories.contact_user(customer))
    return client


def test_the_client_says_an_unknown_administrator_is_its_own(client, plan_customer, tmp_path):
    audit = audited(plan_customer, tmp_path, {**RESULT, "admins": ["ana"]})
    rogue = Finding.objects.get(rule="admin-unknown")
    ana = _client_of(client, plan_customer)
    page = ana.get(f"/portal/security/audits/{audit.pk}/").content.decode()
    question = page.split(f'id="admin-question-{rogue.pk}"', 1)[1].split("</div>", 1)[0]
    assert "una cuenta de administrador «intruso» que no conocemos" in question
    response = ana.post(f"/portal/security/findings/{rogue.pk}/answer/", {"answer": "mine"},
                        follow=True)
    assert "las próximas auditorías no volverán a preguntar" in response.content.decode()
    rogue.refresh_from_db()
    assert rogue.action == Action.KEPT and known_logins(audit.site) == ["ana", "intruso"]
    note = audit.ticket.messages.get(kind="note", body_text__contains="The client says")
    assert "is theirs" in note.body_text
    # Answered: the question is gone and a second answer finds nothing.
    page = ana.get(f"/portal/security/audits/{audit.pk}/").content.decode()
    assert f'id="admin-question-{rogue.pk}"' not in page
    assert ana.post(f"/portal/security/findings/{rogue.pk}/answer/",
                    {"answer": "not_mine"}).status_code == 404


def test_the_client_says_it_is_not_its_own_and_the_role_goes(client, plan_customer, tmp_path):
    audit = audited(plan_customer, tmp_path, {**RESULT, "admins": ["ana"]})
    rogue = Finding.objects.get(rule="admin-unknown")
    ana = _client_of(client, plan_customer)
    ana.post(f"/portal/security/findings/{rogue.pk}/answer/", {"answer": "nonsense"})
    rogue.refresh_from_db()
    assert rogue.action == Action.PROPOSED  # an answer that is neither changes nothing
    ana.post(f"/portal/security/findings/{rogue.pk}/answer/", {"answer": "not_mine"})
    rogue.refresh_from_db()
    assert rogue.action == Action.PENDING
    assert (rogue.action_job.kind, rogue.action_job.params) == ("wsa.admin_demote",
                                                               {"login": "intruso"})
    assert known_logins(audit.site) == ["ana"]
    note = audit.ticket.messages.get(kind="note", body_text__contains="The client says")
    assert "administrator intruso is not theirs" in note.body_text


def test_another_customer_cannot_answer(client, plan_customer, hosting_customer, tmp_path):
    audited(plan_customer, tmp_path, {**RESULT, "admins": ["ana"]})
    rogue = Finding.objects.get(rule="admin-unknown")
    other = _client_of(client, hosting_customer)
    assert other.post(f"/portal/security/findings/{rogue.pk}/answer/",
                      {"answer": "mine"}).status_code == 404
    rogue.refresh_from_db()
    assert rogue.action == Action.PROPOSED
