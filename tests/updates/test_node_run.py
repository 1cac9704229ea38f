"""A whole run as the node agent runs it (``updates.run`` by its dotted path in the node's
table of kinds), against a real WordPress: a plugin, the active theme and core updated in
that order; core's database upgrade runs and its obsolete files go."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from tests.updates.agent.plugins import DEMO
from tests.updates.agent.sites import component, params
from tests.updates.agent.wordpress import plugin_zip, publish
from xuala.nodes.kinds import JobFailed, runner_for

pytestmark = pytest.mark.real_clock


def _zip_tree(folder: Path, prefix: str, change: dict[str, bytes], skip=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for current, dirs, names in os.walk(folder):
            rel_dir = os.path.relpath(current, folder)
            dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel_dir, d)) not in skip]
            for name in names:
                rel = os.path.normpath(os.path.join(rel_dir, name))
                if rel in skip:
                    continue
                data = change.get(rel)
                package.writestr(f"{prefix}/{rel}", data if data is not None
                                 else Path(current, name).read_bytes())
        for rel, data in change.items():
            if not (folder / rel).exists():
                package.writestr(f"{prefix}/{rel}", data)
    return buffer.getvalue()


def _core_zip(root: Path) -> bytes:
    """WordPress 6.1.10 made from the site's 6.1.9: a new database version, a new file and
    one more obsolete file in update-core.php's list."""
    version = (root / "wp-includes/version.php").read_text()
    version = version.replace("$wp_version = '6.1.9';", "$wp_version = '6.1.10';")
    version = re.sub(r"\$wp_db_version = (\d+);",
                     lambda m: f"$wp_db_version = {int(m.group(1)) + 1};", version)
    update_core = (root / "wp-admin/includes/update-core.php").read_text().replace(
        "$_old_files = array(", "$_old_files = array(\n\t'wp-includes/xuala-obsolete.php',", 1)
    return _zip_tree(root, "wordpress", {
        "wp-includes/version.php": version.encode(),
        "wp-admin/includes/update-core.php": update_core.encode(),
        "wp-includes/xuala-new-in-6-1-10.php": b"<?php\n// new in 6.1.10\n",
    }, skip=("wp-content", "wp-config.php"))


def test_plugins_then_themes_then_core_with_the_core_database_upgrade(wordpress, tmp_path):
    site = wordpress
    site.install_plugin(plugin_zip("xuala-demo", "1.0", DEMO % {"version": "1.0"}),
                        activate="xuala-demo/xuala-demo.php")
    (site.root / "wp-includes/xuala-obsolete.php").write_text("<?php\n// gone in 6.1.10\n")
    site.warm()
    db_before = int(site.sql("SELECT option_value FROM wp_options WHERE "
                             "option_name='db_version'"))
    source = tmp_path / "source"
    publish(source, "plugin", "xuala-demo", "1.1",
            plugin_zip("xuala-demo", "1.1", DEMO % {"version": "1.1"}))
    theme = site.root / "wp-content/themes/twentytwentythree"
    style = (theme / "style.css").read_text().replace("Version: 1.0", "Version: 1.0.1", 1)
    publish(source, "theme", "twentytwentythree", "1.0.1",
            _zip_tree(theme, "twentytwentythree", {"style.css": style.encode()}))
    publish(source, "core", "wordpress", "6.1.10", _core_zip(site.root))

    steps = []
    result = runner_for("updates.run")(params(site, source, run=5), steps.append)

    updated = [(c["type"], c["slug"], c["from"], c["to"]) for c in result["components"]
               if c["status"] == "updated"]
    assert updated == [("plugin", "xuala-demo", "1.0", "1.1"),
                       ("theme", "twentytwentythree", "1.0", "1.0.1"),
                       ("core", "wordpress", "6.1.9", "6.1.10")]
    assert [s["step"] for s in steps if "->" in s["step"]] == [
        "plugin xuala-demo 1.0 -> 1.1", "theme twentytwentythree 1.0 -> 1.0.1",
        "core wordpress 6.1.9 -> 6.1.10"]
    assert result["ok"] is True and result["core"] == {"from": "6.1.9", "to": "6.1.10"}
    assert component(result, "twentytwentythree")["active"] is True
    assert all(c["diff"] is not None and c["diff"] <= 0.02
               for c in component(result, "wordpress")["checks"])
    assert int(site.sql("SELECT option_value FROM wp_options WHERE option_name='db_version'")
               ) == db_before + 1
    assert "6.1.10" in (site.root / "wp-includes/version.php").read_text()
    assert (site.root / "wp-includes/xuala-new-in-6-1-10.php").is_file()
    assert not (site.root / "wp-includes/xuala-obsolete.php").exists()
    assert not (site.root / ".maintenance").exists()
    assert "Version: 1.0.1" in (theme / "style.css").read_text()
    assert site.get("/")[0] == 200


def test_a_tree_without_wordpress_fails_the_job_with_the_reason(updates_home, tmp_path):
    (tmp_path / "empty").mkdir()
    job = {"run": 9, "url": "http://127.0.0.1:9/", "root": str(tmp_path / "empty")}
    with pytest.raises(JobFailed, match="no WordPress"):
        runner_for("updates.run")(job, lambda _p: None)


def test_the_node_checks_the_shop_page_when_woocommerce_has_one(wordpress, tmp_path):
    site = wordpress
    mu = site.root / "wp-content/mu-plugins"
    mu.mkdir()
    (mu / "shop-stub.php").write_text(  # what WooCommerce answers about its shop page
        "<?php\nfunction wc_get_page_permalink($page) { return home_url('/?page_id=2'); }\n")
    site.sql("INSERT INTO wp_options (option_name, option_value) "
             "VALUES ('woocommerce_shop_page_id', '2')")
    (tmp_path / "source").mkdir()

    result = runner_for("updates.run")(params(site, tmp_path / "source", run=6),
                                       lambda _p: None)

    assert [p["page"] for p in result["after"]] == ["/", "/wp-login.php", "/?page_id=2"]
    assert all(p["ok"] and p["png"] for p in result["before"] + result["after"])
    assert {c["status"] for c in result["components"]} == {"unchanged"}
