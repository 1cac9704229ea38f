"""Putting new versions in place: archives checked, folders swapped, core files renamed in."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from tests.updates.agent.wordpress import make_zip, plugin_zip
from xuala.updates.agent import install


def _archive(tmp_path: Path, data: bytes, name: str = "a.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["../evil.php", "/etc/evil.php", "x/../../evil.php",
                                  "C:/evil.php"])
def test_an_archive_with_a_path_outside_its_folder_is_refused(tmp_path, name):
    archive = _archive(tmp_path, make_zip({"plugin/ok.php": "<?php", name: "<?php evil"}))
    with pytest.raises(install.InstallError, match="outside its folder"):
        install.unpack(archive, tmp_path / "out")
    assert not (tmp_path / "evil.php").exists()


def test_an_archive_with_a_link_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        info = zipfile.ZipInfo("plugin/link.php")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        package.writestr(info, "/etc/passwd")
    with pytest.raises(install.InstallError, match="a link"):
        install.unpack(_archive(tmp_path, buffer.getvalue()), tmp_path / "out")


def test_a_plugin_is_swapped_in_and_the_old_folder_unlinked_not_rewritten(tmp_path):
    root = tmp_path / "site"
    old = root / "wp-content/plugins/shop"
    old.mkdir(parents=True)
    (old / "shop.php").write_text("<?php /* Plugin Name: Shop\n Version: 1.0 */")
    (old / "gone.php").write_text("<?php")
    kept = tmp_path / "kept.php"
    os.link(old / "shop.php", kept)  # what a snapshot holds
    archive = _archive(tmp_path, plugin_zip("shop", "1.1", "// new"))

    version = install.put_component(root, "plugin", "shop", archive,
                                    install.staging(root, "1-c001"), "shop/shop.php")

    assert version == "1.1"
    assert "Version: 1.1" in (old / "shop.php").read_text()
    assert not (old / "gone.php").exists()
    assert kept.read_text() == "<?php /* Plugin Name: Shop\n Version: 1.0 */"
    assert os.stat(kept).st_nlink == 1
    assert [p.name for p in (root / "wp-content/upgrade").iterdir()] == ["xuala-1-c001"]


def test_a_plugin_version_without_its_main_file_is_refused(tmp_path):
    root = tmp_path / "site"
    (root / "wp-content/plugins/shop").mkdir(parents=True)
    (root / "wp-content/plugins/shop/shop.php").write_text("<?php")
    archive = _archive(tmp_path, plugin_zip("shop", "2.0").replace(b"shop/shop.php",
                                                                   b"shop/main.php"))
    with pytest.raises(install.InstallError, match="would deactivate it"):
        install.put_component(root, "plugin", "shop", archive,
                              install.staging(root, "1-c001"), "shop/shop.php")
    assert (root / "wp-content/plugins/shop/shop.php").read_text() == "<?php"


def test_core_files_are_renamed_in_and_the_release_obsolete_files_removed(tmp_path):
    root = tmp_path / "site"
    for rel, text in {"wp-includes/version.php": "<?php $wp_version = '6.1.9';",
                      "wp-includes/old.php": "<?php", "wp-includes/old-dir/x.js": "x",
                      "wp-admin/index.php": "<?php // 6.1.9", "wp-config.php": "<?php // mine",
                      "wp-content/themes/t/style.css": "/* mine */"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    before = (root / "wp-admin/index.php").stat().st_ino
    update_core = ("<?php\n$_old_files = array(\n'wp-includes/old.php',\n'wp-includes/old-dir',"
                   "\n'../../etc/passwd',\n);\n")
    archive = _archive(tmp_path, make_zip({
        "wordpress/wp-includes/version.php": "<?php $wp_version = '6.1.10';",
        "wordpress/wp-admin/index.php": "<?php // 6.1.10",
        "wordpress/wp-admin/includes/update-core.php": update_core,
        "wordpress/wp-content/themes/t/style.css": "/* theirs */"}))

    done = install.put_core(root, archive, install.staging(root, "1-c009"))

    assert done["version"] == "6.1.10"
    assert sorted(done["removed"]) == ["wp-includes/old-dir", "wp-includes/old.php"]
    assert (root / "wp-admin/index.php").read_text() == "<?php // 6.1.10"
    assert (root / "wp-admin/index.php").stat().st_ino != before
    assert (root / "wp-content/themes/t/style.css").read_text() == "/* mine */"
    assert (root / "wp-config.php").read_text() == "<?php // mine"
    assert "6.1.10" in (root / "wp-includes/version.php").read_text()
    assert not [p for p in root.rglob(".xuala-new-*")]


def test_maintenance_mode_is_wordpress_own_file(tmp_path):
    install.maintenance(tmp_path, True)
    assert (tmp_path / ".maintenance").read_text().startswith("<?php $upgrading = ")
    install.maintenance(tmp_path, False)
    install.maintenance(tmp_path, False)
    assert not (tmp_path / ".maintenance").exists()
