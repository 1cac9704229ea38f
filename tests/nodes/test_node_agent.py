"""The real agent (`xuala node run`) against a live desk: a killed node's job is taken again."""

import os
import signal
import subprocess
import sys
import time

import pytest

from xuala.nodes.models import Job, JobState
from xuala.nodes.services import job_enqueue

pytestmark = pytest.mark.real_clock


def agent(url: str, secret: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "XUALA_NODE_TOKEN": secret}
    return subprocess.Popen([sys.executable, "-m", "xuala", "node", "run", "--desk", url,
                             *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(predicate, seconds: float = 60.0, why=lambda: "") -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting: {why()}"
        time.sleep(0.1)


def test_a_job_whose_node_was_killed_mid_job_is_claimed_again_after_its_lease(
        live_server, settings, site_a, node_a):
    settings.XUALA_NODE_LEASE_SECONDS = 2
    job, _ = job_enqueue(kind="node.sleep", key="sleep-1", site=site_a, params={"seconds": 3})
    first = agent(live_server.url, node_a.secret)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.RUNNING)
        wait_for(lambda: Job.objects.get(pk=job.pk).progress.get("left") is not None)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING  # killed, not finished
    second = agent(live_server.url, node_a.secret)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    job.refresh_from_db()
    assert job.attempts == 2
    assert job.result == {"slept": 3.0}
    assert list(job.events.filter(key="job.claimed").values_list("data__attempt", flat=True)
                ) == [1, 2]


def test_an_agent_with_a_refused_token_stops_with_status_2(live_server, site_a):
    answer = agent(live_server.url, "xn_00000000_nope", "--once")
    assert answer.wait(timeout=60) == 2


def test_a_node_killed_mid_scan_has_its_audit_taken_again_and_recorded_once(
        live_server, settings, site_a, node_a, tmp_path, monkeypatch):
    from xuala.wsa import services as wsa

    settings.XUALA_NODE_LEASE_SECONDS = 2
    tree = tmp_path / "site-a"
    for folder in range(40):
        sub = tree / "wp-content" / "uploads" / f"{folder:02d}"
        sub.mkdir(parents=True)
        for number in range(250):
            # ~30 KB each (300 MB in all): the scan lasts seconds, long enough to be killed
            (sub / f"img-{number}.txt").write_text(f"picture {folder}/{number}\n" * 2000)
    monkeypatch.setenv("XUALA_WSA_OFFLINE", "1")  # the agents inherit the environment
    monkeypatch.setenv("XUALA_WSA_HOME", str(tmp_path / "wsa-home"))
    audit = wsa.audit_start(site=site_a)
    first = agent(live_server.url, node_a.secret)
    try:
        wait_for(lambda: Job.objects.get(pk=audit.job_id).progress.get("files_done"),
                 why=lambda: (Job.objects.get(pk=audit.job_id).__dict__, first.poll()))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert Job.objects.get(pk=audit.job_id).state == JobState.RUNNING
    second = agent(live_server.url, node_a.secret)
    try:
        wait_for(lambda: Job.objects.get(pk=audit.job_id).state == JobState.DONE, 120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    audit.refresh_from_db()
    assert (audit.state, audit.files, audit.job.attempts) == ("done", 10_000, 2)
