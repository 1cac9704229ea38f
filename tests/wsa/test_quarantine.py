"""Quarantine and restore: the file comes back byte for byte with owner, mode, times, xattrs."""

import json
import os

import pytest
from django.core.management.base import CommandError

from tests.wsa.conftest import wsa

BODY = b"<?php eval($_POST['x']); \x00\xff binary tail\n"


def _victim(tmp_path):
    path = tmp_path / "site" / "wp-content" / "cache.php"
    path.parent.mkdir(parents=True)
    path.write_bytes(BODY)
    os.chown(path, 1234, 2345)
    os.chmod(path, 0o640)
    os.setxattr(path, "user.origin", b"upload\x00form")
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_600_000_000_987_654_321))
    return path


def test_quarantine_moves_the_file_and_records_its_metadata(tmp_path, wsa_home):
    path = _victim(tmp_path)
    code, out = wsa("quarantine", str(path), "--reason", "php_exec_request_data")
    item = out.strip()
    assert code == 0
    assert not path.exists()
    record = json.loads((wsa_home / "quarantine" / item / "record.json").read_text())
    assert (record["uid"], record["gid"], record["mode"]) == (1234, 2345, 0o640)
    assert record["mtime_ns"] == 1_600_000_000_987_654_321
    assert record["reason"] == "php_exec_request_data"
    assert (wsa_home / "quarantine" / item / "content").read_bytes() == BODY


def test_restore_puts_it_back_byte_for_byte(tmp_path, wsa_home):
    path = _victim(tmp_path)
    before = os.stat(path)
    _, out = wsa("quarantine", str(path))
    code, message = wsa("restore", out.strip())
    after = os.stat(path)
    assert code == 0 and message.strip() == f"restored {path}"
    assert path.read_bytes() == BODY
    assert (after.st_uid, after.st_gid, after.st_mode) == (
        before.st_uid, before.st_gid, before.st_mode)
    assert (after.st_mtime_ns, after.st_atime_ns) == (before.st_mtime_ns, before.st_atime_ns)
    assert os.getxattr(path, "user.origin") == b"upload\x00form"
    assert list((wsa_home / "quarantine").iterdir()) == []


def test_restore_never_overwrites_a_file_in_place(tmp_path):
    path = _victim(tmp_path)
    _, out = wsa("quarantine", str(path))
    path.write_bytes(b"<?php // new clean file\n")
    with pytest.raises(CommandError) as raised:
        wsa("restore", out.strip())
    assert raised.value.returncode == 2
    assert path.read_bytes() == b"<?php // new clean file\n"


def test_quarantine_refuses_a_symlink(tmp_path):
    target = _victim(tmp_path)
    link = tmp_path / "link.php"
    link.symlink_to(target)
    with pytest.raises(CommandError):
        wsa("quarantine", str(link))
    assert link.is_symlink() and target.exists()
