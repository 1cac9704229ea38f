"""The batcher: one thread that stores and processes the messages of all SMTP sessions.

It takes every message waiting (group commit: what arrived while it worked on the last
batch, up to ``max_batch``) and, for the whole batch:

1. stores the raw messages in one transaction and commits (``inbounds_accept``):
   nothing is acted on before its bytes are safe;
2. processes them (``inbounds_process``): one claim, parsing, the decisions, and the
   acts of each group in ONE transaction with batched writes, then COMMIT. A message
   whose processing fails is kept raw, "received", with its error and a back-off; the
   others are not held back by it;
3. answers every session of the batch (the future each ``submit`` returned).

So the 250 normally comes after the ticket is committed, and under load each commit
serves many messages. If the process dies between 1 and 2, the rows stay "received" and
the intake engine (``intake_step``) takes them once the hand-off grace has passed; the
sessions got no 250, so the MTA also retries, and the Message-ID makes the retry find the
stored row.

The listener runs it in a process of its own (``batch_process``); tests and embedding run
it in the listener's process (``smtp.IntakeHandler`` without a ``batcher``).
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from django.db import connections

from xuala.intake.accept import Incoming, inbounds_accept
from xuala.intake.engine import inbounds_process
from xuala.intake.models import InboundMessage
from xuala.intake.parser_process import ParserProcess

log = logging.getLogger(__name__)


class Batcher:
    """One thread that stores and processes the messages of all sessions, in batches.

    It keeps its database connection from batch to batch, drops it after a failure (the
    connection may be what failed), and closes it when it stops, so a stopped listener
    leaves no connection behind (PostgreSQL would refuse to drop a test database that
    still has one).
    """

    def __init__(self, *, process: bool = True, max_batch: int = 64,
                 parser: ParserProcess | None = None):
        self._process = process
        self._max_batch = max_batch
        self._parser = parser
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = threading.Condition()
        self._busy = 0  # messages submitted and not answered yet
        self._thread = threading.Thread(target=self._loop, name="intake-batcher", daemon=True)
        self._thread.start()

    def submit(self, incoming: Incoming) -> Future:
        future: Future = Future()
        with self._idle:
            self._busy += 1
        # Parsing starts now, in the parser process, while the batcher is busy elsewhere.
        parsing = self._parser.submit(incoming.raw) if self._process and self._parser else None
        self._queue.put((incoming, future, parsing))
        return future

    def _loop(self) -> None:
        try:
            stopping = False
            while not stopping:
                item = self._queue.get()
                if item is None:
                    return
                batch = [item]
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
                self._run(batch)
        finally:
            connections.close_all()

    def _run(self, batch: list[tuple[Incoming, Future, Future | None]]) -> None:
        try:
            try:
                results = inbounds_accept([incoming for incoming, _, _ in batch])
            except Exception as exc:
                connections.close_all()
                for _, future, _ in batch:
                    future.set_exception(exc)
                return
            rows = [row for row in results if isinstance(row, InboundMessage)]
            # A parse done elsewhere serves only the row made from those very bytes (not a
            # row stored earlier under the same Message-ID).
            parsing = {row.pk: pending for (incoming, _, pending), row in zip(batch, results,
                                                                              strict=True)
                       if pending is not None and isinstance(row, InboundMessage)
                       and row.raw is not None and row.raw == incoming.raw}
            if self._process and rows:
                try:
                    # Failures are recorded on their rows (the intake engine retries them).
                    inbounds_process(rows, parsing=parsing)
                except Exception:
                    connections.close_all()
                    log.exception("processing a batch of %s inbound messages failed; the intake "
                                  "engine will retry them", len(rows))
            for (_, future, _), result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        finally:
            with self._idle:
                self._busy -= len(batch)
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Finish what was submitted, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)
