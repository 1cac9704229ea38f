"""The must-use plugin in a real WordPress (Debian's package, php-cli's built-in server,
MariaDB on 127.0.0.1:3306) talking to the desk's Akismet endpoints (Django's live server).

WordPress is installed once per test session (wp-admin/install.php over HTTP) in a
database of its own, dropped at the end. Each test writes the desk's address and a fresh
key into the site's configuration.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from xuala.antispam.filter import Item
from xuala.antispam.models import Check, SiteLearning
from xuala.antispam.rules import SiteContext
from xuala.antispam.services import antispam_key_create
from xuala.antispam.verdict import verdict

pytestmark = [pytest.mark.real_clock, pytest.mark.django_db(transaction=True)]

PLUGIN = Path(__file__).resolve().parents[2] / "xuala/antispam/wordpress/xuala-antispam.php"
DATABASE = "xuala_antispam2_wp"
SPAM = ("Buy cheap viagra online without prescription http://cheap-pills.xyz/buy "
        "http://casino-bonus.top/win http://fast-loans.icu/now")
GOOD = "Muchas gracias por la receta, la hice el domingo y salió muy rica. ¿Se puede congelar?"
WP_CONFIG = """<?php
define('DB_NAME', '{db}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:3306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('DISABLE_WP_CRON', true);
$table_prefix = 'wp_';
require __DIR__ . '/xuala-config.php';
if (!defined('ABSPATH')) {{ define('ABSPATH', __DIR__ . '/'); }}
require_once ABSPATH . 'wp-settings.php';
"""
# Comments from one address in quick succession are refused by WordPress's flood check;
# php -S answers one request at a time, so WordPress's requests to itself (the install's
# permalink probe) are answered "unreachable" at once instead of waiting for a timeout.
TEST_PLUGIN = """<?php
add_filter('wp_is_comment_flood', '__return_false', 99);
add_filter('pre_http_request', function ($pre, $args, $url) {
    return strpos($url, home_url()) === 0 ? new WP_Error('loopback', 'php -S is single') : $pre;
}, 10, 3);
"""


def _mysql(sql: str, database: str = "") -> str:
    return subprocess.run(["mysql", "-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N",
                           *(["-D", database] if database else []), "-e", sql],
                          check=True, capture_output=True, text=True).stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, fields: dict) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode())
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory):
    root = tmp_path_factory.mktemp("wordpress") / "site"
    shutil.copytree("/usr/share/wordpress", root, symlinks=False, ignore_dangling_symlinks=True,
                    ignore=shutil.ignore_patterns(".htaccess"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    (root / "wp-config.php").write_text(WP_CONFIG.format(db=DATABASE, url=url))
    (root / "xuala-config.php").write_text("<?php\n")
    mu = root / "wp-content" / "mu-plugins"
    mu.mkdir(parents=True, exist_ok=True)
    shutil.copy(PLUGIN, mu / "xuala-antispam.php")
    (mu / "zz-test-no-flood.php").write_text(TEST_PLUGIN)
    _mysql(f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE}")
    server = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(root)], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        _post(f"{url}/wp-admin/install.php?step=2", {
            "weblog_title": "Recetas de prueba", "user_name": "admin",
            "admin_password": "Xuala-test-2026!", "admin_password2": "Xuala-test-2026!",
            "pw_weak": "1", "admin_email": "admin@example.com", "blog_public": "0",
            "language": ""})
        _mysql("UPDATE wp_options SET option_value='0' WHERE option_name IN "
               "('comment_previously_approved', 'comment_moderation')", DATABASE)
        yield {"url": url, "root": root, "port": port}
    finally:
        server.terminate()
        server.wait(10)
        _mysql(f"DROP DATABASE IF EXISTS {DATABASE}")


@pytest.fixture
def connected(wordpress, plan_site, live_server):
    """The site's key and the desk's address in the site's configuration."""
    plan_site.url = wordpress["url"] + "/"
    plan_site.save(update_fields=["url"])
    key = antispam_key_create(site=plan_site).secret
    (wordpress["root"] / "xuala-config.php").write_text(
        f"<?php\ndefine('XUALA_ANTISPAM_KEY', '{key}');\n"
        f"define('XUALA_ANTISPAM_URL', '{live_server.url}/akismet/1.1/');\n")
    # A served desk is warm: load the model and the language detector before WordPress asks
    # (the plugin gives the service 3 s before it holds a comment for moderation).
    verdict(Item(content=GOOD + " Is it in English too, please tell me?"), SiteContext())
    return wordpress


def _comment(site, text: str, author: str = "Lucía", email: str = "lucia@example.com"):
    status = _post(f"{site['url']}/wp-comments-post.php", {
        "comment": text, "author": author, "email": email, "url": "",
        "comment_post_ID": "1", "comment_parent": "0"})
    assert status in (200, 302), status
    rows = _mysql("SELECT comment_ID, comment_approved, HEX(comment_content) FROM wp_comments "
                  "ORDER BY comment_ID DESC", DATABASE)
    for line in rows.splitlines():
        comment_id, approved, content = line.split("\t")
        if bytes.fromhex(content).decode() == text:
            return comment_id, approved
    raise AssertionError(f"no comment {text!r} in WordPress")


def test_a_spam_comment_lands_in_spam(connected):
    _id, approved = _comment(connected, SPAM, author="cheap pills")
    assert approved == "spam"
    assert Check.objects.filter(spam=True, content=SPAM).exists()


def test_a_good_comment_is_published(connected):
    _id, approved = _comment(connected, GOOD)
    assert approved == "1"
    assert Check.objects.filter(spam=False, content=GOOD).exists()


def test_marking_spam_on_the_moderation_screen_reaches_the_model(connected, plan_site):
    text = GOOD.replace("domingo", "sábado")
    comment_id, approved = _comment(connected, text)
    assert approved == "1"
    # What the moderation screen's "Spam" link runs (wp-admin/comment.php -> wp_spam_comment).
    subprocess.run(["php", "-r", f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{connected['port']}'; "
                    "require 'wp-load.php'; wp_spam_comment(" + comment_id + ");"],
                   cwd=connected["root"], check=True, capture_output=True)
    assert Check.objects.get(content=text).corrected_to == "spam"
    assert SiteLearning.objects.get(site=plan_site).reports == 1
    # The same text again (from another address: WordPress refuses duplicates) is spam now.
    _again, approved = _comment(connected, text, author="Lucía M.", email="lm@example.com")
    assert approved == "spam"


def test_a_comment_waits_for_moderation_when_the_service_is_away(wordpress, plan_site):
    (wordpress["root"] / "xuala-config.php").write_text(
        "<?php\ndefine('XUALA_ANTISPAM_KEY', 'xs-any');\n"
        f"define('XUALA_ANTISPAM_URL', 'http://127.0.0.1:{_free_port()}/akismet/1.1/');\n")
    text = "¿Tenéis la receta sin gluten? Mi hija es celíaca y le encantaría probarla."
    comment_id, approved = _comment(wordpress, text)
    assert approved == "0"
    queued = _mysql("SELECT comment_id FROM wp_commentmeta WHERE meta_key = "
                    "'xuala_antispam_queued'", DATABASE)
    assert comment_id in queued.split()
