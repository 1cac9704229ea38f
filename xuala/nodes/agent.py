"""The node agent: pulls its server's jobs from the desk over HTTP(S), runs them, reports.

Loop: claim (POST /api/v1/nodes/claim); nothing due → wait, doubling the wait from 1 s up
to 30 s while idle; a job → run it with a heartbeat thread that extends the lease every
third of it and carries the latest progress; then upload the result. A job whose kind this
agent does not know fails with that reason (the desk retries it later, maybe elsewhere).
The agent needs no database: it speaks only to the desk's API.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from xuala.nodes.kinds import JobFailed, runner_for

log = logging.getLogger("xuala.node")
MAX_IDLE = 30.0


class DeskError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"{status}: {body[:200]}")
        self.status = status


@dataclass
class Desk:
    url: str
    token: str
    timeout: float = 30.0

    def __post_init__(self) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost", "testserver")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError(f"the desk's URL must be https:// (http only on loopback): "
                             f"{self.url!r}")

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url.rstrip("/") + "/api/v1/nodes" + path, method="POST",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Accept-Language": "en"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise DeskError(error.code, error.read().decode("utf-8", "replace")) from None


@dataclass
class _Heartbeat:
    desk: Desk
    job: dict
    progress: dict = field(default_factory=dict)
    lost: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        every = max(0.5, self.job["lease_seconds"] / 3)
        while not self.stop.wait(every):
            try:
                self.desk.post(f"/jobs/{self.job['id']}/heartbeat",
                               {"attempt": self.job["attempt"], "progress": self.progress})
            except DeskError as error:
                if error.status in (404, 409):
                    log.warning("job %s: lease lost (%s)", self.job["id"], error)
                    self.lost.set()
                    return
            except OSError as error:  # the desk is unreachable: keep trying
                log.warning("job %s: heartbeat failed: %s", self.job["id"], error)


def run_job(desk: Desk, job: dict) -> bool:
    """Run one claimed job and upload its outcome; False if the lease was lost."""
    beat = _Heartbeat(desk, job)
    thread = threading.Thread(target=beat.run, name=f"heartbeat-{job['id']}", daemon=True)
    thread.start()
    runner = runner_for(job["kind"])
    ok, result, error = False, None, ""
    try:
        if runner is None:
            raise JobFailed(f"this node does not run jobs of kind {job['kind']!r}")
        result = runner(job["params"], beat.progress.update)
        ok = True
    except JobFailed as exc:
        error = str(exc)
    except Exception:  # a bug in a runner is reported to the desk, never kills the agent
        error = traceback.format_exc(limit=5)
    finally:
        beat.stop.set()
        thread.join()
    if beat.lost.is_set():
        return False
    try:
        desk.post(f"/jobs/{job['id']}/result",
                  {"attempt": job["attempt"], "ok": ok, "result": result, "error": error})
    except DeskError as exc:
        log.warning("job %s: result refused: %s", job["id"], exc)
        return False
    log.info("job %s (%s) %s", job["id"], job["kind"], "done" if ok else f"failed: {error}")
    return True


def run_agent(desk: Desk, *, once: bool = False, stop: threading.Event | None = None) -> int:
    """Claim and run jobs until ``stop`` is set (or, with ``once``, after one claim)."""
    stop = stop or threading.Event()
    idle = 1.0
    while not stop.is_set():
        try:
            jobs = desk.post("/claim", {"max": 1})["jobs"]
        except DeskError as error:
            if error.status == 401:
                log.error("the desk refuses this node's token: %s", error)
                return 2
            log.warning("claim failed: %s", error)
            jobs = []
        except OSError as error:
            log.warning("desk unreachable: %s", error)
            jobs = []
        for job in jobs:
            run_job(desk, job)
        if once:
            return 0
        if jobs:
            idle = 1.0
            continue
        stop.wait(idle)
        idle = min(MAX_IDLE, idle * 2)
    return 0


