"""The production server (granian, as `xuala run` starts it) stores every verdict it answered,
although the rows are written in batches after the answers: at a clean stop, and from its
journal after it was killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.intake.conftest import free_port, wait_for_port

pytestmark = pytest.mark.real_clock

ROOT = Path(__file__).resolve().parents[2]
# One plan site, made as an operator makes it: the customer import, then its key.
CUSTOMERS = ("customer,language,contact_email,service_kind,service_name,starts_on,site_url,"
             "plan,billing\nRecetas SL,es,admin@recetas.example,web_hosting,recetas.example,"
             "2020-01-01,https://recetas.example/,cobertura-mensual,monthly\n")
COUNT = "from xuala.antispam.models import Check; print(Check.objects.count())"
RECOVER = "from xuala.antispam import live; print(live.recover_journals())"


def _xuala(env, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "xuala", *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def _served(tmp_path, **settings: str):
    """A desk with one plan site served by granian as `xuala run` starts it: (env, port, key)."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="xuala.settings", XUALA_DATA_DIR=str(tmp_path),
               XUALA_DATABASE_URL="", XUALA_DEBUG="0", XUALA_LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT), **settings)
    subprocess.run([sys.executable, "-m", "xuala", "migrate", "--noinput"], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    _xuala(env, "import", "customers", str(tmp_path / "customers.csv"))
    key = _xuala(env, "antispam", "key", "create", "--site", "https://recetas.example/")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "xuala.core.web", "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--blocking-threads", "1", "--no-ws",
         "--log-level", "warning", "xuala.wsgi:application"],
        env=env, cwd=ROOT, start_new_session=True)
    try:
        wait_for_port(port, timeout=60, proc=server)
        yield env, port, key, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)


def _check_many(port: int, key: str, count: int) -> None:
    answers = []
    for number in range(count):
        body = urllib.parse.urlencode({
            "api_key": key, "blog": "https://recetas.example/", "user_ip": f"192.0.2.{number}",
            "comment_content": f"Comentario número {number}: ¡qué buena receta!"}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/akismet/1.1/comment-check",
                                    data=body, timeout=30) as response:
            answers.append(response.read())
    assert set(answers) <= {b"true", b"false"}


def test_every_answered_check_is_stored_after_a_clean_shutdown(tmp_path):
    with _served(tmp_path) as (env, port, key, server):
        _check_many(port, key, 40)
        os.killpg(server.pid, signal.SIGTERM)  # what `xuala run` sends on a clean stop
        server.wait(30)
    assert _xuala(env, "shell", "-c", COUNT) == "40"
    assert not list((tmp_path / "antispam-journal").glob("*.jsonl"))


def test_the_checks_a_killed_server_answered_are_recovered_from_its_journal(tmp_path):
    # Rows wait an hour for their batch: none is in the database when the server is killed.
    with _served(tmp_path, XUALA_ANTISPAM_FLUSH_MS="3600000") as (env, port, key, server):
        _check_many(port, key, 40)
        os.killpg(server.pid, signal.SIGKILL)  # no chance to write what is waiting
        server.wait(30)
    assert _xuala(env, "shell", "-c", COUNT) == "0"
    assert _xuala(env, "shell", "-c", RECOVER) == "40"
    assert _xuala(env, "shell", "-c", COUNT) == "40"
    assert _xuala(env, "shell", "-c", RECOVER) == "0"  # once only
