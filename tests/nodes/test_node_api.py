"""The node API: node tokens, claims scoped to the node's own server, leases, results."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.nodes.conftest import bearer
from xuala.api.services import api_token_create
from xuala.nodes.models import Job, JobState, NodeToken
from xuala.nodes.services import job_claim, job_enqueue, node_token_revoke

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def claim(client, secret, **body):
    return client.post("/api/v1/nodes/claim", body or {"max": 5},
                       content_type="application/json", **bearer(secret))


def test_a_node_token_is_stored_only_as_its_hash(node_a):
    stored = NodeToken.objects.get()
    assert node_a.secret.startswith(stored.prefix)
    assert node_a.secret not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64


def test_a_claim_without_a_token_or_with_a_user_token_is_refused(client, node_a, agent_user):
    assert client.post("/api/v1/nodes/claim", {}, content_type="application/json"
                       ).status_code == 401
    user_token = api_token_create(user=agent_user).secret
    assert claim(client, user_token).status_code == 401


def test_a_node_token_does_not_open_the_user_api(client, node_a):
    assert client.get("/api/v1/tickets", **bearer(node_a.secret)).status_code == 401


def test_a_revoked_node_token_is_refused(client, node_a):
    node_token_revoke(prefix=node_a.token.prefix)
    answer = claim(client, node_a.secret)
    assert answer.status_code == 401
    assert answer.json()["code"] == "token_revoked"


def test_a_node_claims_only_its_own_servers_jobs(client, site_a, other_site, node_a, node_b):
    mine, _ = job_enqueue(kind="node.sleep", key="a-1", site=site_a)
    job_enqueue(kind="node.sleep", key="b-1", site=other_site)
    answer = claim(client, node_a.secret)
    assert answer.status_code == 200
    assert [j["id"] for j in answer.json()["jobs"]] == [mine.pk]
    assert answer.json()["jobs"][0]["params"]["root"].endswith("site-a")


def test_a_node_cannot_heartbeat_or_upload_another_servers_job(client, site_a, other_site,
                                                                 node_a, node_b):
    theirs, _ = job_enqueue(kind="node.sleep", key="b-1", site=other_site)
    [held] = job_claim(token=node_b.token)
    for action in ("heartbeat", "result"):
        answer = client.post(f"/api/v1/nodes/jobs/{theirs.pk}/{action}",
                             {"attempt": held.attempts, "ok": True, "result": {"x": 1}},
                             content_type="application/json", **bearer(node_a.secret))
        assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == JobState.RUNNING and theirs.result is None


def test_a_result_is_stored_and_ends_the_job(client, site_a, node_a):
    job, _ = job_enqueue(kind="node.sleep", key="a-1", site=site_a)
    [held] = claim(client, node_a.secret).json()["jobs"]
    answer = client.post(f"/api/v1/nodes/jobs/{job.pk}/result",
                         {"attempt": held["attempt"], "ok": True, "result": {"slept": 0}},
                         content_type="application/json", **bearer(node_a.secret))
    assert answer.status_code == 200
    job.refresh_from_db()
    assert (job.state, job.result, job.next_at) == (JobState.DONE, {"slept": 0}, None)
    assert list(job.events.values_list("key", flat=True)) == ["job.queued", "job.claimed",
                                                             "job.done"]


def test_the_same_idempotency_key_gives_the_same_job_once(site_a):
    first, made = job_enqueue(kind="wsa.audit", key="wsa.audit:1:2026-03-10", site=site_a)
    again, made_again = job_enqueue(kind="wsa.audit", key="wsa.audit:1:2026-03-10", site=site_a)
    assert (made, made_again) == (True, False)
    assert first.pk == again.pk and Job.objects.count() == 1


def test_a_job_whose_lease_ended_is_claimed_again_and_the_old_claim_is_refused(
        client, site_a, node_a):
    with time_machine.travel(NOW, tick=False):
        job, _ = job_enqueue(kind="node.sleep", key="a-1", site=site_a)
        [first] = job_claim(token=node_a.token)
        assert job_claim(token=node_a.token) == []  # held: not due while leased
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        [second] = job_claim(token=node_a.token)
        assert second.attempts == 2
        stale = client.post(f"/api/v1/nodes/jobs/{job.pk}/result",
                            {"attempt": first.attempts, "ok": True, "result": {}},
                            content_type="application/json", **bearer(node_a.secret))
        assert stale.status_code == 409


def test_heartbeats_keep_a_job_from_being_claimed_again(client, site_a, node_a):
    with time_machine.travel(NOW, tick=False):
        job, _ = job_enqueue(kind="node.sleep", key="a-1", site=site_a)
        [held] = job_claim(token=node_a.token)
    for minute in range(1, 4):
        with time_machine.travel(NOW + timedelta(seconds=50 * minute), tick=False):
            answer = client.post(f"/api/v1/nodes/jobs/{job.pk}/heartbeat",
                                 {"attempt": held.attempts, "progress": {"files_done": minute}},
                                 content_type="application/json", **bearer(node_a.secret))
            assert answer.status_code == 200
            assert job_claim(token=node_a.token) == []
    job.refresh_from_db()
    assert job.progress == {"files_done": 3} and job.attempts == 1


def test_a_failed_attempt_is_retried_later_until_attempts_run_out(client, site_a, node_a):
    with time_machine.travel(NOW, tick=False):
        job, _ = job_enqueue(kind="node.sleep", key="a-1", site=site_a, max_attempts=2)
    for step in range(2):
        with time_machine.travel(NOW + timedelta(hours=step), tick=False):
            [held] = job_claim(token=node_a.token)
            client.post(f"/api/v1/nodes/jobs/{job.pk}/result",
                        {"attempt": held.attempts, "ok": False, "error": "disk on fire"},
                        content_type="application/json", **bearer(node_a.secret))
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "disk on fire")
