"""Block lists reach the hosting servers: a node job (`antispam.blocklist`) per server whose
list changed, applied by the node agent to nginx (and nftables), and expired blocks swept."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from tests.intake.conftest import free_port, wait_for_port
from tests.nodes.agents import ClientDesk, drain
from xuala.antispam import node_jobs
from xuala.antispam.filter import Item
from xuala.antispam.models import AntispamEvent, Block, BlockKind
from xuala.antispam.services import antispam_blocklist_publish, antispam_report, antispam_sweep
from xuala.nodes.models import Job, JobState
from xuala.nodes.services import node_token_create

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
KIND = "antispam.blocklist"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _spam(ip: str) -> Item:
    return Item(content="Cheap pills at http://pills.example.xyz/buy now", user_ip=ip)


@pytest.fixture
def node(plan_site, plan_key):
    """The plan site's server has a node, and the site an anti-spam key."""
    return node_token_create(server=plan_site.server).secret


def _lists() -> list[list[str]]:
    return [job.params["addresses"] for job in Job.objects.filter(kind=KIND).order_by("pk")]


def test_a_report_queues_the_servers_new_list_once_per_change(plan_site, node):
    antispam_report(site=plan_site, item=_spam("203.0.113.9"), spam=True, now=AT)
    assert antispam_blocklist_publish(now=AT) == []  # the same list again: nothing new
    antispam_report(site=plan_site, item=_spam("203.0.113.9"), spam=False, now=AT)
    antispam_report(site=plan_site, item=_spam("203.0.113.9"), spam=True, now=AT)  # as before
    assert _lists() == [["203.0.113.9"], [], ["203.0.113.9"]]
    first = Job.objects.filter(kind=KIND).first()
    assert first.server_id == plan_site.server_id and first.state == JobState.QUEUED
    assert AntispamEvent.objects.filter(key="antispam.blocklist_queued").count() == 3


def test_a_server_gets_its_own_sites_blocks_and_the_global_ones(plan_site, node,
                                                                hosting_customer):
    other = hosting_customer.sites.get()  # another site, on the same server, without a key
    Block.objects.create(kind=BlockKind.IP, value="198.51.100.4", site=other,
                         expires_at=AT + timedelta(days=1))
    Block.objects.create(kind=BlockKind.IP, value="2001:db8::7", site=None,
                         expires_at=AT + timedelta(days=1))
    Block.objects.create(kind=BlockKind.DOMAIN, value="pills.example.xyz", site=None,
                         expires_at=AT + timedelta(days=1))
    [job] = antispam_blocklist_publish(now=AT)
    assert job.params["addresses"] == ["198.51.100.4", "2001:db8::7"]  # same server: its sites


def test_no_job_for_a_server_without_a_node(plan_site, plan_key):
    antispam_report(site=plan_site, item=_spam("203.0.113.9"), spam=True, now=AT)
    assert not Job.objects.filter(kind=KIND).exists()


def test_the_sweep_deletes_expired_blocks_and_sends_the_shorter_list(plan_site, node):
    antispam_report(site=plan_site, item=_spam("203.0.113.9"), spam=True, now=AT)
    Block.objects.create(kind=BlockKind.IP, value="192.0.2.1", site=plan_site,
                         expires_at=AT + timedelta(days=1))
    antispam_blocklist_publish(now=AT)
    assert antispam_sweep(now=AT + timedelta(hours=23)) == 0
    assert antispam_sweep(now=AT + timedelta(days=1)) == 1
    assert set(Block.objects.values_list("value", flat=True)) == {"203.0.113.9", "example.xyz"}
    assert _lists()[-1] == ["203.0.113.9"]
    assert AntispamEvent.objects.get(key="antispam.blocks_expired").data == {"blocks": 1}
    assert antispam_sweep(now=AT + timedelta(days=1)) == 0


def test_the_sweep_command_runs_one_pass(plan_site, node, capsys):
    Block.objects.create(kind=BlockKind.IP, value="192.0.2.1", site=plan_site,
                         expires_at=AT - timedelta(seconds=1))
    with time_machine.travel(AT, tick=False):
        call_command("antispam", "sweep")
    assert "1 rows swept" in capsys.readouterr().out
    assert not Block.objects.exists()


