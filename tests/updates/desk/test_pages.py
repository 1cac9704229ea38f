"""The updates' pages: the client's next run (in the policy's zone), "skip this week", the
reports with their screenshots, her own only; the console's runs, a report with its diff
images, run now, settings and held-back versions, for agents only; the plan service shown
in service only once a run has happened; the article's window."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from tests import factories
from tests.console.conftest import verify_session
from tests.updates.desk.builders import TUESDAY, broken, clean, node_finish
from xuala.updates import services
from xuala.updates.models import HeldVersion, RunState, UpdateHold, UpdateRun, UpdateSettings
from xuala.updates.store import PNG_SIGNATURE

pytestmark = pytest.mark.django_db
WEDNESDAY = TUESDAY - timedelta(days=6)  # Wednesday 4 March, 02:00 in Madrid


@pytest.fixture(autouse=True)
def wednesday(time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)


@pytest.fixture
def scheduled(site):
    services.updates_step(now=WEDNESDAY)
    return site


def done_run(site, body_of, at=TUESDAY):
    with time_machine.travel(at, tick=False):
        run = services.run_start(site=site, now=at)
        node_finish(run.job, body_of(run.pk))
    run.refresh_from_db()
    return run


@pytest.fixture
def agent(client, agent_user):
    verify_session(client, agent_user)
    return client


@pytest.fixture
def ana(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    return client


def text(answer) -> str:
    return re.sub(r"\s+", " ", answer.content.decode())


def test_the_client_sees_the_next_run_in_the_policys_zone_and_skips_a_week(ana, scheduled):
    page = text(ana.get("/portal/updates/"))
    assert "Próxima actualización: 10 Mar 2026, 02:00" in page
    answer = ana.post(f"/portal/updates/sites/{scheduled.pk}/hold/")
    assert answer.status_code == 302
    assert UpdateHold.objects.get().week.isoformat() == "2026-03-10"
    page = text(ana.get("/portal/updates/"))
    assert "La actualización del 10 Mar 2026 se omitirá a petición suya" in page
    ana.post(f"/portal/updates/sites/{scheduled.pk}/release/")
    assert "Próxima actualización: 10 Mar 2026, 02:00" in text(ana.get("/portal/updates/"))
    english = text(ana.get("/en/portal/updates/"))
    assert "Next update: 10 Mar 2026, 02:00" in english


def test_the_client_reads_a_report_with_its_screenshots_and_nothing_internal(ana, site):
    run = done_run(site, broken)
    listing = text(ana.get("/portal/updates/"))
    assert f"/portal/updates/runs/{run.pk}/" in listing and "necesita una revisión" in listing
    assert "hello 1.2" in listing  # the version held back, in words
    page = text(ana.get(f"/portal/updates/runs/{run.pk}/"))
    assert "Revertido" in page and "1.0 → 1.2" in page
    assert "Sus páginas, antes y después" in page
    assert "cambió el 41,0 % de los píxeles" in page
    assert "PHP Fatal error" not in page and "snapshots" not in page  # for agents only
    assert " style=\"" not in page  # the strict Content-Security-Policy allows no inline style
    assert f"/portal/tickets/{run.ticket_id}/" in page
    images = re.findall(r'src="(/portal/updates/images/\d+/)"', page)
    assert len(images) == 5  # 2 before, 2 after, 1 diff
    answer = ana.get(images[0])
    assert answer["Content-Type"] == "image/png"
    assert b"".join(answer.streaming_content).startswith(PNG_SIGNATURE)


def test_another_customers_runs_images_and_holds_are_404(site, scheduled):
    run = done_run(site, clean)
    check = run.checks.exclude(image="").first()
    other = Client()
    other.force_login(factories.contact_user(factories.customer(
        name="Otra SL", email="eva@otra-demo.es", plan="cobertura-mensual")))
    assert other.get(f"/portal/updates/runs/{run.pk}/").status_code == 404
    assert other.get(f"/portal/updates/images/{check.pk}/").status_code == 404
    assert other.post(f"/portal/updates/sites/{site.pk}/hold/").status_code == 404
    assert not UpdateHold.objects.exists()
    assert site.url not in other.get("/portal/updates/").content.decode()


def test_the_console_lists_runs_and_shows_a_report_with_its_diff_images(agent, site):
    run = done_run(site, broken)
    listing = text(agent.get("/console/updates/"))
    assert f"/console/updates/runs/{run.pk}/" in listing and run.ticket.reference in listing
    page = text(agent.get(f"/console/updates/runs/{run.pk}/"))
    assert "fatal error on /: PHP Fatal error" in page and "PHP Fatal error: boom" in page
    assert "1234 archivos" in page and "/var/lib/xuala/snapshots/" in page
    assert f"/console/tickets/{run.ticket_id}/" in page
    diff = run.checks.get(phase="component")
    assert f"/console/updates/images/{diff.pk}/" in page
    answer = agent.get(f"/console/updates/images/{diff.pk}/")
    assert b"".join(answer.streaming_content).startswith(PNG_SIGNATURE)


def test_an_agent_runs_an_update_now_saves_settings_and_releases_a_held_version(agent, site):
    run = done_run(site, broken)
    held = HeldVersion.objects.get()
    page = text(agent.get(f"/console/updates/sites/{site.pk}/"))
    assert "plugin hello 1.2" in page
    agent.post(f"/console/updates/held/{held.pk}/release/")
    held.refresh_from_db()
    assert held.released_at is not None
    answer = agent.post(f"/console/updates/sites/{site.pk}/settings/",
                        {"on_failure": "stop", "pages": "/ /tienda/", "visual_threshold": "0,05",
                         "source": "", "keywords": "/ Bienvenidos\r\n/tienda/ Mi carrito\r\n"})
    assert answer.status_code == 302
    saved = UpdateSettings.objects.get(site=site)
    assert (saved.on_failure, saved.pages, saved.visual_threshold) == ("stop", ["/", "/tienda/"],
                                                                      0.05)
    assert saved.keywords == {"/": ["Bienvenidos"], "/tienda/": ["Mi carrito"]}
    assert "/tienda/ Mi carrito" in agent.get(f"/console/updates/sites/{site.pk}/").content.decode()
    agent.post(f"/console/updates/sites/{site.pk}/settings/",
               {"on_failure": "stop", "pages": "tienda", "visual_threshold": "0.05"})
    assert UpdateSettings.objects.get(site=site).pages == ["/", "/tienda/"]  # refused, kept
    answer = agent.post(f"/console/updates/sites/{site.pk}/run/")
    new = UpdateRun.objects.exclude(pk=run.pk).get()
    assert answer["Location"].endswith(f"/console/updates/runs/{new.pk}/")
    assert (new.trigger, new.state, new.job.params["held"]) == ("agent", RunState.QUEUED, [])


def test_a_client_cannot_use_the_console(ana, site):
    assert ana.get("/console/updates/").status_code in (302, 403)
    ana.post(f"/console/updates/sites/{site.pk}/run/")
    assert not UpdateRun.objects.exists()


def row(page: str, key: str) -> str:
    return page.split(f'data-service="{key}"', 1)[1].split("</tr>", 1)[0]


def test_the_plan_service_is_in_service_only_once_a_run_has_happened(ana, scheduled):
    before = row(text(ana.get("/portal/")), "weekly_updates")
    assert "Todavía no en funcionamiento" in before
    assert "10 Mar 2026, 02:00" in before  # the next run is shown already
    done_run(scheduled, clean)
    with time_machine.travel(TUESDAY + timedelta(hours=1), tick=False):
        after = row(text(ana.get("/portal/")), "weekly_updates")
    assert "En funcionamiento" in after and "10 Mar 2026, 02:00" in after


def test_urgent_review_is_in_service_once_a_service_watches_and_shows_its_last_incident(
        ana, scheduled):
    assert "Todavía no en funcionamiento" in row(text(ana.get("/portal/")), "urgent_review")
    done_run(scheduled, broken)
    with time_machine.travel(TUESDAY + timedelta(hours=1), tick=False):
        urgent = row(text(ana.get("/portal/")), "urgent_review")
    assert "En funcionamiento" in urgent and "10 Mar 2026, 02:00" in urgent


def test_the_article_says_when_the_updates_run(client):
    es = text(client.get("/kb/politicas-de-asistencia-tecnica/"))
    assert ("Se realiza los martes y empieza entre las 2:00 y las 6:00 (hora de "
            "Europe/Madrid)") in es
    en = text(client.get("/en/kb/politicas-de-asistencia-tecnica/"))
    assert "It runs on Tuesdays, starting between 2:00 and 6:00 (Europe/Madrid time)" in en
