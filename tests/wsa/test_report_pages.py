"""Audit reports: the client's page and PDF (its own audits only), the console's buttons."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from tests import factories
from tests.console.conftest import verify_session
from xuala.customers.models import Site
from xuala.nodes.models import Job, JobState
from xuala.nodes.services import (
    job_claim,
    job_finish,
    job_heartbeat,
    node_token_create,
    site_attach,
)
from xuala.policy.selectors import policy_active
from xuala.wsa import services
from xuala.wsa.models import Action, Finding, Suspension

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
RESULT = {"files": 1200, "bytes": 3_400_000, "seconds": 1.5, "database": True, "skipped": [],
          "findings": [
              {"path": "wp-content/uploads/x.php", "kind": "malware",
               "rule": "php_exec_request_data", "severity": "critical",
               "evidence": "eval($_POST['k'])", "offset": 6},
              {"path": "db:wp_users/intruso", "kind": "database", "rule": "admin-unknown",
               "severity": "high", "evidence": "administrator intruso", "offset": 0}]}


def audited(customer, root, result):
    """An audit of the customer's site whose node uploaded ``result``."""
    site = Site.objects.get(customer=customer)
    site_attach(site=site, root=str(root))
    token = node_token_create(server=site.server).token
    audit = services.audit_start(site=site, now=NOW)
    [job] = job_claim(token=token, now=NOW)
    job_finish(token=token, job_id=job.pk, attempt=job.attempts, ok=True, result=result, now=NOW)
    audit.refresh_from_db()
    return audit


@pytest.fixture
def audit(plan_customer, tmp_path):
    return audited(plan_customer, tmp_path, RESULT)


def test_a_vulnerable_plugin_is_noted_for_its_update_not_quarantined(plan_customer, tmp_path):
    vulnerable = {"path": "wp-content/plugins/forms/forms.php", "kind": "vulnerability",
                  "rule": "WPV-2026-0001", "severity": "high", "offset": 0,
                  "evidence": "plugin forms 1.2.0: SQL injection (fixed in 1.2.1)"}
    audit = audited(plan_customer, tmp_path, {**RESULT, "findings": [vulnerable]})
    finding = audit.findings.get()
    assert (finding.action, finding.remedy, finding.action_job) == (Action.NONE, "", None)
    assert audit.ticket is not None  # serious: the urgent ticket still carries it


def test_the_client_reads_its_report_in_four_parts(client, audit, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    page = client.get(f"/portal/security/audits/{audit.pk}/").content.decode()
    for part in ("Qué se analizó", "Qué se encontró", "Qué se hizo", "Pendiente de usted"):
        assert part in page
    assert "wp-content/uploads/x.php" in page and "archivos (3,4 MB)" in page


def test_the_client_downloads_the_report_as_a_pdf(client, audit, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    answer = client.get(f"/portal/security/audits/{audit.pk}/pdf/")
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_another_customers_report_and_pdf_are_404(audit, hosting_customer):
    other = Client()
    other.force_login(factories.contact_user(hosting_customer))
    assert other.get(f"/portal/security/audits/{audit.pk}/").status_code == 404
    assert other.get(f"/portal/security/audits/{audit.pk}/pdf/").status_code == 404


def test_a_serious_finding_opens_one_urgent_ticket_with_the_evidence(audit):
    ticket = audit.ticket
    assert ticket is not None and ticket.ticket_class == "emergency"
    assert any("eval($_POST['k'])" in m.body_text for m in ticket.messages.all())


def test_an_agent_approves_a_proposed_cleaning_from_the_console(client, agent_user, audit):
    verify_session(client, agent_user)
    rogue = Finding.objects.get(rule="admin-unknown")
    assert rogue.action == Action.PROPOSED
    page = client.get(f"/console/wsa/audits/{audit.pk}/").content.decode()
    assert f"/console/wsa/findings/{rogue.pk}/approve/" in page
    client.post(f"/console/wsa/findings/{rogue.pk}/approve/")
    rogue.refresh_from_db()
    assert rogue.action == Action.PENDING
    assert (rogue.action_job.kind, rogue.action_job.state) == ("wsa.admin_demote",
                                                               JobState.QUEUED)
    assert rogue.action_job.params == {"login": "intruso"}


def test_an_agent_starts_an_audit_now_from_the_console(client, agent_user, audit):
    verify_session(client, agent_user)
    answer = client.post(f"/console/wsa/sites/{audit.site_id}/audit/")
    assert answer.status_code == 302
    assert audit.site.audits.count() == 2


def test_a_client_cannot_use_the_console_buttons(client, audit, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    client.post(f"/console/wsa/sites/{audit.site_id}/audit/")
    assert audit.site.audits.count() == 1


def test_an_agent_suspends_a_site_from_the_console_within_15_days_and_lifts_it(
        client, agent_user, audit):
    verify_session(client, agent_user)
    site_page = f"/en/console/wsa/sites/{audit.site_id}/"
    with time_machine.travel(NOW, tick=False):
        refused = client.post(f"/en/console/wsa/sites/{audit.site_id}/suspend/",
                              {"until": "2026-03-30", "reason": "Malware"}, follow=True)
        assert "a suspension lasts at most 15 days" in refused.content.decode()
        assert not Suspension.objects.exists()
        client.post(f"/en/console/wsa/sites/{audit.site_id}/suspend/",
                    {"until": "2026-03-20", "reason": "Malware en la base de datos"})
    suspension = Suspension.objects.get()
    assert suspension.is_active and suspension.created_by == agent_user
    assert suspension.ends_at.astimezone(policy_active().calendar.tz).strftime(
        "%Y-%m-%d %H:%M") == "2026-03-20 23:59"
    assert Job.objects.filter(kind="site.suspend", site_id=audit.site_id).count() == 1
    page = client.get(site_page).content.decode()
    assert f"/en/console/wsa/suspensions/{suspension.pk}/lift/" in page
    client.post(f"/en/console/wsa/suspensions/{suspension.pk}/lift/")
    suspension.refresh_from_db()
    assert not suspension.is_active
    assert Job.objects.filter(kind="site.resume", site_id=audit.site_id).count() == 1


def test_the_console_shows_a_running_audits_progress(client, agent_user, plan_customer,
                                                     tmp_path):
    site = Site.objects.get(customer=plan_customer)
    site_attach(site=site, root=str(tmp_path))
    token = node_token_create(server=site.server).token
    audit = services.audit_start(site=site, now=NOW)
    [job] = job_claim(token=token, now=NOW)
    job_heartbeat(token=token, job_id=job.pk, attempt=job.attempts, now=NOW,
                  progress={"files_done": 1234, "files_total": 10000, "bytes": 5})
    verify_session(client, agent_user)
    page = client.get(f"/en/console/wsa/audits/{audit.pk}/").content.decode()
    assert "Running on the node: 1234 of 10000 files so far." in page
