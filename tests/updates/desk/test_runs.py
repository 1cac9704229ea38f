"""A run on the desk: started on the site's node with the contract's parameters inside a
Sentry maintenance window, its result stored (images as files), held-back versions kept,
the client mailed the report, and a failed update opening ONE urgent ticket with the
evidence (§6.3.6)."""

import json
from datetime import timedelta

import pytest
import time_machine

from tests import factories
from tests.updates.desk.builders import (
    TUESDAY,
    broken,
    clean,
    component,
    node_finish,
    page,
    result,
)
from xuala.desk.models import Ticket
from xuala.nodes.models import JobState
from xuala.notify.models import OutboundEmail
from xuala.sentry.models import MaintenanceWindow
from xuala.updates import services, store
from xuala.updates.models import HeldVersion, RunState, UpdateCheck, UpdateRun

pytestmark = pytest.mark.django_db
DONE = TUESDAY + timedelta(minutes=7)


def start(site, at=TUESDAY, **kwargs):
    with time_machine.travel(at, tick=False):
        return services.run_start(site=site, now=at, **kwargs)


def finish(run, body, at=DONE, **kwargs):
    with time_machine.travel(at, tick=False):
        node_finish(run.job, body, **kwargs)
    run.refresh_from_db()
    return run


def test_a_run_is_queued_on_the_sites_node_with_the_contracts_parameters(site, monitor,
                                                                        settings):
    settings.XUALA_UPDATE_SOURCE = "/srv/mirror"
    services.settings_save(site=site, on_failure="stop", pages=["/", "/tienda/"],
                           visual_threshold=0.05)
    run = start(site)
    job = run.job
    assert (job.kind, job.key, job.server_id, job.state) == (
        "updates.run", f"updates.run:{run.pk}", site.server_id, JobState.QUEUED)
    assert job.params == {"run": run.pk, "url": site.url, "source": "/srv/mirror",
                          "on_failure": "stop", "held": [], "pages": ["/", "/tienda/"],
                          "visual_threshold": 0.05, "keep_snapshots": 2}
    services.settings_save(site=site, on_failure="stop", pages=[], visual_threshold=0.05,
                           source="https://mirror.example/wp/",
                           keywords={"/tienda/": ["Carrito"]})
    assert services.run_params(run) | {"held": []} == {
        "run": run.pk, "url": site.url, "source": "https://mirror.example/wp/",
        "on_failure": "stop", "held": [], "pages": None, "visual_threshold": 0.05,
        "keep_snapshots": 2, "keywords": {"/tienda/": ["Carrito"]}}
    [window] = MaintenanceWindow.objects.filter(monitor=monitor)
    assert (window.reason, window.starts_at) == ("update_run", TUESDAY)
    assert window.ends_at == TUESDAY + timedelta(minutes=120)
    assert start(site) == run  # "run now" twice: the same run
    assert UpdateRun.objects.count() == 1


def test_a_site_without_a_document_root_is_refused_with_the_reason(plan_customer):
    with pytest.raises(services.UpdateRefused, match="xuala sites attach"):
        services.run_start(site=plan_customer.sites.get())


def test_a_clean_run_is_stored_with_its_images_as_files_and_mailed_to_the_client(
        site, monitor, updates_dir):
    run = finish(start(site), clean(1))
    assert (run.state, run.ok, run.ticket_id) == (RunState.DONE, True, None)
    assert (run.core_from, run.core_to, run.finished_at) == ("6.1.9", "6.1.9", DONE)
    assert [(c.slug, c.from_version, c.to_version, c.status) for c in run.components.all()
            ] == [("hello", "1.0", "1.1", "updated"), ("twentytwenty", "2.0", "2.0",
                                                        "unchanged")]
    shots = UpdateCheck.objects.filter(run=run).exclude(image="")
    assert {c.phase for c in shots} == {"before", "after"} and shots.count() == 4
    for check in shots:
        assert (updates_dir / check.image).read_bytes().startswith(store.PNG_SIGNATURE)
    # The job keeps the result without its images.
    run.job.refresh_from_db()
    assert run.job.result["before"][0]["png"] is None
    assert "iVBOR" not in str(run.job.result)
    assert not Ticket.objects.exists()
    # The maintenance window ends with the run.
    assert MaintenanceWindow.objects.get(monitor=monitor).ends_at == DONE
    mail = OutboundEmail.objects.get(purpose="updates.report")
    assert mail.to == "ana@cliente-demo.es"
    assert mail.subject == f"Actualización semanal de {site.url}: hecha"
    assert "Hello: actualizado de 1.0 a 1.1" in mail.body_text
    assert f"/portal/updates/runs/{run.pk}/" in mail.body_text


