"""`xuala antispam blocklist export`: the blocked addresses as nginx, Apache and nftables
includes, the first and last parsed by the real tools (Debian's nginx, nft -c)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from xuala.antispam.filter import Item
from xuala.antispam.models import Block, BlockKind
from xuala.antispam.services import antispam_report

SPAM = Item(content="Cheap pills at http://pills.example.xyz/buy now", user_ip="203.0.113.9")


def _export(fmt: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("antispam", "blocklist", "export", "--format", fmt, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def blocked(plan_site, hosting_customer):
    antispam_report(site=plan_site, item=SPAM, spam=True)
    now = timezone.now()
    Block.objects.create(kind=BlockKind.IP, value="2001:db8::7", site=None,
                         expires_at=now + timedelta(days=1))
    Block.objects.create(kind=BlockKind.IP, value="198.51.100.4", site=hosting_customer.sites.get(),
                         expires_at=now + timedelta(days=1))
    Block.objects.create(kind=BlockKind.IP, value="192.0.2.1", site=plan_site,
                         expires_at=now - timedelta(seconds=1))  # expired


@pytest.mark.real_clock  # runs nginx or nft
def test_nginx_export_denies_each_live_address_and_nginx_accepts_it(blocked, tmp_path):
    text = _export("nginx")
    assert "deny 203.0.113.9;" in text and "deny 2001:db8::7;" in text
    assert "deny 198.51.100.4;" in text and "192.0.2.1" not in text
    (tmp_path / "antispam.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\nhttp {\n  access_log off;\n"
        f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  fastcgi_temp_path {tmp_path}/fastcgi;\n  uwsgi_temp_path {tmp_path}/uwsgi;\n"
        f"  scgi_temp_path {tmp_path}/scgi;\n"
        "  server {\n    listen 127.0.0.1:8089;\n"
        f"    include {tmp_path}/antispam.conf;\n  }}\n}}\n")
    result = subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-t", "-p", str(tmp_path),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.real_clock  # runs nginx or nft
def test_a_broken_include_is_refused_by_nginx(tmp_path):
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http { server { deny 203.0.113.9 } }\n")
    result = subprocess.run(["/usr/sbin/nginx", "-t", "-p", str(tmp_path),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode != 0


@pytest.mark.real_clock  # runs nginx or nft
def test_nft_export_is_a_whole_table_that_nft_accepts(blocked, tmp_path):
    text = _export("nft")
    assert "elements = { 198.51.100.4, 203.0.113.9 }" in text
    assert "elements = { 2001:db8::7 }" in text
    assert "delete table inet xuala_antispam" in text
    (tmp_path / "antispam.nft").write_text(text)
    result = subprocess.run(["/usr/sbin/nft", "-c", "-f", str(tmp_path / "antispam.nft")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.real_clock  # runs nginx or nft
def test_nft_export_without_blocks_is_still_valid(db, tmp_path):
    (tmp_path / "antispam.nft").write_text(_export("nft"))
    result = subprocess.run(["/usr/sbin/nft", "-c", "-f", str(tmp_path / "antispam.nft")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_apache_export_is_one_require_all_block(blocked):
    text = _export("apache")
    lines = [line.strip() for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "<RequireAll>" and lines[-1] == "</RequireAll>"
    assert "Require not ip 203.0.113.9" in lines and "Require not ip 2001:db8::7" in lines


def test_a_site_export_holds_its_blocks_and_the_global_ones(blocked):
    text = _export("nginx", "--site", "https://www.cliente-demo.es/")
    assert "deny 203.0.113.9;" in text and "deny 2001:db8::7;" in text
    assert "198.51.100.4" not in text


def test_out_writes_the_file(blocked, tmp_path):
    target = tmp_path / "deny.conf"
    assert _export("nginx", "--out", str(target)) == ""
    assert "deny 203.0.113.9;" in target.read_text()
