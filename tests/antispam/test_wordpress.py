"""The must-use plugin in a real WordPress (Debian's package, php-cli's built-in server,
MariaDB on 127.0.0.1:3306) talking to the desk's Akismet endpoints (Django's live server).

WordPress is installed once per test session (wp-admin/install.php over HTTP) in a
database of its own, dropped at the end. Each test writes the desk's address and a fresh
key into the site's configuration.
"""

from __future__ import annotations

import contextlib
import json
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


def _connect(wordpress, plan_site, desk_url: str) -> None:
    """The site's key and the desk's address in the site's configuration."""
    plan_site.url = wordpress["url"] + "/"
    plan_site.save(update_fields=["url"])
    key = antispam_key_create(site=plan_site).secret
    (wordpress["root"] / "xuala-config.php").write_text(
        f"<?php\ndefine('XUALA_ANTISPAM_KEY', '{key}');\n"
        f"define('XUALA_ANTISPAM_URL', '{desk_url}/akismet/1.1/');\n")


def _wp(site, php: str) -> None:
    """Runs PHP inside the site's WordPress (what its admin screens and cron call)."""
    subprocess.run(["php", "-r", f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{site['port']}'; "
                    f"require 'wp-load.php'; {php}"],
                   cwd=site["root"], check=True, capture_output=True, timeout=120)


@pytest.fixture
def connected(wordpress, plan_site, live_server):
    _connect(wordpress, plan_site, live_server.url)
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
    _wp(connected, f"wp_spam_comment({comment_id});")
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


# ------------------------------------------------------- registrations, forms, orders

def _away(site) -> None:
    """The site's key and an address where nothing listens: the service is away."""
    (site["root"] / "xuala-config.php").write_text(
        "<?php\ndefine('XUALA_ANTISPAM_KEY', 'xs-any');\n"
        f"define('XUALA_ANTISPAM_URL', 'http://127.0.0.1:{_free_port()}/akismet/1.1/');\n")


def _register(site, login: str, email: str) -> str:
    """Signs up through wp-login.php; the new user's id, or "" when WordPress refused it."""
    _mysql("UPDATE wp_options SET option_value='1' WHERE option_name='users_can_register'",
           DATABASE)
    status = _post(f"{site['url']}/wp-login.php?action=register",
                   {"user_login": login, "user_email": email, "wp-submit": "Register"})
    assert status in (200, 302), status
    users = dict(line.split("\t")[::-1] for line in _mysql(
        "SELECT ID, user_login FROM wp_users", DATABASE).splitlines())
    return users.get(login, "")


def _queued_user(user_id: str) -> bool:
    marked = _mysql("SELECT user_id FROM wp_usermeta WHERE meta_key = 'xuala_antispam_queued'",
                    DATABASE)
    return user_id in marked.split()


def test_a_bot_registration_is_refused_and_a_persons_goes_through(connected):
    assert _register(connected, "CryptoProfit9347", "profit9347@mailinator.com") == ""
    assert Check.objects.get(author="CryptoProfit9347").comment_type == "registration"
    assert Check.objects.get(author="CryptoProfit9347").spam
    user_id = _register(connected, "lucia.martin", "lucia.martin@gmail.com")
    assert user_id and not _queued_user(user_id)
    assert not Check.objects.get(author="lucia.martin").spam


def test_a_registration_goes_through_marked_when_the_service_is_away(wordpress, plan_site):
    _away(wordpress)
    user_id = _register(wordpress, "pedro.alonso", "pedro.alonso@gmail.com")
    assert user_id and _queued_user(user_id)


# Contact Form 7 and WooCommerce are not installed: the least of their classes that the
# plugin calls, then the hook each plugin fires, in the real WordPress with the real plugin.
HARNESS = """<?php
$_SERVER['HTTP_HOST'] = $argv[1];
require __DIR__ . '/wp-load.php';

class WPCF7_Submission {
    public static $current = null;
    public function __construct(private array $posted, private array $meta) {}
    public static function get_instance() { return self::$current; }
    public function get_posted_data() { return $this->posted; }
    public function get_meta($name) { return $this->meta[$name] ?? null; }
}

class WC_Order {
    public array $meta = array();
    public function __construct(private array $billing, private string $note) {}
    public function get_billing_first_name() { return $this->billing['first_name']; }
    public function get_billing_last_name() { return $this->billing['last_name']; }
    public function get_billing_email() { return $this->billing['email']; }
    public function get_customer_ip_address() { return '203.0.113.77'; }
    public function get_customer_user_agent() { return 'Mozilla/5.0 (harness)'; }
    public function update_meta_data($key, $value) { $this->meta[$key] = $value; }
    public function set_customer_note($note) { $this->note = $note; }
    public function get_customer_note() { return $this->note; }
}

$input = json_decode(file_get_contents('php://stdin'), true);
if ($input['hook'] === 'wpcf7_spam') {
    WPCF7_Submission::$current = new WPCF7_Submission($input['posted'], array(
        'remote_ip' => '198.51.100.23', 'user_agent' => 'Mozilla/5.0 (harness)'));
    $spam = apply_filters('wpcf7_spam', false, WPCF7_Submission::$current);
    echo json_encode(array('spam' => $spam));
} else {
    $order = new WC_Order($input['billing'], $input['note']);
    $data = array('order_comments' => $input['note']);
    do_action('woocommerce_checkout_create_order', $order, $data);
    echo json_encode(array('meta' => $order->meta, 'note' => $order->get_customer_note()));
}
"""


