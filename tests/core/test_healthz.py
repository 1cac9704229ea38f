"""/healthz: 200 with database reachability, 503 when the database is gone."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


@pytest.mark.django_db
def test_it_answers_200_with_the_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["database_ms"] >= 0
    assert response["Cache-Control"].startswith("max-age=0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            return urllib.request.urlopen(url, timeout=5)
        except urllib.error.HTTPError as exc:
            return exc
        except OSError as exc:
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout} s: {last}")


@pytest.mark.real_clock
def test_it_answers_503_when_the_database_cannot_be_reached(tmp_path):
    """A real server process whose database URL points at a closed port."""
    port, dead_port = free_port(), free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings",
           "XUALA_DATA_DIR": str(tmp_path),
           "XUALA_DATABASE_URL": f"postgres://nobody@127.0.0.1:{dead_port}/none"}
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--no-ws", "xuala.wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        response = wait_for_http(f"http://127.0.0.1:{port}/healthz")
        assert response.status == 503
        body = json.loads(response.read())
        assert body == {"status": "error", "database": "unreachable",
                        "error": "OperationalError"}
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.django_db
def test_the_front_door_leads_to_the_client_area(client):
    assert client.get("/")["Location"] == "/portal/"
    assert client.get("/en/")["Location"] == "/en/portal/"
