"""The SMTP/LMTP listener the company's MTA relays support mail to (aiosmtpd).

Per message: RCPT accepts only addresses of the company's domains (550 for any
other: this is not an open relay); DATA hands the message to the batcher and
answers when the batcher is done with it: 250 once its raw bytes are committed,
451 if they could not be (the MTA retries), 554 for an empty message; 552 over
the size limit. LMTP answers once per accepted recipient.

The batcher (``batcher.Batcher``: group commit, store then process, answer) runs in a
process of its own (``batch_process``), with a parser process beside it
(``parser_process``), so that the SMTP conversations here and the database work there use
two cores. The 250 normally comes after the ticket is committed; see ``batcher`` for why a
crash at any point loses no message.

Back-pressure: a session waits for its answer, so at most one message per open
session is in the listener; a burst waits in the sending MTA's queue (which is
durable and retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
import signal
import socket
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import connections

from xuala.core.supervisor import die_with_parent
from xuala.env import port_taken
from xuala.intake.accept import Incoming, UnusableMessage
from xuala.intake.batch_process import BatcherProcess
from xuala.intake.batcher import Batcher
from xuala.intake.models import InboundPath
from xuala.intake.parser_process import ParserProcess
from xuala.policy.selectors import policy_active

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


def company_domains() -> frozenset[str]:
    return frozenset(d.lower() for d in policy_active().policy.channels.company_domains)


class IntakeHandler:
    """aiosmtpd handler: RCPT policy; DATA answered once the batcher has committed it."""

    def __init__(self, *, lmtp: bool = False, process: bool = True, max_batch: int = 64,
                 parser: ParserProcess | None = None, batcher=None):
        self.lmtp = lmtp
        # ``batcher``: one that stores and processes elsewhere (``BatcherProcess``).
        self._batcher = batcher or Batcher(process=process, max_batch=max_batch, parser=parser)

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options):
        domain = address.rsplit("@", 1)[-1].lower() if "@" in address else ""
        if domain not in company_domains():
            return "550 5.7.1 Relaying denied: not a local domain"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        peer = session.peer
        incoming = Incoming(
            raw=envelope.original_content or b"",
            path=InboundPath.LMTP if self.lmtp else InboundPath.SMTP,
            envelope_from=envelope.mail_from or "", envelope_to=list(envelope.rcpt_tos),
            client_ip=peer[0] if isinstance(peer, tuple) and peer else None,
            helo=session.host_name)
        try:
            row = await asyncio.wrap_future(self._batcher.submit(incoming))
        except UnusableMessage:
            return self._per_recipient("554 5.6.0 The message is empty", envelope)
        except Exception:
            log.exception("could not store an inbound message; answered %s", TEMPORARY_FAILURE)
            return self._per_recipient(TEMPORARY_FAILURE, envelope)
        return self._per_recipient(f"250 2.0.0 OK queued as {row.pk}", envelope)

    def _per_recipient(self, status: str, envelope) -> str:
        if not self.lmtp:
            return status
        return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every message handed to the batcher is answered (tests, shutdown)."""
        return self._batcher.wait_idle(timeout)

    def close(self, *, timeout: float = 10.0) -> None:
        self._batcher.shutdown(timeout=timeout)


# "<local@domain>" as almost every MTA writes it in MAIL FROM and RCPT TO: read directly.
# aiosmtpd's own reading (the e-mail package's header parser, and a class defined per
# call) cost more than the rest of the SMTP conversation; anything else still goes to it.
_PLAIN_PATH = re.compile(
    r"<(?P<addr>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>"
    r"(?P<rest>(?: .*)?)")


class _PlainPaths:
    def _getaddr(self, arg: str):
        match = _PLAIN_PATH.fullmatch(arg)
        if match is None or (self.local_part_limit
                             and len(match["addr"].rpartition("@")[0]) > self.local_part_limit):
            return super()._getaddr(arg)
        return match["addr"], match["rest"].lstrip()


class _SMTP(_PlainPaths, SMTP):
    pass


