"""`xuala node …`: node tokens, and the agent that runs on a hosting server.

    xuala node token create --server NAME [--name TEXT]   # prints the token once
    xuala node token revoke PREFIX
    xuala node local --server NAME [--off]                # `xuala run` starts its agent
    xuala node run --desk URL [--token T] [--once]        # the agent (token: XUALA_NODE_TOKEN)
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from django.core.management.base import CommandError

from xuala.core.commands import ActionsCommand


def _server(name: str):
    from xuala.customers.models import HostingServer

    try:
        return HostingServer.objects.get(name=name)
    except HostingServer.DoesNotExist:
        raise CommandError(f"no hosting server named {name!r}") from None


class Command(ActionsCommand):
    help = "Node tokens and the node agent that runs a hosting server's jobs."

    def add_actions(self, sub) -> None:
        token = sub.add_parser("token", help="node tokens")
        token_sub = token.add_subparsers(dest="token_action", required=True)
        create = token_sub.add_parser("create", help="issue a token for a server's node")
        create.add_argument("--server", required=True)
        create.add_argument("--name", default="")
        revoke = token_sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        local = sub.add_parser("local", help="mark a server as this machine")
        local.add_argument("--server", required=True)
        local.add_argument("--off", action="store_true")
        run = sub.add_parser("run", help="run the agent: claim, run and report jobs")
        run.add_argument("--desk", required=True, help="the desk's base URL (https://…)")
        run.add_argument("--token", default=None, help="default: XUALA_NODE_TOKEN")
        run.add_argument("--token-file", default=None, help="read the token from this file")
        run.add_argument("--once", action="store_true", help="one claim, then exit")

    def _token(self, *, token_action: str, **options) -> None:
        from xuala.nodes import services

        if token_action == "revoke":  # noqa: S105 (a subcommand, not a secret)
            try:
                token = services.node_token_revoke(prefix=options["prefix"])
            except services.NodeToken.DoesNotExist:
                raise CommandError(f"no node token {options['prefix']}") from None
            self.stdout.write(f"revoked {token.prefix}")
            return
        issued = services.node_token_create(server=_server(options["server"]),
                                            name=options["name"])
        self.stdout.write(issued.secret)

    def _local(self, *, server: str, off: bool, **options) -> None:
        from xuala.nodes import services

        host = _server(server)
        node = services.node_mark_local(server=host, is_local=not off)
        self.stdout.write(f"{host.name}: {'local' if node.is_local else 'not local'}")

    def _run(self, **options) -> None:
        from xuala.nodes.agent import Desk, run_agent

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        token = options["token"] or os.environ.get("XUALA_NODE_TOKEN", "")
        if options["token_file"]:
            from pathlib import Path

            token = Path(options["token_file"]).read_text(encoding="utf-8").strip()
        if not token:
            raise CommandError("give the node's token with --token or XUALA_NODE_TOKEN")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        try:
            desk = Desk(options["desk"], token)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        code = run_agent(desk, once=options["once"], stop=stop)
        if code:
            raise CommandError("the desk refused this node's token", returncode=code)