def _hook(site, payload: dict) -> dict:
    harness = site["root"] / "xuala-harness.php"
    harness.write_text(HARNESS)
    done = subprocess.run(["php", str(harness), f"127.0.0.1:{site['port']}"], cwd=site["root"],
                          input=json.dumps(payload), capture_output=True, text=True, timeout=120,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _contact(site, name: str, email: str, message: str) -> bool:
    return _hook(site, {"hook": "wpcf7_spam", "posted": {
        "your-name": name, "your-email": email, "your-subject": "Consulta",
        "your-message": message, "_wpcf7": "5"}})["spam"]


SEO_SPAM = ("Hello, I can get your website on the first page of Google. Cheap SEO services, "
            "backlinks, guaranteed ranking http://seo-rank.xyz/offer http://backlinks.top/buy "
            "http://cheap-seo.icu")
NOTE_SPAM = ("Buy cheap viagra online http://cheap-pills.xyz/buy http://casino-bonus.top/win "
             "http://fast-loans.icu/now")


def test_contact_form_7_spam_is_flagged_and_a_visitors_message_is_not(connected):
    assert _contact(connected, "SEO Expert", "seo.expert@mailinator.com", SEO_SPAM) is True
    check = Check.objects.get(author="SEO Expert")
    assert (check.spam, check.comment_type, check.user_ip) == (True, "contact", "198.51.100.23")
    assert "Consulta" in check.content and "5" not in check.content.split("\n")  # no _fields
    assert _contact(connected, "Marta Gil", "marta.gil@gmail.com",
                    "Hola, ¿hacéis tartas por encargo para el sábado? Gracias.") is False
    assert not Check.objects.get(author="Marta Gil").spam


def test_contact_form_7_sends_the_message_when_the_service_is_away(wordpress, plan_site):
    _away(wordpress)
    assert _contact(wordpress, "SEO Expert", "seo@mailinator.com", SEO_SPAM) is False


def _order(site, note: str, email: str = "ana.ruiz@hotmail.es") -> dict:
    return _hook(site, {"hook": "woocommerce_checkout_create_order", "note": note, "billing": {
        "first_name": "Ana", "last_name": "Ruiz", "email": email}})


def test_a_spam_order_note_is_set_aside_and_the_order_goes_through(connected):
    result = _order(connected, NOTE_SPAM, email="js@mailinator.com")
    assert result == {"meta": {"_xuala_antispam_note": NOTE_SPAM}, "note": ""}
    check = Check.objects.get(content=NOTE_SPAM)
    assert (check.spam, check.comment_type, check.author, check.user_ip) == (
        True, "order_note", "Ana Ruiz", "203.0.113.77")


def test_a_customers_order_note_is_kept(connected):
    note = "Por favor, dejad el paquete en la portería si no estoy."
    assert _order(connected, note) == {"meta": [], "note": note}
    assert not Check.objects.get(content=note).spam


def test_an_order_note_is_marked_when_the_service_is_away(wordpress, plan_site):
    _away(wordpress)
    result = _order(wordpress, "Entregar por la tarde, gracias.")
    assert list(result["meta"]) == ["_xuala_antispam_queued"]
    assert result["note"] == "Entregar por la tarde, gracias."


def test_a_held_comment_is_filed_by_the_recheck_once_the_service_is_back(wordpress, plan_site,
                                                                           live_server):
    _away(wordpress)
    good = "¿Cuánto tiempo aguanta el bizcocho en la nevera? Quiero hacerlo el viernes."
    good_id, approved = _comment(wordpress, good)
    spam_id, spam_approved = _comment(wordpress, SPAM.replace("cheap", "cheapest"),
                                      author="cheap pills")
    assert (approved, spam_approved) == ("0", "0")
    _connect(wordpress, plan_site, live_server.url)
    # What WordPress's cron runs every five minutes (the site's cron is off in these tests).
    _wp(wordpress, "do_action('xuala_antispam_recheck');")
    states = dict(line.split("\t") for line in _mysql(
        "SELECT comment_ID, comment_approved FROM wp_comments", DATABASE).splitlines())
    assert (states[good_id], states[spam_id]) == ("1", "spam")
    queued = _mysql("SELECT comment_id FROM wp_commentmeta WHERE meta_key = "
                    "'xuala_antispam_queued'", DATABASE).split()
    assert good_id not in queued and spam_id not in queued
    assert Check.objects.filter(content=good, spam=False).exists()
