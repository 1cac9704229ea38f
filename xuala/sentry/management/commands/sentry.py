"""`xuala sentry check URL`: one Online Sentry check now, printed as JSON.

Exit status: 0 when the check passed, 1 when it failed (the JSON says why; one line on stderr
too), 2 on bad arguments (one line on stderr). Further subcommands live beside `check`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import ssl

from django.core.management.base import CommandError

from xuala.core.commands import ActionsCommand
from xuala.sentry.probe import DEFAULT_TIMEOUTS, InvalidURL, check, parse_target


def _resolve_pair(text: str) -> tuple[str, str]:
    host, sep, address = text.partition(":")
    if not sep or not host or not address:
        raise CommandError(f"--resolve wants HOST:ADDRESS, not {text!r}", returncode=2)
    return host.lower(), address.strip("[]")


class Command(ActionsCommand):
    help = "Online Sentry: run one check now (`check`)."

    def add_actions(self, actions):
        one = actions.add_parser("check", help="check one URL now and print the result as JSON")
        one.add_argument("url", help="http:// or https:// URL")
        one.add_argument("--keyword", help="text that must appear in the page")
        one.add_argument("--absent", action="store_true",
                         help="the keyword must NOT appear (an error page's text)")
        one.add_argument("--max-ms", type=int, help="slower than this (total) fails as too_slow")
        one.add_argument("--min-cert-days", type=int, default=7,
                         help="fewer days left on the certificate fails (default 7)")
        one.add_argument("--max-redirects", type=int, default=5)
        one.add_argument("--timeout", type=float,
                         help="total seconds for the check (default 30); caps every phase")
        one.add_argument("--insecure-ca", metavar="FILE",
                         help="also trust this CA certificate (PEM), e.g. a test CA")
        one.add_argument("--resolve", metavar="HOST:ADDRESS", action="append", default=[],
                         help="use ADDRESS for HOST instead of DNS (HOST may be *.domain)")

        engine = actions.add_parser("engine", help="run the check engine until stopped")
        engine.add_argument("--batch", type=int, default=10_000,
                            help="most monitors claimed at once (waiting or being checked)")
        engine.add_argument("--insecure-ca", metavar="FILE",
                            help="also trust this CA certificate (PEM), e.g. a test CA")
        engine.add_argument("--resolve", metavar="HOST:ADDRESS", action="append", default=[],
                            help="use ADDRESS for HOST instead of DNS (HOST may be *.domain)")
        actions.add_parser("sync", help="create and retire monitors to match the contracts")
        actions.add_parser("compact", help="fold old hourly rollups into days; drop old raw checks")

    def _sync(self, **options) -> None:
        from xuala.sentry.services import monitors_sync

        self.stdout.write(json.dumps(monitors_sync()))

    def _compact(self, **options) -> None:
        from xuala.sentry.services import rollups_compact

        self.stdout.write(json.dumps(rollups_compact()))

    def _engine(self, **options) -> None:
        import logging

        from xuala.sentry.engine import run_engine

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        probe_options: dict = {}
        if options.get("insecure_ca"):
            context = ssl.create_default_context()
            context.load_verify_locations(cafile=options["insecure_ca"])
            probe_options["ssl_context"] = context
        if options["resolve"]:
            probe_options["resolve"] = dict(_resolve_pair(p) for p in options["resolve"])
        run_engine(batch=options["batch"], probe_options=probe_options)

    def _check(self, **options) -> None:
        url = options["url"]
        try:
            parse_target(url)
        except InvalidURL as exc:
            raise CommandError(str(exc), returncode=2) from None
        for name in ("max_ms", "min_cert_days", "max_redirects", "timeout"):
            if options.get(name) is not None and options[name] < 0:
                flag = "--" + name.replace("_", "-")
                raise CommandError(f"{flag} must not be negative", returncode=2)
        if options.get("absent") and not options.get("keyword"):
            raise CommandError("--absent needs --keyword", returncode=2)
        timeouts = DEFAULT_TIMEOUTS
        if options.get("timeout"):
            total = options["timeout"]
            capped = {field.name: min(getattr(timeouts, field.name), total)
                      for field in dataclasses.fields(timeouts)}
            timeouts = dataclasses.replace(timeouts, **(capped | {"total": total}))
        context = None
        if options.get("insecure_ca"):
            context = ssl.create_default_context()
            try:
                context.load_verify_locations(cafile=options["insecure_ca"])
            except (OSError, ssl.SSLError) as exc:
                raise CommandError(f"--insecure-ca {options['insecure_ca']}: {exc}",
                                   returncode=2) from None
        resolve = dict(_resolve_pair(pair) for pair in options["resolve"]) or None
        result = asyncio.run(check(
            url, keyword=options.get("keyword") or None, keyword_absent=options["absent"],
            max_ms=options.get("max_ms"), min_cert_days=options["min_cert_days"],
            max_redirects=options["max_redirects"], timeouts=timeouts, resolve=resolve,
            ssl_context=context))
        self.stdout.write(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        if not result.ok:
            raise CommandError(f"check failed ({result.error_class}): {result.error}",
                               returncode=1)
