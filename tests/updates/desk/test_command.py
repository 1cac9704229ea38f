"""`xuala updates`: run a site now and print its report (JSON: components with from, to and
status, the ticket number), a clear message when no node answers, holds, settings, the
schedule and held-back versions."""

import io
import json
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.updates.desk.builders import broken, clean, node_finish
from xuala.updates.models import HeldVersion, RunState, UpdateHold, UpdateRun, UpdateSettings


def updates(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("updates", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def node_in_a_thread(body_of) -> threading.Thread:
    """The site's node: takes the run's job when it appears and uploads its result."""

    def work():
        try:
            for _ in range(300):
                run = UpdateRun.objects.filter(state=RunState.QUEUED).select_related(
                    "job__server").first()
                if run is not None:
                    node_finish(run.job, body_of(run.pk))
                    return
                time.sleep(0.05)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_run_waits_for_the_node_and_prints_the_report_as_json(site):
    node = node_in_a_thread(broken)
    code, out, _ = updates("run", site.url, "--json", "--timeout", "60")
    node.join()
    report = json.loads(out)
    run = UpdateRun.objects.get()
    assert code == 1  # a component was rolled back
    assert report["run"] == run.pk and report["state"] == "done" and report["ok"] is False
    assert report["components"] == [
        {"type": "plugin", "slug": "hello", "name": "Hello", "from": "1.0", "to": "1.2",
         "status": "rolled_back", "reason": "fatal error on /: PHP Fatal error"}]
    assert report["ticket"] == run.ticket_id is not None
    assert report["core"] == {"from": "6.1.9", "to": "6.1.9"}


@pytest.mark.django_db(transaction=True)
def test_a_clean_run_exits_0_with_a_readable_report(site):
    node = node_in_a_thread(clean)
    code, out, _ = updates("run", site.url.rstrip("/"), "--timeout", "60")
    node.join()
    assert code == 0
    assert "updated      plugin hello  1.0 -> 1.1" in out
    assert "unchanged    theme  twentytwenty  2.0 -> 2.0" in out


def test_without_a_node_the_wait_ends_with_a_clear_message_and_the_run_goes_on(site):
    code, out, err = updates("run", site.url, "--json", "--timeout", "0.3")
    assert code == 3
    assert json.loads(out)["state"] == "queued"
    assert "no node of server xc-web-01 has called the desk" in err
    assert "xuala node run" in err and "xuala updates show" in err
    assert UpdateRun.objects.get().state == RunState.QUEUED


def test_show_prints_a_finished_runs_report(site):
    run = UpdateRun.objects.get(pk=json.loads(updates("run", site.url, "--no-wait",
                                                      "--json")[1])["run"])
    node_finish(run.job, clean(run.pk))
    code, out, _ = updates("show", str(run.pk), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["ticket"] is None
    assert [(c["slug"], c["status"]) for c in report["components"]] == [
        ("hello", "updated"), ("twentytwenty", "unchanged")]


def test_an_unknown_site_or_run_is_a_clear_error(site):
    with pytest.raises(CommandError, match=r"no site with URL https://nadie\.es/"):
        updates("run", "https://nadie.es/")
    with pytest.raises(CommandError, match="no update run 999"):
        updates("show", "999")


def test_hold_settings_schedule_and_release(site):
    code, out, _ = updates("schedule", "--json")
    [row] = json.loads(out)
    assert row["site"] == site.url and row["held"] is False
    updates("hold", site.url)
    assert UpdateHold.objects.filter(site=site, released_at__isnull=True).exists()
    assert json.loads(updates("schedule", "--json")[1])[0]["held"] is True
    updates("hold", site.url, "--release")
    assert not UpdateHold.objects.filter(released_at__isnull=True).exists()

    code, out, _ = updates("settings", site.url, "--on-failure", "stop", "--pages", "/",
                           "/tienda/", "--threshold", "0.05")
    assert code == 0 and json.loads(out) == {"site": site.url, "on_failure": "stop",
                               "pages": ["/", "/tienda/"], "visual_threshold": 0.05,
                               "source": None, "keywords": None}
    out = updates("settings", site.url, "--keyword", "/=Bienvenidos", "--keyword",
                  "/tienda/=Carrito")[1]
    assert json.loads(out)["keywords"] == {"/": ["Bienvenidos"], "/tienda/": ["Carrito"]}
    assert json.loads(out)["on_failure"] == "stop"  # the rest kept
    with pytest.raises(CommandError, match="a keyword is a page and its text"):
        updates("settings", site.url, "--keyword", "/=")
    with pytest.raises(CommandError, match="an absolute directory or an http"):
        updates("settings", site.url, "--source", "mirror")
    assert UpdateSettings.objects.get(site=site).source == ""

    run = UpdateRun.objects.get(pk=json.loads(updates("run", site.url, "--no-wait",
                                                      "--json")[1])["run"])
    node_finish(run.job, broken(run.pk))
    assert "1.2 released" in updates("release", site.url, "plugin", "hello")[1]
    assert HeldVersion.objects.get().released_at is not None
    with pytest.raises(CommandError, match="no held-back version of plugin hello"):
        updates("release", site.url, "plugin", "hello")
