"""The site's database (a real MariaDB on 127.0.0.1:3306), read from wp-config.php."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.wsa.conftest import scan_json, write_wordpress
from tests.wsa.wordpress_db import ADMIN, wordpress_database

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def database():
    with wordpress_database(f"wsa_test_{os.getpid()}") as made:
        yield made


def _fill(server, *, posts=(), options=(), users=()):
    with server.cursor() as cursor:
        cursor.executemany("INSERT INTO wp_posts VALUES (%s, %s)", posts)
        cursor.executemany("INSERT INTO wp_options VALUES (%s, %s)", options)
        for user_id, login, registered in users:
            cursor.execute("INSERT INTO wp_users VALUES (%s, %s, %s)", (user_id, login, registered))
            cursor.execute("INSERT INTO wp_usermeta (user_id, meta_key, meta_value) "
                           "VALUES (%s, 'wp_capabilities', %s)", (user_id, ADMIN))
    server.commit()


def _site(tmp_path, name, host="127.0.0.1:3306"):
    config = (f"<?php\ndefine( 'DB_NAME', '{name}' );\ndefine( 'DB_USER', 'root' );\n"
              f"define( 'DB_PASSWORD', '' );\ndefine( 'DB_HOST', '{host}' );\n"
              "$table_prefix = 'wp_';\n")
    return write_wordpress(tmp_path / "site", files={
        "wp-config.php": config,
        "wp-content/plugins/akismet/akismet.php": "<?php\n/* Plugin Name: Akismet */\n"})


def _db(report):
    return {(f["path"], f["rule"]) for f in report["findings"] if f["kind"] == "database"}


@pytest.mark.parametrize("host", ["127.0.0.1:3306", "localhost"])
def test_clean_database_raises_nothing(tmp_path, database, host):
    server, name = database
    _fill(server, posts=[(1, "<p>Hello <a href='/x'>world</a></p>")],
          options=[("siteurl", "https://shop.example"), ("home", "https://www.shop.example"),
                   ("active_plugins", 'a:1:{i:0;s:19:"akismet/akismet.php";}')],
          users=[(1, "ana", NOW.replace(tzinfo=None) - timedelta(days=400))])
    with time_machine.travel(NOW, tick=False):
        code, report = scan_json(_site(tmp_path, name, host), "--db-from-wp-config",
                                 "--admins", "ana")
    assert _db(report) == set()
    assert not [s for s in report["skipped"] if s["path"] == "wp-config.php"]
    assert code == 0


def test_injected_content_options_and_admins_are_reported(tmp_path, database):
    server, name = database
    loader = "<script>eval(atob('ZG9jdW1lbnQubG9jYXRpb249Jy8vZXZpbCc='))</script>"
    _fill(server,
          posts=[(7, f"<p>Sale</p>{loader}"),
                 (8, "<p>Clip</p><iframe src='http://203.0.113.7/x' width='1' height='1'>"),
                 (9, "<p>Map</p><script src='https://maps.example/embed.js'></script>"),
                 (10, "<p>News</p><div style='position:absolute; left:-5000px'>"
                      "<a href='https://pills.example/'>cheap pills</a></div>")],
          options=[("siteurl", "https://shop.example"), ("home", "https://spam.example"),
                   ("theme_mods_quiet", f'a:1:{{s:6:"footer";s:{len(loader)}:"{loader}";}}'),
                   ("hfcm_snippet", "<script async src='https://stats.example/a.js'></script>"),
                   ("widget_text", f'a:1:{{i:2;a:1:{{s:4:"text";s:{len(loader)}:"{loader}";}}}}'),
                   ("active_plugins",
                    'a:2:{i:0;s:19:"akismet/akismet.php";i:1;s:17:"wp-cache/cache.php";}')],
          users=[(1, "ana", NOW.replace(tzinfo=None) - timedelta(days=400)),
                 (2, "wpsupport", NOW.replace(tzinfo=None) - timedelta(days=2))])
    with time_machine.travel(NOW, tick=False):
        code, report = scan_json(_site(tmp_path, name), "--db-from-wp-config", "--admins", "ana")
    assert _db(report) == {
        ("db:wp_posts/7", "js_eval_decoded"),
        ("db:wp_posts/8", "html_hidden_iframe"),
        ("db:wp_posts/9", "injected-script"),
        ("db:wp_posts/10", "seo_hidden_links"),
        ("db:wp_options/theme_mods_quiet", "js_eval_decoded"),
        ("db:wp_options/widget_text", "js_eval_decoded"),
        ("db:wp_options/home", "siteurl-home-mismatch"),
        ("db:wp_options/active_plugins", "active-plugin-missing"),
        ("db:wp_users/wpsupport", "admin-recent"),
        ("db:wp_users/wpsupport", "admin-unknown"),
    }
    severities = {f["path"]: f["severity"] for f in report["findings"]}
    assert severities["db:wp_posts/9"] == "medium"
    assert report["admins"] == ["ana", "wpsupport"]  # what the desk keeps as known
    assert code == 1


def test_unreachable_database_is_skipped_with_the_reason(tmp_path):
    site = write_wordpress(tmp_path / "site", files={"wp-config.php": (
        "<?php\ndefine('DB_NAME', 'wsa_test_none');\ndefine('DB_USER', 'nobody_wsa');\n"
        "define('DB_PASSWORD', 'x');\ndefine('DB_HOST', '127.0.0.1:1');\n")})
    _, report = scan_json(site, "--db-from-wp-config")
    [skip] = [s for s in report["skipped"] if s["path"] == "wp-config.php"]
    assert skip["reason"].startswith("database not inspected: cannot connect")
    assert "admins" not in report  # not read: nothing to say who the administrators are
