"""The processes `xuala run` starts. Each domain adds its own engine here."""

from __future__ import annotations

import os
import sys

from django.conf import settings

from xuala.core.supervisor import ProcessSpec, xuala_argv


def desk_processes(*, host: str, port: int, web_workers: int) -> list[ProcessSpec]:
    web = [
        sys.executable, "-m", "xuala.core.web", "--interface", "wsgi",
        "--host", host, "--port", str(port),
        "--workers", str(web_workers),
        # One Python thread per worker process: with several, a worker's requests queue for
        # the GIL behind each other's database round trips (measured on the console's ticket
        # page at concurrency 8 on 2 cores: p95 125-150 ms with 1 thread, 210-270 ms with 4).
        "--blocking-threads", str(settings.XUALA_WEB_THREADS),
        "--no-ws", "--log-level", "warning",
        "xuala.wsgi:application",
    ]
    processes = [
        ProcessSpec("web", web),
        ProcessSpec("tasks", xuala_argv("db_worker", "--interval", "0.5", "--queue-name", "*")),
        ProcessSpec("sla", xuala_argv("engine", "sla")),
        ProcessSpec("outbox", xuala_argv("engine", "outbox")),
        ProcessSpec("sentry", xuala_argv("sentry", "engine")),
        ProcessSpec("smtp", xuala_argv("mail", "smtpd")),
        ProcessSpec("intake", xuala_argv("engine", "intake")),
        ProcessSpec("quotes", xuala_argv("engine", "quotes")),
        ProcessSpec("meetings", xuala_argv("engine", "meetings")),
        ProcessSpec("triage", xuala_argv("engine", "triage")),  # retrains from agents, daily
        ProcessSpec("updates", xuala_argv("engine", "updates")),  # the Tuesday runs
    ]
    from xuala.nodes.processes import local_node_processes, wsa_engine_process

    processes.append(wsa_engine_process())
    processes += local_node_processes(host=host, port=port)
    if settings.XUALA_IMAP_URL:
        processes.append(ProcessSpec("imap", xuala_argv("imap", "poll")))
    return processes


def default_web_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))
