"""CPU per comment-check through the production WSGI application, in one process.

No network and no load generator: a fresh SQLite desk (set up as bench_antispam_http.py
does), 300 warm-up checks, then N (environment N, default 1000) timed ones. PROFILE=1 adds
a cProfile listing (SORT=cumulative|tottime, TOP=45).

    PYTHONPATH=$PWD python bench/profile_antispam.py
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
WORK = tempfile.mkdtemp(prefix="xuala-antispam-profile-")
os.environ.update(DJANGO_SETTINGS_MODULE="xuala.settings", XUALA_DATA_DIR=WORK,
                  XUALA_DATABASE_URL="", XUALA_LOG_LEVEL="WARNING", XUALA_DEBUG="0",
                  XUALA_ANTISPAM_RATE_PER_MINUTE="100000000")

import bench_antispam_http as http_bench  # noqa: E402
from bench_antispam import BENCH_SET, read_labelled  # noqa: E402


def _environ(body: bytes) -> dict:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/akismet/1.1/comment-check",
            "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}


def main() -> None:
    python = [sys.executable, "-m", "xuala"]
    subprocess.run([*python, "migrate", "--noinput"], check=True, stdout=subprocess.DEVNULL)
    key = subprocess.run([*python, "shell", "-c", http_bench.SETUP], check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    from xuala.wsgi import application

    bodies = http_bench._bodies(read_labelled(BENCH_SET), key)

    def call(body: bytes) -> None:
        result = application(_environ(body), lambda status, headers, exc_info=None: None)
        answer = b"".join(result)
        if answer not in (b"true", b"false"):
            raise SystemExit(f"unexpected answer {answer[:80]!r}")

    for body in bodies[:300]:
        call(body)
    n = int(os.environ.get("N", "1000"))
    cpu, wall = time.process_time(), time.perf_counter()
    for number in range(n):
        call(bodies[number % len(bodies)])
    print(f"cpu per check {(time.process_time() - cpu) / n * 1000:.3f} ms, "
          f"wall {(time.perf_counter() - wall) / n * 1000:.3f} ms")
    if os.environ.get("PROFILE"):
        profile = cProfile.Profile()
        profile.enable()
        for number in range(n):
            call(bodies[number % len(bodies)])
        profile.disable()
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("TOP", "45")))
    from xuala.antispam import live
    from xuala.antispam.models import Check

    live._final_flush()
    print(f"stored verdicts: {Check.objects.count()}")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
