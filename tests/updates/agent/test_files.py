"""Snapshots of a tree by hard links and copies, and the way back byte for byte."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.updates.agent.wordpress import tree_digest
from xuala.updates.agent import files

OLD = time.time() - 30 * 86400


def _write(path: Path, data: bytes, old: bool = True, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    when = OLD if old else time.time()  # the test's clock, which --clock-ahead moves
    os.utime(path, (when, when))


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    _write(root / "wp-config.php", b"<?php // config")
    _write(root / "wp-includes/version.php", b"<?php $wp_version = '6.1.9';")
    _write(root / "wp-content/plugins/shop/shop.php", b"<?php // shop 1.0", mode=0o640)
    _write(root / "wp-content/plugins/shop/assets/app.js", b"console.log(1)")
    _write(root / "wp-content/uploads/2026/01/cache.css", b"body{}", old=False)
    _write(root / "wp-content/uploads/photo.jpg", os.urandom(50_000))
    os.symlink("photo.jpg", root / "wp-content/uploads/latest.jpg")
    (root / "wp-content/upgrade/xuala-7-c001").mkdir(parents=True)
    (root / "wp-content/upgrade/xuala-7-c001/staging.php").write_text("<?php")
    return root


def test_cold_files_are_linked_and_what_the_site_rewrites_is_copied(site, tmp_path):
    area = tmp_path / "snapshots"
    manifest, figures = files.take(site, area, "base")
    how = {rel: entry[7] for rel, entry in manifest.items() if entry[0] == "f"}
    assert how["wp-includes/version.php"] == "link"
    assert how["wp-content/uploads/photo.jpg"] == "link"
    assert how["wp-config.php"] == "copy"  # at the root
    assert how["wp-content/uploads/2026/01/cache.css"] == "copy"  # written recently
    assert not any(rel.startswith("wp-content/upgrade/xuala-") for rel in manifest)
    assert manifest["wp-content/uploads/latest.jpg"] == ["l", "photo.jpg"]
    assert figures["files"] == 6 and figures["linked"] == 4 and figures["copied"] == 2
    blob = area / "base/files/wp-content/uploads/photo.jpg"
    assert blob.stat().st_ino == (site / "wp-content/uploads/photo.jpg").stat().st_ino
    assert files.verify(area, manifest) == []
    assert files.stored_bytes(area) > 0


def test_a_restore_puts_everything_back_byte_for_byte(site, tmp_path):
    area = tmp_path / "snapshots"
    before = tree_digest(site, skip=("wp-content/upgrade",))
    manifest, _ = files.take(site, area, "base")
    plugin = site / "wp-content/plugins/shop"
    # What an update and a broken site do: a folder swapped, files added, removed and
    # renamed over, a mode changed, a link moved, a file where a folder was.
    os.rename(plugin, tmp_path / "old-shop")
    _write(plugin / "shop.php", b"<?php // shop 2.0 fatal(")
    _write(plugin / "new/extra.php", b"<?php")
    (site / "wp-content/uploads/photo.jpg").unlink()
    os.chmod(site / "wp-includes/version.php", 0o600)
    (site / "wp-content/uploads/latest.jpg").unlink()
    os.symlink("elsewhere.jpg", site / "wp-content/uploads/latest.jpg")
    (site / "wp-content/uploads/2026/01/cache.css").unlink()
    (site / "wp-content/uploads/2026/01/cache.css").mkdir()
    _write(site / ".maintenance", b"<?php $upgrading = 1;")

    report = files.restore(site, area, manifest)

    assert tree_digest(site, skip=("wp-content/upgrade",)) == before
    assert report["unrestorable"] == [] and report["restored"] >= 5 and report["removed"] >= 3
    assert (site / "wp-content/upgrade/xuala-7-c001/staging.php").exists()
    again = files.restore(site, area, manifest)
    assert (again["restored"], again["removed"]) == (0, 0)


def test_a_file_rewritten_in_place_is_reported_not_restored(site, tmp_path):
    area = tmp_path / "snapshots"
    manifest, _ = files.take(site, area, "base")
    shared = site / "wp-content/plugins/shop/assets/app.js"
    with open(shared, "r+b") as handle:  # in place: the snapshot's hard link sees it too
        handle.write(b"alert(2)")
    (site / "wp-content/plugins/shop/shop.php").unlink()

    report = files.restore(site, area, manifest)

    assert report["unrestorable"] == ["wp-content/plugins/shop/assets/app.js"]
    assert files.verify(area, manifest) == ["wp-content/plugins/shop/assets/app.js"]
    assert (site / "wp-content/plugins/shop/shop.php").read_bytes() == b"<?php // shop 1.0"


def test_a_copied_file_survives_an_in_place_write(site, tmp_path):
    area = tmp_path / "snapshots"
    manifest, _ = files.take(site, area, "base")
    with open(site / "wp-config.php", "r+b") as handle:
        handle.write(b"<?php // WP_CACHE")

    report = files.restore(site, area, manifest)

    assert report["unrestorable"] == []
    assert (site / "wp-config.php").read_bytes() == b"<?php // config"


def test_an_incremental_snapshot_keeps_only_what_changed(site, tmp_path):
    area = tmp_path / "snapshots"
    base, _ = files.take(site, area, "base")
    _write(site / "wp-content/plugins/shop/shop.php.new", b"<?php // 1.1")
    os.replace(site / "wp-content/plugins/shop/shop.php.new",
               site / "wp-content/plugins/shop/shop.php")

    second, figures = files.take(site, area, "c001", previous=base)

    assert figures["linked"] + figures["copied"] == 1
    assert second["wp-content/uploads/photo.jpg"] == base["wp-content/uploads/photo.jpg"]
    assert second["wp-content/plugins/shop/shop.php"][6] == "c001"
    (site / "wp-content/plugins/shop/shop.php").unlink()
    _write(site / "wp-content/plugins/shop/shop.php", b"broken")
    files.restore(site, area, second)
    assert (site / "wp-content/plugins/shop/shop.php").read_bytes() == b"<?php // 1.1"
    files.restore(site, area, base)
    assert (site / "wp-content/plugins/shop/shop.php").read_bytes() == b"<?php // shop 1.0"


def test_a_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(files.SnapshotError, match="no readable manifest"):
        files.load(tmp_path, "base")
