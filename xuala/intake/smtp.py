"""The SMTP/LMTP listener the company's MTA relays support mail to (aiosmtpd).

Per message: RCPT accepts only addresses of the company's domains (550 for any
other: this is not an open relay); DATA stores the raw message with
``inbound_accept`` in a worker thread (the Django ORM is synchronous) and
answers 250 only after that commit, 451 on any failure so the MTA retries, 552
over the size limit. LMTP answers once per accepted recipient.

Processing happens right after the 250, in a small pool of processing threads of
this same process: the ticket is usually committed a few milliseconds after the
message, without waiting for an engine's poll. If this process dies first, the
row stays "received" and the intake engine (``intake_step``) takes it once the
hand-off grace has passed; the claim on the row makes sure only one of them acts.

Back-pressure: at most ``backlog`` messages are between their DATA and the end of
their processing. The next DATA waits for a place before it is stored, so a burst
waits in the sending MTA's queue (which is durable and retries) instead of piling
up here, and a message is acted on within about (backlog / throughput) of its DATA.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import signal
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import connections

from xuala.intake.models import InboundMessage, InboundPath, InboundStatus
from xuala.intake.services import UnusableMessage, inbound_accept, inbound_process
from xuala.policy.selectors import policy_active

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


class Workers:
    """A fixed set of threads, each keeping its own database connection, fed from a queue.

    Each thread keeps its connection from job to job (no reconnect per message), drops it
    after a failed job, and closes it when it stops, so a stopped listener leaves no
    connection behind (PostgreSQL would refuse to drop a test database that still has one).
    """

    def __init__(self, name: str, size: int):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._loop, name=f"{name}-{n}", daemon=True)
                         for n in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable, *args) -> Future:
        future: Future = Future()
        self._queue.put((future, fn, args))
        return future

    def _loop(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                future, fn, args = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = fn(*args)
                except BaseException as exc:
                    # The connection may be what failed (a restarted server, a broken
                    # socket): the next job of this thread opens a fresh one.
                    connections.close_all()
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            connections.close_all()

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Finish what was queued, then stop every thread."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)


def company_domains() -> frozenset[str]:
    return frozenset(d.lower() for d in policy_active().policy.channels.company_domains)


def _process_row(row: InboundMessage) -> None:
    """Process the row just accepted, as it was returned (no second read of it); the claim
    inside inbound_process is what makes sure it is acted on once."""
    try:
        inbound_process(message=row, refresh=False)
    except Exception:
        # Recorded on the row with a back-off; the intake engine retries it.
        log.exception("processing inbound message %s failed; the intake engine will retry",
                      row.pk)
        raise


class IntakeHandler:
    """aiosmtpd handler: RCPT policy, DATA stored and committed before the 250."""

    def __init__(self, *, lmtp: bool = False, process: bool = True, accept_threads: int = 4,
                 process_threads: int = 2, backlog: int = 4):
        self.lmtp = lmtp
        self._accepting = Workers("intake-accept", accept_threads)
        self._processing = Workers("intake-process", process_threads) if process else None
        self._pending: set[Future] = set()
        self._pending_lock = threading.Lock()
        self._backlog = backlog
        self._places: asyncio.Semaphore | None = None  # made on the listener's event loop

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options):
        domain = address.rsplit("@", 1)[-1].lower() if "@" in address else ""
        if domain not in company_domains():
            return "550 5.7.1 Relaying denied: not a local domain"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        peer = session.peer
        client_ip = peer[0] if isinstance(peer, tuple) and peer else None
        raw = envelope.original_content or b""
        if self._places is None:
            self._places = asyncio.Semaphore(self._backlog)
        places = self._places
        await places.acquire()
        handed_over = False
        try:
            try:
                row = await asyncio.wrap_future(self._accepting.submit(
                    self._accept, raw, envelope.mail_from or "", list(envelope.rcpt_tos),
                    client_ip, session.host_name))
            except UnusableMessage:
                return self._per_recipient("554 5.6.0 The message is empty", envelope)
            except Exception:
                log.exception("could not store an inbound message; answered %s",
                              TEMPORARY_FAILURE)
                return self._per_recipient(TEMPORARY_FAILURE, envelope)
            if row.status == InboundStatus.RECEIVED:
                future = self._process_soon(row)
                if future is not None:
                    loop = asyncio.get_running_loop()
                    future.add_done_callback(lambda _: _call_soon(loop, places.release))
                    handed_over = True
            return self._per_recipient(f"250 2.0.0 OK queued as {row.pk}", envelope)
        finally:
            if not handed_over:
                places.release()

    def _accept(self, raw: bytes, mail_from: str, rcpt_tos: list[str], client_ip: str | None,
                helo: str | None) -> InboundMessage:
        return inbound_accept(raw=raw, path=InboundPath.LMTP if self.lmtp else InboundPath.SMTP,
                              envelope_from=mail_from, envelope_to=rcpt_tos,
                              client_ip=client_ip, helo=helo)

    def _per_recipient(self, status: str, envelope) -> str:
        if not self.lmtp:
            return status
        return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))

    def _process_soon(self, row: InboundMessage) -> Future | None:
        if self._processing is None:
            return None
        future = self._processing.submit(_process_row, row)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every message handed to processing is done (tests, shutdown)."""
        with self._pending_lock:
            pending = list(self._pending)
        for future in pending:
            try:
                future.result(timeout=timeout)
            except TimeoutError:
                return False
            except Exception:  # noqa: S112 - logged by _process_row already
                continue
        return True

    def close(self, *, timeout: float = 10.0) -> None:
        self._accepting.shutdown(timeout=timeout)
        if self._processing is not None:
            self._processing.shutdown(timeout=timeout)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
    """Run ``callback`` on ``loop`` from another thread; a loop already closed is let be."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def server_factory(handler: IntakeHandler, *, hostname: str | None = None) -> SMTP:
    cls = LMTP if handler.lmtp else SMTP
    return cls(handler, hostname=hostname or socket.gethostname(),
               data_size_limit=settings.XUALA_SMTP_MAX_BYTES, enable_SMTPUTF8=True,
               decode_data=False, ident="Xuala Desk intake", timeout=120)


class IntakeController(Controller):
    """The listener in a thread of its own (tests, embedding)."""

    def __init__(self, handler: IntakeHandler, *, hostname: str = "127.0.0.1", port: int = 0):
        super().__init__(handler, hostname=hostname, port=port)

    def factory(self) -> SMTP:
        return server_factory(self.handler)


def serve(*, host: str, port: int, lmtp: bool = False,
          on_ready: Callable[[str, int], None] | None = None) -> None:
    """Listen until SIGTERM or SIGINT, then finish in-flight work and return."""
    handler = IntakeHandler(lmtp=lmtp)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        server = loop.run_until_complete(
            loop.create_server(lambda: server_factory(handler), host=host, port=port))
        bound = server.sockets[0].getsockname()
        if on_ready:
            on_ready(bound[0], bound[1])
        loop.run_until_complete(stop.wait())
        server.close()
        loop.run_until_complete(server.wait_closed())
        # Let sessions in the middle of DATA finish their commit and answer.
        loop.run_until_complete(asyncio.sleep(0.2))
    finally:
        handler.wait_idle(timeout=20)
        handler.close()
        loop.close()
