"""The whole Tuesday update, desk and node: `xuala updates run SITE_URL --json` on the desk
queues the run; a real `xuala node run` process on loopback takes it over the node API and
runs it against a real WordPress (Debian's package, php -S, MariaDB, headless Chromium); the
desk stores the report with its pictures as files, opens the site's urgent ticket once for
the failing version, mails the client, and the command prints the report as JSON."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.updates.agent.plugins import DEMO, SHOP_12, SHOP_BASE
from tests.updates.agent.wordpress import plugin_zip, publish
from xuala.customers.models import Site
from xuala.desk.models import Ticket, UrgentReview
from xuala.nodes.services import node_token_create, site_attach
from xuala.notify.models import OutboundEmail
from xuala.sentry.models import MaintenanceWindow, Monitor, MonitorKind
from xuala.updates.models import HeldVersion, RunState, UpdateRun
from xuala.updates.store import PNG_SIGNATURE, image_path

pytestmark = [pytest.mark.real_clock, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
SHOP = "xuala-shop/xuala-shop.php"


@pytest.fixture
def shop_site(wordpress, plan_customer, tmp_path, settings):
    """The plan customer's site is a real WordPress with two plugins at 1.0; the desk's
    update source offers xuala-demo 1.1 (clean) and xuala-shop 1.2 (a fatal error on the
    home page, after an upgrade routine that alters a table and creates another)."""
    wordpress.install_plugin(plugin_zip("xuala-shop", "1.0", SHOP_BASE), activate=SHOP)
    wordpress.install_plugin(plugin_zip("xuala-demo", "1.0", DEMO % {"version": "1.0"}),
                             activate="xuala-demo/xuala-demo.php")
    wordpress.warm()
    source = tmp_path / "mirror"
    publish(source, "plugin", "xuala-demo", "1.1",
            plugin_zip("xuala-demo", "1.1", DEMO % {"version": "1.1"}))
    publish(source, "plugin", "xuala-shop", "1.2", plugin_zip("xuala-shop", "1.2", SHOP_12))
    settings.XUALA_UPDATE_SOURCE = str(source)
    settings.XUALA_UPDATE_IMAGES_DIR = tmp_path / "update-images"
    site = Site.objects.get(customer=plan_customer)
    site.url = wordpress.url
    site.save()
    site_attach(site=site, root=str(wordpress.root))
    Monitor.objects.create(kind=MonitorKind.SITE, site=site, customer=plan_customer,
                           name=site.url, url=site.url, state="up")
    return site


@pytest.fixture
def node(live_server, shop_site):
    """`xuala node run` for the site's server, talking to the live desk on loopback."""
    secret = node_token_create(server=shop_site.server).secret
    env = {**os.environ, "XUALA_NODE_TOKEN": secret, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-m", "xuala", "node", "run", "--desk",
                              live_server.url], env=env, cwd=REPO, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield child
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def updates_run(url: str) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("updates", "run", url, "--json", "--timeout", "900", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def test_a_failing_version_is_rolled_back_reported_and_reviewed_once(shop_site, node,
                                                                      wordpress):
    code, report = updates_run(shop_site.url)

    # The report the command prints.
    assert code == 1 and report["state"] == "done" and report["ok"] is False
    statuses = {c["slug"]: (c["from"], c["to"], c["status"]) for c in report["components"]}
    assert statuses["xuala-demo"] == ("1.0", "1.1", "updated")
    assert statuses["xuala-shop"] == ("1.0", "1.2", "rolled_back")
    ticket = Ticket.objects.get()
    assert report["ticket"] == ticket.pk

    # The site works again, with the shop's 1.0 back.
    status, home = wordpress.get("/")
    assert status == 200 and "xuala-demo 1.1" in home
    assert "Version: 1.0" in (wordpress.root / "wp-content/plugins/xuala-shop/xuala-shop.php"
                              ).read_text()

    # The desk's record: components, checks with their pictures as files, the job's stored
    # result without them, the maintenance window closed, the version held back.
    run = UpdateRun.objects.get()
    assert (run.state, run.ok, run.ticket_id, run.core_from) == (
        RunState.DONE, False, ticket.pk, "6.1.9")
    pictures = [c for c in run.checks.all() if c.image]
    assert {c.phase for c in pictures} >= {"before", "after"}
    assert all(image_path(c.image).read_bytes().startswith(PNG_SIGNATURE) for c in pictures)
    assert "iVBOR" not in json.dumps(run.job.result)
    window = MaintenanceWindow.objects.get(monitor__site=shop_site)
    assert window.reason == "update_run" and window.ends_at == run.finished_at
    assert list(HeldVersion.objects.values_list("slug", "version")) == [("xuala-shop", "1.2")]

    # The urgent ticket: emergency, the evidence with the diff image for the agents, the
    # client told in her words; the report mailed to her.
    assert ticket.ticket_class == "emergency" and ticket.site == shop_site
    note = ticket.messages.get(kind="note")
    assert "plugin xuala-shop 1.0 -> 1.2: rolled_back" in note.body_text
    evidence = note.attachments.get(content_type="application/json")
    assert json.loads(evidence.file.read())["report"]["components"] == report["components"]
    mail = OutboundEmail.objects.get(purpose="updates.report")
    assert "Xuala Demo: actualizado de 1.0 a 1.1" in mail.body_text
    assert ticket.reference in mail.body_text

    # The next run does not try 1.2 again, so the failing version opens nothing more.
    code, again = updates_run(shop_site.url)
    assert code == 0 and again["ok"] is True
    shop = next(c for c in again["components"] if c["slug"] == "xuala-shop")
    assert (shop["to"], shop["status"]) == ("1.2", "held_back")
    assert again["ticket"] is None
    assert Ticket.objects.count() == 1 and UrgentReview.objects.get().incidents == 1