def test_the_node_applies_a_list_once_and_never_an_older_one(tmp_path, monkeypatch):
    monkeypatch.setenv("XUALA_NODE_NGINX_DIR", str(tmp_path))
    monkeypatch.delenv("XUALA_NODE_NGINX_RELOAD", raising=False)
    newer = {"addresses": ["203.0.113.9"], "issued_at": AT.isoformat(), "digest": "a"}
    older = {"addresses": [], "issued_at": (AT - timedelta(minutes=1)).isoformat()}
    assert node_jobs.apply_blocklist(newer, print)["addresses"] == 1
    assert node_jobs.apply_blocklist(newer, print)["addresses"] == 1  # twice: the same file
    assert "skipped" in node_jobs.apply_blocklist(older, print)
    assert "deny 203.0.113.9;" in (tmp_path / "xuala-antispam.conf").read_text()


def test_a_list_that_is_not_one_fails_the_job_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("XUALA_NODE_NGINX_DIR", str(tmp_path))
    with pytest.raises(node_jobs.JobFailed, match="not a block list"):
        node_jobs.apply_blocklist({"addresses": ["1.2.3.4"]}, print)


def _status(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _until(port: int, status: int) -> int:
    """nginx's old workers finish before the new ones answer: ask until the answer changes."""
    deadline = time.monotonic() + 15
    while (seen := _status(port)) != status and time.monotonic() < deadline:
        time.sleep(0.1)
    return seen


@pytest.fixture
def nginx(tmp_path):
    """Debian's nginx on a free loopback port, its http block including the node's list."""
    prefix, snippets = tmp_path / "nginx", tmp_path / "snippets"
    prefix.mkdir()
    (prefix / "index.html").write_text("ok")  # a page (`return` would answer before `deny`)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        # The workers read the page under pytest's private folder: as the master's user.
        f"user {getpass.getuser()};\n"
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\nhttp {{\n"
        f"  access_log off;\n  client_body_temp_path {prefix}/body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n  fastcgi_temp_path {prefix}/fastcgi;\n"
        f"  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n"
        f"  include {snippets}/xuala-antispam.conf*;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n    root {prefix};\n  }}\n}}\n")
    command = [NGINX, "-p", str(prefix), "-c", str(conf)]
    server = subprocess.Popen([*command, "-g", "daemon off;"])
    try:
        wait_for_port(port, proc=server)
        yield port, snippets, " ".join([*command, "-s", "reload"])
    finally:
        server.terminate()
        server.wait(15)


@pytest.mark.real_clock  # runs nginx and nft
def test_the_node_makes_nginx_refuse_a_spammer_and_lets_it_back_after_a_ham_report(
        plan_site, node, client, nginx, tmp_path, monkeypatch):
    port, snippets, reload_command = nginx
    nft_file = tmp_path / "xuala-antispam.nft"
    monkeypatch.setenv("XUALA_NODE_NGINX_DIR", str(snippets))
    monkeypatch.setenv("XUALA_NODE_NGINX_RELOAD", reload_command)
    monkeypatch.setenv("XUALA_NODE_NFT_FILE", str(nft_file))
    monkeypatch.setenv("XUALA_NODE_NFT_RELOAD", f"/usr/sbin/nft -c -f {nft_file}")  # check only
    desk = ClientDesk(client, node)
    assert _status(port) == 200
    antispam_report(site=plan_site, item=_spam("127.0.0.1"), spam=True)  # this test's address
    drain(desk)
    assert Job.objects.get(kind=KIND).state == JobState.DONE
    assert _until(port, 403) == 403
    assert "127.0.0.1" in nft_file.read_text()
    antispam_report(site=plan_site, item=_spam("127.0.0.1"), spam=False)
    drain(desk)
    assert _until(port, 200) == 200
    assert "127.0.0.1" not in nft_file.read_text()


@pytest.mark.real_clock  # runs nft
def test_a_failing_apply_command_fails_the_job_for_a_retry(plan_site, node, client, tmp_path,
                                                           monkeypatch):
    monkeypatch.setenv("XUALA_NODE_NGINX_DIR", str(tmp_path / "snippets"))
    monkeypatch.setenv("XUALA_NODE_NFT_FILE", str(tmp_path / "xuala-antispam.nft"))
    monkeypatch.setenv("XUALA_NODE_NFT_RELOAD", f"/usr/sbin/nft -c -f {tmp_path}/missing.nft")
    antispam_report(site=plan_site, item=_spam("203.0.113.9"), spam=True)
    from xuala.nodes.agent import run_agent

    run_agent(ClientDesk(client, node), once=True)
    job = Job.objects.get(kind=KIND)
    assert job.state == JobState.QUEUED and "failed" in job.error and job.attempts == 1