class _LMTP(_PlainPaths, LMTP):
    pass


def server_factory(handler: IntakeHandler, *, hostname: str | None = None) -> SMTP:
    cls = _LMTP if handler.lmtp else _SMTP
    return cls(handler, hostname=hostname or socket.gethostname(),
               data_size_limit=settings.XUALA_SMTP_MAX_BYTES, enable_SMTPUTF8=True,
               decode_data=False, ident="Xuala Desk intake", timeout=120)


class IntakeController(Controller):
    """The listener in a thread of its own (tests, embedding)."""

    def __init__(self, handler: IntakeHandler, *, hostname: str = "127.0.0.1", port: int = 0):
        super().__init__(handler, hostname=hostname, port=port)

    def factory(self) -> SMTP:
        return server_factory(self.handler)


def serve(*, host: str, port: int, lmtp: bool = False, processes: int = 1,
          on_ready: Callable[[str, int], None] | None = None) -> None:
    """Listen until SIGTERM or SIGINT, then finish in-flight work and return.

    With ``processes`` > 1 the listening socket is bound that many times with SO_REUSEPORT
    and the process forks: the kernel spreads the connections over them, and each has its
    own event loop, batcher and database connection (one Python process uses one core).
    A child dies with its parent (PR_SET_PDEATHSIG), so killing the listener kills all.
    """
    processes = max(1, processes)
    # What start-up loaded (Django, the policy) lives as long as the process: out of the
    # collector's way, so that its full passes do not walk it again and again (they showed
    # as pauses of tens of milliseconds in the DATA -> ticket latency).
    policy_active()
    gc.collect()
    gc.freeze()
    sockets = _bind(host, port, processes)
    bound = sockets[0].getsockname()
    connections.close_all()  # none may be shared across fork
    children: list[int] = []
    mine = sockets[0]
    parent = os.getpid()
    for n in range(1, processes):
        pid = os.fork()
        if pid == 0:
            die_with_parent(parent)
            for other in sockets:
                if other is not sockets[n]:
                    other.close()
            try:
                _serve_socket(sockets[n], lmtp=lmtp)
            finally:
                os._exit(0)
        children.append(pid)
    for other in sockets[1:]:
        other.close()
    if on_ready:
        on_ready(bound[0], bound[1])
    try:
        _serve_socket(mine, lmtp=lmtp)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


class PortTaken(Exception):
    """The listening address is in use (another desk, another mail server)."""


def _bind(host: str, port: int, count: int) -> list[socket.socket]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if port and port_taken(host, port):  # SO_REUSEPORT below would share it silently
        raise PortTaken(f"{host}:{port} is already in use; set XUALA_SMTP_LISTEN (or --listen)"
                        " to a free address")
    sockets = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if count > 1:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]  # port 0: the others bind the port the first got
        sock.listen(128)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def _serve_socket(sock: socket.socket, *, lmtp: bool) -> None:
    # The batcher (and its parser) in processes of their own, forked before this one opens
    # a database connection or starts a thread; this process keeps the SMTP conversations.
    batcher = BatcherProcess()
    handler = IntakeHandler(lmtp=lmtp, batcher=batcher)
    try:  # uvloop's transports cost the SMTP conversation less CPU than asyncio's own
        import uvloop
    except ImportError:  # pragma: no cover - optional
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    # Should the batcher process end, the listener stops (a death before this line is
    # seen by the check after it).
    batcher.on_gone = lambda: loop.call_soon_threadsafe(stop.set)
    if batcher.gone:
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        server = loop.run_until_complete(
            loop.create_server(lambda: server_factory(handler), sock=sock))
        loop.run_until_complete(stop.wait())
        server.close()
        loop.run_until_complete(server.wait_closed())
        # Let sessions in the middle of DATA finish their commit and answer.
        loop.run_until_complete(asyncio.sleep(0.2))
    finally:
        handler.wait_idle(timeout=20)
        handler.close()
        loop.close()
    if batcher.gone:
        raise SystemExit("the intake batcher process ended; the listener stopped (exit 1)")
