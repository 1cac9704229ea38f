"""Hostile trees: skipped with a reason, never a crash, never followed outside the root."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.wsa.conftest import scan_json

ROOT = Path(__file__).resolve().parents[2]

BACKDOOR = "<?php eval($_POST['x']);\n"


def _reasons(report):
    return {s["path"]: s["reason"] for s in report["skipped"]}


def test_symlink_loop_is_skipped(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    os.symlink("b", site / "a")
    os.symlink("a", site / "b")
    os.symlink(".", site / "self")
    _, report = scan_json(site)
    assert _reasons(report)["a"] == "symlink loop, not followed"
    assert report["files"] == 0


def test_symlink_out_of_the_root_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shell.php").write_text(BACKDOOR)
    site = tmp_path / "site"
    site.mkdir()
    os.symlink(outside, site / "linked-dir")
    os.symlink(outside / "shell.php", site / "linked.php")
    code, report = scan_json(site)
    reasons = _reasons(report)
    assert reasons["linked-dir"] == reasons["linked.php"] == "symlink out of the root, not followed"
    assert report["findings"] == [] and code == 0


def test_symlink_inside_the_root_is_scanned_once_at_its_target(tmp_path):
    site = tmp_path / "site"
    (site / "real").mkdir(parents=True)
    (site / "real" / "shell.php").write_text(BACKDOOR)
    os.symlink("real", site / "alias")
    _, report = scan_json(site)
    assert [f["path"] for f in report["findings"]] == ["real/shell.php"]


def test_huge_and_sparse_files_are_not_read(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    with open(site / "huge.bin", "wb") as handle:
        handle.truncate(33 * 1024 * 1024)
    with open(site / "sparse.bin", "wb") as handle:
        handle.truncate(1024 * 1024)
    _, report = scan_json(site)
    reasons = _reasons(report)
    assert reasons["huge.bin"].startswith("too large")
    assert reasons["sparse.bin"] == "sparse file, not read"
    assert report["bytes"] == 0


def test_device_files_and_fifos_are_skipped(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    os.mkfifo(site / "pipe")
    os.mknod(site / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    _, report = scan_json(site)
    assert _reasons(report) == {"pipe": "FIFO", "null": "device file"}


def test_name_that_is_not_utf8_is_scanned_and_reported_escaped(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    with open(os.path.join(os.fsencode(site), b"caf\xe9.php"), "w") as handle:
        handle.write(BACKDOOR)
    code, report = scan_json(site)
    rules = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("caf\\xe9.php", "php_exec_request_data") in rules
    assert ("caf\\xe9.php", "name-not-utf8") in rules
    assert code == 1


def test_deep_nesting_stops_at_the_limit(tmp_path):
    site = tmp_path / "site"
    deep = site
    for _ in range(70):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "x.php").write_text(BACKDOOR)
    _, report = scan_json(site)
    [skip] = report["skipped"]
    assert skip["reason"] == "nested deeper than 64 levels"
    assert skip["path"].count("/") == 64


@pytest.mark.real_clock
def test_unreadable_files_and_directories_are_skipped(tmp_path):
    """Run as root without the capabilities that bypass file permissions (setpriv)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "open.php").write_text("<?php echo 1;\n")
    (site / "secret.php").write_text(BACKDOOR)
    (site / "closed").mkdir()
    (site / "closed" / "x.php").write_text(BACKDOOR)
    os.chmod(site / "secret.php", 0)
    os.chmod(site / "closed", 0)
    env = {**os.environ, "XUALA_WSA_HOME": str(tmp_path / "home"), "XUALA_WSA_OFFLINE": "1",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
         "xuala", "wsa", "scan", str(site), "--json", "--no-index"],
        capture_output=True, text=True, env=env, check=False)
    report = json.loads(result.stdout)
    assert _reasons(report) == {"secret.php": "unreadable: Permission denied",
                                "closed": "unreadable directory: Permission denied"}
    assert report["files"] == 1
    assert result.returncode == 0


def test_a_file_the_rules_cannot_finish_is_skipped_not_a_crash(tmp_path, monkeypatch):
    from xuala.wsa import signatures

    site = tmp_path / "site"
    site.mkdir()
    (site / "slow.php").write_text("<?php echo 1;\n")
    (site / "shell.php").write_text(BACKDOOR)
    real_scan = signatures.Signatures.scan

    def scan(self, data):
        if data.startswith(b"<?php echo 1;"):
            raise signatures.ScanFailed("signature scan timed out after 20 s")
        return real_scan(self, data)

    monkeypatch.setattr(signatures.Signatures, "scan", scan)
    code, report = scan_json(site)
    assert _reasons(report) == {"slow.php": "signature scan timed out after 20 s"}
    assert [f["path"] for f in report["findings"]] == ["shell.php"]
    assert code == 1
