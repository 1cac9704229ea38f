"""`xuala mail pipe|smtpd|process`: the mail intake's ways in, and one engine step.

    xuala mail pipe [--recipient ADDR] [--sender ADDR]   one message on stdin (for MTAs
        that pipe); exit status per sysexits: 0 stored (after the commit), 65 EX_DATAERR
        for input that is no usable message (empty, over the size limit), 75 EX_TEMPFAIL
        when it could not be stored now (the MTA retries).
    xuala mail smtpd [--listen HOST:PORT] [--lmtp] [--processes N]   the SMTP (or LMTP)
        listener, until SIGTERM; default XUALA_SMTP_LISTEN, XUALA_SMTP_PROCESSES.
    xuala mail process                                   one step of the intake engine.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.management.base import CommandError

from xuala.core.commands import ActionsCommand
from xuala.env import ConfigError, parse_hostport

EX_DATAERR = 65
EX_TEMPFAIL = 75
EX_CONFIG = 78  # the supervisor does not restart a child that exits with it

log = logging.getLogger("xuala.intake")


class Command(ActionsCommand):
    # An MTA starts one `mail pipe` per message (ActionsCommand skips the system checks).
    help = "Mail intake: read one message from an MTA pipe, run the SMTP/LMTP listener, or " \
           "run one intake engine step."

    def add_actions(self, actions):
        pipe = actions.add_parser("pipe", help="Store and process one message read on stdin.")
        pipe.add_argument("--recipient", action="append", default=[],
                          help="The envelope recipient (the MTA's ${recipient}); repeatable.")
        pipe.add_argument("--sender", default="",
                          help="The envelope sender (the MTA's ${sender}).")
        smtpd = actions.add_parser("smtpd", help="Run the SMTP/LMTP listener until SIGTERM.")
        smtpd.add_argument("--listen", default="",
                           help="HOST:PORT to bind (default XUALA_SMTP_LISTEN).")
        smtpd.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")
        smtpd.add_argument("--processes", type=int, default=0,
                           help="Listener processes sharing the port (SO_REUSEPORT); default "
                                "XUALA_SMTP_PROCESSES.")
        actions.add_parser("process", help="Run one step of the intake engine.")

    def _pipe(self, *, recipient: list[str], sender: str, verbosity: int, **_):
        from xuala.intake.services import UnusableMessage, inbound_accept, inbound_process

        limit = settings.XUALA_SMTP_MAX_BYTES
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            raise CommandError(f"the message is larger than {limit} bytes",
                               returncode=EX_DATAERR)
        try:
            row = inbound_accept(raw=raw, path="pipe", envelope_from=sender,
                                 envelope_to=recipient)
        except UnusableMessage as exc:
            raise CommandError(str(exc), returncode=EX_DATAERR) from exc
        except Exception as exc:
            log.exception("could not store the message")
            raise CommandError(f"could not store the message now: {exc}",
                               returncode=EX_TEMPFAIL) from exc
        # Stored and committed: from here on the message is ours, whatever happens.
        try:
            row = inbound_process(message=row)
        except Exception:
            log.exception("inbound message %s stored; processing failed and will be retried",
                          row.pk)
        if verbosity >= 2:
            self.stdout.write(f"inbound message {row.pk}: {row.status} {row.outcome}")

    def _smtpd(self, *, listen: str, lmtp: bool, processes: int, **_):
        from xuala.intake.smtp import PortTaken, serve

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        # aiosmtpd logs every command of every session at INFO.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        try:
            host, port = parse_hostport(listen or settings.XUALA_SMTP_LISTEN, name="--listen")
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc

        def ready(bound_host: str, bound_port: int) -> None:
            self.stdout.write(f"listening on {bound_host}:{bound_port} "
                              f"({'LMTP' if lmtp else 'SMTP'})")
            self.stdout.flush()

        try:
            serve(host=host, port=port, lmtp=lmtp, on_ready=ready,
                  processes=processes or settings.XUALA_SMTP_PROCESSES)
        except PortTaken as exc:
            raise CommandError(str(exc), returncode=EX_CONFIG) from None

    def _process(self, *, verbosity: int, **_):
        from xuala.intake.services import intake_step

        handled = intake_step()
        if verbosity >= 1:
            self.stdout.write(f"{handled} inbound message(s) handled")