def test_an_english_client_gets_the_report_in_english(db, tmp_path):
    from xuala.nodes.services import site_attach

    customer = factories.customer(name="Shop Ltd", email="jo@shop-demo.co.uk",
                                  plan="cobertura-mensual", language="en")
    site = customer.sites.get()
    site_attach(site=site, root=str(tmp_path))
    run = finish(start(site), broken(1))
    mail = OutboundEmail.objects.get(purpose="updates.report")
    assert mail.subject == f"Weekly update of {site.url}: some components were not updated"
    assert "Hello: stays at 1.0 (1.2 your site showed errors after it" in mail.body_text
    assert run.ticket.subject == f"The weekly update of {site.url} needs a review"


def test_a_failed_update_opens_one_urgent_ticket_with_the_evidence(site, monitor):
    run = finish(start(site), broken(1))
    assert (run.state, run.ok) == (RunState.DONE, False)
    ticket = run.ticket
    assert ticket is not None and ticket.ticket_class == "emergency" and ticket.site == site
    assert ticket.due_at == DONE + timedelta(hours=4)
    assert ticket.subject == f"La actualización semanal de {site.url} necesita una revisión"
    first = ticket.messages.order_by("pk").first()
    assert "Hello: se queda en 1.0" in first.body_text
    note = ticket.messages.get(kind="note")
    assert "plugin hello 1.0 -> 1.2: rolled_back (fatal error on /" in note.body_text
    assert "PHP Fatal error: boom" in note.body_text
    [whole, diff] = note.attachments.order_by("pk")
    assert diff.filename == "c0-diff-0-home.png" and diff.content_type == "image/png"
    assert whole.filename == f"update-run-{run.pk}.json"
    evidence = json.loads(whole.file.read())
    assert evidence["report"]["components"][0]["status"] == "rolled_back"
    assert evidence["result"]["components"][0]["checks"][0]["diff_png"] is None  # a file
    # The mail to the client names the ticket.
    assert ticket.reference in OutboundEmail.objects.get(purpose="updates.report").body_text

    # The failed version is held back: the next run is told, and its failure joins the
    # same ticket instead of opening another.
    held = HeldVersion.objects.get()
    assert (held.type, held.slug, held.version, held.run) == ("plugin", "hello", "1.2", run)
    second = start(site, at=TUESDAY + timedelta(days=7))
    assert second.job.params["held"] == [{"type": "plugin", "slug": "hello", "version": "1.2"}]
    second = finish(second, broken(2, version="1.2.1"), at=TUESDAY + timedelta(days=7, hours=1))
    assert second.ticket == ticket
    assert Ticket.objects.count() == 1
    assert ticket.urgent_reviews.get().incidents == 2
    assert ticket.events.filter(key="updates.report_joined").count() == 1
    assert set(HeldVersion.objects.filter(released_at__isnull=True)
               .values_list("version", flat=True)) == {"1.2", "1.2.1"}
    # A newer version that goes in ends the holds of that plugin.
    third = finish(start(site, at=TUESDAY + timedelta(days=14)),
                   result(3, component("hello", "1.0", "1.3")),
                   at=TUESDAY + timedelta(days=14, hours=1))
    assert third.ok and not HeldVersion.objects.filter(released_at__isnull=True).exists()


def test_a_page_failing_after_the_run_is_a_failed_update(site):
    after = [page("/", ok=False, status=200, problems=["keyword missing: Tienda"])]
    run = finish(start(site), result(1, component(), after=after))
    assert run.ok is False and run.ticket is not None
    assert "keyword missing: Tienda" in run.ticket.messages.get(kind="note").body_text


def test_a_run_the_node_could_not_start_is_recorded_and_reviewed(site, monitor):
    run = start(site)
    job = run.job
    job.max_attempts = 1
    job.save()
    run = finish(run, None, ok=False, error="no WordPress at /srv/www")
    assert (run.state, run.ok, run.error) == (RunState.FAILED, False, "no WordPress at /srv/www")
    assert run.ticket is not None and "no WordPress" in run.ticket.messages.get(
        kind="note").body_text
    assert MaintenanceWindow.objects.get(monitor=monitor).ends_at == DONE
    assert not OutboundEmail.objects.filter(purpose="updates.report").exists()


def test_a_result_the_desk_cannot_read_fails_the_run_with_the_reason_and_no_files(
        site, updates_dir):
    body = clean(1)
    body["components"][0]["status"] = "exploded"
    run = finish(start(site), body)
    assert run.state == RunState.FAILED
    assert "the node's result is not valid: component 0" in run.error
    assert not run.components.exists() and not run.checks.exists()
    assert not (updates_dir / str(site.pk) / str(run.pk)).exists()
    assert run.job.state == JobState.DONE  # the node is not made to run it again


def test_an_image_that_is_not_a_png_is_left_out_and_said_in_the_log(site):
    body = clean(1)
    body["before"][0]["png"] = "bm90IGEgcG5n"  # "not a png"
    run = finish(start(site), body)
    assert run.ok and run.checks.get(phase="before", page="/").image == ""
    assert any("not a PNG" in line for line in run.log)
