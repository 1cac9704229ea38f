"""Update runs against a real WordPress (Debian's package, php -S, MariaDB, headless
Chromium): a clean update, a fatal one rolled back byte for byte with its database, one that
only breaks the layout caught by the pictures, and held-back versions."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.updates.agent.plugins import DEMO, SHOP_11, SHOP_12, SHOP_13, SHOP_BASE
from tests.updates.agent.sites import component, run_updates
from tests.updates.agent.wordpress import plugin_zip, publish, tree_digest

pytestmark = pytest.mark.real_clock

SHOP = "xuala-shop/xuala-shop.php"


@pytest.fixture
def shop(wordpress, tmp_path):
    """The site with xuala-shop 1.0 active, and an empty update source."""
    wordpress.install_plugin(plugin_zip("xuala-shop", "1.0", SHOP_BASE), activate=SHOP)
    wordpress.warm()
    source = tmp_path / "source"
    source.mkdir()
    return wordpress, source


def _columns(site, table: str) -> list[str]:
    return [line.split("\t")[0] for line in site.sql(f"SHOW COLUMNS FROM {table}").splitlines()]


def test_a_plugin_is_updated_cleanly_and_its_upgrade_routine_runs(shop):
    site, source = shop
    archive = plugin_zip("xuala-shop", "1.1", SHOP_11)
    publish(source, "plugin", "xuala-shop", "1.1", archive)

    result = run_updates(site, source)

    item = component(result, "xuala-shop")
    assert (item["from"], item["to"], item["status"]) == ("1.0", "1.1", "updated")
    assert item["active"] is True and item["reason"] == ""
    assert [c["page"] for c in item["checks"]] == ["/", "/wp-login.php"]
    assert all(c["ok"] and c["status"] == 200 for c in item["checks"])
    assert result["ok"] is True
    assert "currency" in _columns(site, "wp_xuala_orders")
    assert site.sql("SELECT option_value FROM wp_options WHERE option_name='xuala_shop_db'"
                    ).strip() == "1.1"
    installed = (site.root / "wp-content/plugins/xuala-shop/xuala-shop.php").read_text()
    assert "Version: 1.1" in installed
    assert component(result, "akismet")["status"] == "unchanged"
    assert result["snapshot"]["files"] > 2000 and result["snapshot"]["tables"] >= 13
    assert all(p["png"] for p in result["before"] + result["after"])
    assert site.get("/")[0] == 200


def test_a_fatal_update_is_rolled_back_byte_for_byte_with_its_database(shop):
    site, source = shop
    publish(source, "plugin", "xuala-shop", "1.2", plugin_zip("xuala-shop", "1.2", SHOP_12))
    files_before = tree_digest(site.root)
    database_before = site.dump()
    assert _columns(site, "wp_xuala_orders") == ["id", "total"]

    result = run_updates(site, source)

    item = component(result, "xuala-shop")
    assert (item["from"], item["to"], item["status"]) == ("1.0", "1.2", "rolled_back")
    assert item["reason"].startswith(("WordPress critical error on /", "HTTP 500 on /"))
    assert "xuala_shop_render_totals" in item["reason"]
    home = next(c for c in item["checks"] if c["page"] == "/")
    assert home["ok"] is False and home["status"] == 500
    assert result["ok"] is False
    # Byte for byte: every file, mode and link, and every table and row.
    assert tree_digest(site.root) == files_before
    assert site.dump() == database_before
    assert _columns(site, "wp_xuala_orders") == ["id", "total"]
    assert "wp_xuala_shop_log" not in site.sql("SHOW TABLES")
    assert site.get("/")[0] == 200
    assert all(p["ok"] for p in result["after"])


def test_a_failure_rolls_back_only_its_own_component(shop):
    site, source = shop
    site.install_plugin(plugin_zip("xuala-demo", "1.0", DEMO % {"version": "1.0"}),
                        activate="xuala-demo/xuala-demo.php")
    site.warm()
    publish(source, "plugin", "xuala-demo", "1.1",
            plugin_zip("xuala-demo", "1.1", DEMO % {"version": "1.1"}))
    publish(source, "plugin", "xuala-shop", "1.2", plugin_zip("xuala-shop", "1.2", SHOP_12))

    result = run_updates(site, source)

    assert component(result, "xuala-demo")["status"] == "updated"
    assert component(result, "xuala-shop")["status"] == "rolled_back"
    # The demo plugin came first; the shop's rollback kept its files and its option.
    slugs = [c["slug"] for c in result["components"]]
    assert slugs.index("xuala-demo") < slugs.index("xuala-shop")
    assert "1.1" in (site.root / "wp-content/plugins/xuala-demo/xuala-demo.php").read_text()
    assert site.sql("SELECT option_value FROM wp_options WHERE option_name = "
                    "'xuala_demo_version'").strip() == "1.1"
    assert "1.0" in (site.root / "wp-content/plugins/xuala-shop/xuala-shop.php").read_text()


def test_a_run_set_to_stop_does_not_try_the_components_after_a_failure(shop):
    site, source = shop
    site.install_plugin(plugin_zip("xuala-zeta", "1.0", name="Zeta"),
                        activate="xuala-zeta/xuala-zeta.php")
    site.warm()
    publish(source, "plugin", "xuala-shop", "1.2", plugin_zip("xuala-shop", "1.2", SHOP_12))
    publish(source, "plugin", "xuala-zeta", "1.1", plugin_zip("xuala-zeta", "1.1", name="Zeta"))

    result = run_updates(site, source, on_failure="stop")

    assert component(result, "xuala-shop")["status"] == "rolled_back"
    zeta = component(result, "xuala-zeta")
    assert (zeta["status"], zeta["from"], zeta["to"]) == ("unchanged", "1.0", "1.0")
    assert zeta["reason"] == "not tried: the run stopped after plugin xuala-shop failed"
    assert "Version: 1.0" in (site.root / "wp-content/plugins/xuala-zeta/xuala-zeta.php"
                              ).read_text()
    assert not (site.root / "wp-content/upgrade").exists()


def test_an_update_that_only_breaks_the_layout_is_caught_by_the_pictures(shop, updates_home):
    site, source = shop
    publish(source, "plugin", "xuala-shop", "1.3", plugin_zip("xuala-shop", "1.3", SHOP_13))

    result = run_updates(site, source, run=7)

    item = component(result, "xuala-shop")
    assert item["status"] == "rolled_back"
    assert item["reason"].startswith("visual change ") and item["reason"].endswith(" on /")
    home = next(c for c in item["checks"] if c["page"] == "/")
    assert home["status"] == 200 and home["diff"] > 0.02 and home["ok"] is False
    picture = Image.open(io.BytesIO(base64.b64decode(home["diff_png"])))
    assert picture.format == "PNG" and picture.width <= 800
    login = next(c for c in item["checks"] if c["page"] == "/wp-login.php")
    assert login["ok"] is True and login["diff"] < 0.02 and login["diff_png"] is None
    kept = list(Path(updates_home).glob("sites/*/runs/7/pages/c*-0-diff.png"))
    assert len(kept) == 1
    assert "padding-top: 900px" not in site.get("/")[1]


def test_a_held_back_version_is_not_tried_until_a_newer_one_exists(shop):
    site, source = shop
    publish(source, "plugin", "xuala-shop", "1.2", plugin_zip("xuala-shop", "1.2", SHOP_12))
    files_before = tree_digest(site.root)
    held = [{"type": "plugin", "slug": "xuala-shop", "version": "1.2"}]

    result = run_updates(site, source, run=1, held=held)

    item = component(result, "xuala-shop")
    assert (item["status"], item["to"]) == ("held_back", "1.2")
    assert item["reason"].startswith("held: 1.2")
    assert item["checks"] == [] and result["ok"] is True
    assert not [s for s in result["_steps"] if "xuala-shop" in s["step"]]
    assert tree_digest(site.root) == files_before

    publish(source, "plugin", "xuala-shop", "1.3", plugin_zip("xuala-shop", "1.3", SHOP_11))
    result = run_updates(site, source, run=2, held=held)
    item = component(result, "xuala-shop")
    assert (item["from"], item["to"], item["status"]) == ("1.0", "1.3", "updated")
    # The second week's snapshot reused the first one's dumps of the tables left unchanged.
    assert result["snapshot"]["dumped_tables"] < result["snapshot"]["tables"]


def test_a_finished_run_run_again_returns_its_result_and_changes_nothing(shop):
    site, source = shop
    publish(source, "plugin", "xuala-shop", "1.1", plugin_zip("xuala-shop", "1.1", SHOP_11))
    first = run_updates(site, source, run=3)
    files_after = tree_digest(site.root)
    publish(source, "plugin", "xuala-shop", "1.3", plugin_zip("xuala-shop", "1.3", SHOP_13))

    again = run_updates(site, source, run=3)

    assert again["components"] == first["components"] and again["_steps"] == []
    assert tree_digest(site.root) == files_after
