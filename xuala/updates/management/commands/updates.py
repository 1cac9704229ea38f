"""`xuala updates ...`: the Tuesday updates from the command line (faces over the services).

    xuala updates run SITE_URL [--json] [--timeout SECONDS] [--no-wait]
    xuala updates show RUN_ID [--json]
    xuala updates schedule [--json]
    xuala updates hold SITE_URL [--release]
    xuala updates settings SITE_URL [--on-failure continue|stop] [--pages / /shop/ ...]
                                    [--threshold 0.02] [--source DIR_OR_URL]
    xuala updates release SITE_URL TYPE SLUG

`run` starts a run of the site now, waits for its node to finish (any node that serves the
site's server: the local one `xuala run` starts, or a remote `xuala node run`) and prints
the report; with --json one JSON object (components with from, to and status, the ticket
if one was opened). Exit status: 0 when the run is ok, 1 when it is not (a component rolled
back, a failing check, or no run at all), 3 when the wait ran out (the run goes on).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xuala.updates import selectors, services
from xuala.updates.models import RunState, UpdateRun

EXIT_NOT_OK, EXIT_WAITING = 1, 3


def _site(url: str):
    from xuala.customers.selectors import sites_with_url

    found = sites_with_url(url)
    if len(found) != 1:
        raise CommandError(f"{'no' if not found else 'more than one'} site with URL {url}")
    return found[0]


SITE = (("site_url",), {})
AS_JSON = (("--json",), {"action": "store_true", "help": "print one JSON object"})
ACTIONS = [
    ("run", "update a site now and print its report", [
        SITE, AS_JSON,
        (("--timeout",), {"type": float, "default": None,
                          "help": "seconds to wait for the node (XUALA_UPDATES_WAIT_SECONDS)"}),
        (("--no-wait",), {"action": "store_true", "help": "queue it and return"})]),
    ("show", "a run's report", [(("run_id",), {"type": int}), AS_JSON]),
    ("schedule", "the next weekly runs", [AS_JSON]),
    ("hold", "skip a site's next weekly run", [
        SITE, (("--release",), {"action": "store_true", "help": "run it after all"})]),
    ("settings", "how a site is updated", [
        SITE, (("--on-failure",), {"choices": ["continue", "stop"]}),
        (("--pages",), {"nargs": "+", "metavar": "PATH"}),
        (("--threshold",), {"type": float, "help": "share of pixels, e.g. 0.02"}),
        (("--source",), {"help": "directory or http(s) mirror; '' for the default"}),
        (("--keyword",), {"action": "append", "metavar": "PATH=TEXT",
                          "help": "text a page must show (repeatable; replaces the site's)"})]),
    ("release", "let the next run try a held-back version", [
        SITE, (("type",), {"choices": ["plugin", "theme", "core"]}), (("slug",), {})]),
]


class Command(BaseCommand):
    help = "Tuesday updates: run one now, show a report, the schedule, holds and settings."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text, arguments in ACTIONS:
            action = sub.add_parser(name, help=text)
            for flags, settings_ in arguments:
                action.add_argument(*flags, **settings_)

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(options)
        except services.UpdateRefused as exc:
            raise CommandError(str(exc)) from None

    # ------------------------------------------------------------ run and show

    def do_run(self, options) -> None:
        site = _site(options["site_url"])
        run = services.run_start(site=site)
        if options["no_wait"]:
            self._print(run, options["json"])
            return
        timeout = options["timeout"] or settings.XUALA_UPDATES_WAIT_SECONDS
        if not options["json"]:
            self.stdout.write(f"run {run.pk} queued for {site.url} on {site.server}; "
                              "waiting for its node…")
        run = self._wait(run, timeout)
        if run.state == RunState.QUEUED:
            self.stderr.write(self._waiting_words(run, timeout))
            self._print(run, options["json"])
            sys.exit(EXIT_WAITING)
        self._print(run, options["json"])
        if not run.ok:
            sys.exit(EXIT_NOT_OK)

    def _wait(self, run: UpdateRun, timeout: float) -> UpdateRun:
        deadline = time.monotonic() + timeout
        pause = 0.2
        while True:
            run = UpdateRun.objects.select_related("site", "job").get(pk=run.pk)
            if run.state != RunState.QUEUED or time.monotonic() >= deadline:
                return run
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(2.0, pause * 1.5)

    def _waiting_words(self, run: UpdateRun, timeout: float) -> str:
        from xuala.nodes.models import Node

        job = run.job
        node = Node.objects.filter(server_id=run.site.server_id).first()
        seen = node.last_seen_at if node else None
        if job is not None and job.state == "running":
            step = (job.progress or {}).get("step", "")
            why = f"its node is running it{f' ({step})' if step else ''}"
        elif seen is None or timezone.now() - seen > timedelta(minutes=5):
            why = (f"no node of server {run.site.server} has called the desk"
                   + (f" since {seen.isoformat()}" if seen else "")
                   + "; start `xuala node run` there (or `xuala run` on this machine)")
        else:
            why = "its node has not taken it yet (it may be busy with other jobs)"
        return (f"run {run.pk} did not finish within {timeout:g} s: {why}. It goes on; "
                f"see `xuala updates show {run.pk}`.")

    def do_show(self, options) -> None:
        run = UpdateRun.objects.select_related("site", "job").filter(pk=options["run_id"]).first()
        if run is None:
            raise CommandError(f"no update run {options['run_id']}")
        self._print(run, options["json"])

    def _print(self, run: UpdateRun, as_json: bool) -> None:
        report = selectors.run_report(run)
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        out = self.stdout
        out.write(f"Run {report['run']} of {report['site']}: {report['state']}"
                  + ("" if report["ok"] is None else f", {'ok' if report['ok'] else 'NOT ok'}"))
        core = report["core"]
        if core["from"]:
            out.write(f"  core {core['from']} -> {core['to']}")
        for c in report["components"]:
            out.write(f"  {c['status']:12} {c['type']:6} {c['slug']}  {c['from']} -> {c['to']}"
                      + (f"  ({c['reason']})" if c["reason"] else ""))
        for check in report["failing_checks"]:
            out.write(f"  failing {check['phase']} check of {check['page']}: "
                      f"{'; '.join(check['problems']) or check['status']}")
        if report["error"]:
            out.write(f"  error: {report['error']}")
        if report["ticket"]:
            out.write(f"  urgent ticket #{report['ticket']}")

    # ------------------------------------------------------------ schedule and holds

    def do_schedule(self, options) -> None:
        services.schedules_refresh()
        rows = [{"site": row.site.url, "server": str(row.site.server),
                 "next_at": row.next_at.isoformat(),
                 "held": selectors.next_run_held(row.site)}
                for row in selectors.schedules_upcoming(limit=1000)]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            self.stdout.write(f"{row['next_at']}  {row['server']:16} {row['site']}"
                              + ("  (held this week)" if row["held"] else ""))
        if not rows:
            self.stdout.write("No site has a weekly update scheduled.")

    def do_hold(self, options) -> None:
        site = _site(options["site_url"])
        if options["release"]:
            count = services.hold_release(site=site)
            self.stdout.write(f"{site.url}: {count} hold(s) released")
        else:
            hold = services.hold_week(site=site)
            self.stdout.write(f"{site.url}: the run of {hold.week.isoformat()} is skipped")

    def do_settings(self, options) -> None:
        site = _site(options["site_url"])
        current = services.site_settings(site)
        names = ("on_failure", "pages", "threshold", "source", "keyword")
        if any(options[k] is not None for k in names):
            keywords = options["keyword"]
            current = services.settings_save(
                site=site, on_failure=options["on_failure"] or current.on_failure,
                pages=options["pages"] if options["pages"] is not None else current.pages,
                visual_threshold=options["threshold"] or current.visual_threshold,
                source=options["source"] if options["source"] is not None else current.source,
                keywords=services.keywords_parse(keywords) if keywords is not None else None)
        self.stdout.write(json.dumps({"site": site.url, "on_failure": current.on_failure,
                                      "pages": current.pages or None,
                                      "visual_threshold": current.visual_threshold,
                                      "source": current.source or None,
                                      "keywords": current.keywords or None}))

    def do_release(self, options) -> None:
        from xuala.updates.models import HeldVersion

        site = _site(options["site_url"])
        held = list(HeldVersion.objects.filter(site=site, type=options["type"],
                                               slug=options["slug"], released_at__isnull=True))
        if not held:
            raise CommandError(f"no held-back version of {options['type']} {options['slug']}")
        for row in held:
            services.held_version_release(held=row)
        self.stdout.write(f"{site.url}: {', '.join(h.version for h in held)} released")
