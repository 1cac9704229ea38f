"""A small closed-loop HTTP load generator for the benchmarks (stdlib only, loopback only).

Each of ``concurrency`` threads keeps one HTTP/1.1 keep-alive connection and, until the time
or count bound is reached (or, for a very slow page, until a minimum of samples), asks a
*scenario* for the next list of requests and sends them one after the other: one
*iteration*. Its latency is the wall time from the first request's start to the last
response's end (a page plus the AJAX call its table waits for is one iteration).
A response whose status is not 2xx/3xx, or a failed connection, counts the iteration as an
error; the first few errors are kept for printing.

    from loadgen import Request, run
    result = run(host="127.0.0.1", port=8000, seconds=15, concurrency=8,
                 scenario=lambda worker, rng: [Request("GET", "/healthz")])
    print(result.summary())
"""

from __future__ import annotations

import http.client
import ipaddress
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: Callable[[int, bytes], str | None] | None = None  # extra check: an error text or None


# scenario(worker_index, rng) -> the requests of one iteration
Scenario = Callable[[int, random.Random], Sequence[Request]]


@dataclass
class Result:
    count: int  # iterations completed (errors included)
    errors: int
    seconds: float
    latencies_ms: list[float]  # of the successful iterations, sorted
    error_samples: list[str]
    requests: int  # HTTP requests sent
    steps_ms: list[list[float]] = field(default_factory=list)  # per request of an iteration
    all_iterations: int = 0  # warm-up included

    def step_percentile(self, step: int, p: float) -> float:
        """Nearest-rank percentile of one request of the successful iterations, in ms."""
        values = self.steps_ms[step] if step < len(self.steps_ms) else []
        return _nearest_rank(values, p)

    @property
    def rps(self) -> float:
        """Successful iterations per second."""
        return (self.count - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful iterations' latency, in ms (nan if none)."""
        return _nearest_rank(self.latencies_ms, p)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def summary(self) -> str:
        return (f"n={self.count} errors={self.errors} rps={self.rps:.1f} "
                f"p50={self.p50:.1f}ms p95={self.p95:.1f}ms p99={self.p99:.1f}ms")


def _nearest_rank(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    rank = max(1, -(-len(values) * p // 100))  # ceil(n * p / 100), at least 1
    return values[int(rank) - 1]


def check_loopback(host: str) -> None:
    """Refuse any target that is not on this machine's loopback."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the load generator only targets loopback addresses, not {host!r}")


class _Worker(threading.Thread):
    def __init__(self, index: int, *, host: str, port: int, scenario: Scenario, seed: int,
                 stop_at: float, record_from: float, budget: _Budget, timeout: float,
                 enough: Callable[[], bool], hard_stop: float) -> None:
        super().__init__(name=f"loadgen-{index}", daemon=True)
        self.index = index
        self.host, self.port = host, port
        self.scenario = scenario
        self.rng = random.Random(seed * 1000 + index)
        self.stop_at, self.record_from = stop_at, record_from
        self.budget = budget
        self.timeout = timeout
        self.enough, self.hard_stop = enough, hard_stop
        self.latencies: list[float] = []
        self.steps: list[list[float]] = []
        self.count = 0
        self.all_count = 0
        self.errors = 0
        self.requests = 0
        self.error_samples: list[str] = []
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def _send(self, request: Request) -> str | None:
        """Send one request; an error text, or None when it succeeded."""
        headers = {"Host": f"{self.host}:{self.port}", **request.headers}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(request.method, request.path, body=request.body, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (ConnectionError, http.client.RemoteDisconnected,
                    http.client.BadStatusLine) as exc:
                # A server may close an idle keep-alive connection; retry once on a new one.
                conn.close()
                self.conn = None
                if attempt == 2:
                    return f"{request.method} {request.path}: {exc!r}"
                continue
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                conn.close()
                self.conn = None
                return f"{request.method} {request.path}: {exc!r}"
            self.requests += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self.conn = None
            if not 200 <= response.status < 400:
                snippet = body[:200].decode("utf-8", "replace").replace("\n", " ")
                return f"{request.method} {request.path}: HTTP {response.status} {snippet}"
            if request.expect is not None:
                problem = request.expect(response.status, body)
                if problem:
                    return f"{request.method} {request.path}: {problem}"
            return None
        return None  # not reached

    def _go_on(self) -> bool:
        now = time.perf_counter()
        return now < self.stop_at or (now < self.hard_stop and not self.enough())

    def run(self) -> None:
        try:
            while self._go_on() and self.budget.take():
                requests = self.scenario(self.index, self.rng)
                t0 = time.perf_counter()
                error = None
                marks = [t0]
                for request in requests:
                    error = self._send(request)
                    marks.append(time.perf_counter())
                    if error:
                        break
                t1 = marks[-1]
                self.all_count += 1
                if t0 < self.record_from:
                    continue  # warm-up
                self.count += 1
                if error:
                    self.errors += 1
                    if len(self.error_samples) < MAX_ERROR_SAMPLES:
                        self.error_samples.append(error)
                else:
                    self.latencies.append((t1 - t0) * 1000.0)
                    while len(self.steps) < len(marks) - 1:
                        self.steps.append([])
                    for k in range(len(marks) - 1):
                        self.steps[k].append((marks[k + 1] - marks[k]) * 1000.0)
        finally:
            if self.conn is not None:
                self.conn.close()


class _Budget:
    """A shared upper bound on the number of iterations."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def run(*, host: str, port: int, scenario: Scenario, seconds: float, concurrency: int,
        warmup_seconds: float = 1.0, max_iterations: int = 1_000_000, seed: int = 1,
        timeout: float = 120.0, min_iterations: int = 0) -> Result:
    """Drive ``scenario`` for ``warmup_seconds`` (not recorded) then ``seconds``.

    When fewer than ``min_iterations`` were recorded by then (a very slow page), go on until
    they are, for at most 4 x ``seconds`` more. Bounded in time (that, plus the last
    iterations in flight, each request at most ``timeout``) and in count
    (``max_iterations``, warm-up included).
    """
    check_loopback(host)
    if concurrency < 1 or seconds <= 0:
        raise ValueError("concurrency must be at least 1 and seconds positive")
    start = time.perf_counter()
    record_from = start + warmup_seconds
    stop_at = record_from + seconds
    hard_stop = stop_at + 4 * seconds
    budget = _Budget(max_iterations)
    workers: list[_Worker] = []

    def enough() -> bool:
        return sum(w.count for w in workers) >= min_iterations

    workers += [_Worker(i, host=host, port=port, scenario=scenario, seed=seed, stop_at=stop_at,
                        record_from=record_from, budget=budget, timeout=timeout, enough=enough,
                        hard_stop=hard_stop)
                for i in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(0.0, hard_stop - time.perf_counter()) + 4 * timeout)
    end = time.perf_counter()
    measured = max(1e-9, end - record_from)
    latencies = sorted(v for w in workers for v in w.latencies)
    samples = [s for w in workers for s in w.error_samples][:MAX_ERROR_SAMPLES]
    n_steps = max((len(w.steps) for w in workers), default=0)
    steps = [sorted(v for w in workers if k < len(w.steps) for v in w.steps[k])
             for k in range(n_steps)]
    return Result(count=sum(w.count for w in workers), errors=sum(w.errors for w in workers),
                  seconds=measured, latencies_ms=latencies, error_samples=samples,
                  requests=sum(w.requests for w in workers), steps_ms=steps,
                  all_iterations=sum(w.all_count for w in workers))
