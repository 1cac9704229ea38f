"""`xuala imap poll [--once]`: take in mail from the IMAP mailbox in XUALA_IMAP_URL."""

from __future__ import annotations

import logging
import signal

from django.core.management.base import BaseCommand, CommandError

from xuala.env import ConfigError


class Command(BaseCommand):
    help = ("Take in mail from the IMAP mailbox in XUALA_IMAP_URL: keep watching (IDLE or "
            "polling) until SIGTERM, or fetch the unseen messages once with --once.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["poll"])
        parser.add_argument("--once", action="store_true",
                            help="Take in the unseen messages once and exit.")

    def handle(self, *args, action: str, once: bool, **options):
        from xuala.intake.imap import (
            WatchStop,
            imap_account_from_settings,
            imap_poll_once,
            imap_watch,
        )

        try:
            account = imap_account_from_settings()
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        if once:
            try:
                taken = imap_poll_once(**account.as_kwargs())
            except Exception as exc:
                raise CommandError(f"IMAP poll of {account.host}:{account.port} failed: "
                                   f"{exc.__class__.__name__}: {exc}") from exc
            self.stdout.write(f"{taken} message(s) taken in")
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        stop = WatchStop()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        try:
            imap_watch(**account.as_kwargs(), stop=stop)
        finally:
            stop.close()
