"""Update sources: a directory, an HTTP mirror and the official update-check protocol (a
loopback server standing in for api.wordpress.org), and PHP's version order."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.updates.agent.wordpress import plugin_zip, publish
from xuala.updates.agent import sources

INVENTORY = {
    "core": {"version": "6.1.9", "php": "8.2.0", "locale": "es_ES"},
    "plugins": [{"file": "shop/shop.php", "slug": "shop", "name": "Shop", "version": "1.0",
                 "active": True},
                {"file": "hello.php", "slug": "hello", "name": "Hello", "version": "1.7",
                 "single_file": True, "active": False},
                {"file": "tiny/tiny.php", "slug": "tiny", "name": "Tiny", "version": "2.0",
                 "active": False}],
    "themes": [{"slug": "twentytwentythree", "name": "TT3", "version": "1.0", "active": True}],
    "stylesheet": "twentytwentythree",
}
PAIRS = ["1.0 1.0.1", "1.10 1.9", "1.0-beta 1.0", "1.0RC1 1.0", "1.0 1.0pl1", "5.3 5.3.0",
         "2.0a1 2.0b1", "6.1.10 6.1.9", "1.0-dev 1.0-alpha", "1.2.3 1.2.3"]


@pytest.mark.real_clock
def test_versions_compare_as_php_version_compare():
    script = "foreach (array_slice($argv, 1) as $p) { [$a, $b] = explode(' ', $p); " \
             "echo version_compare($a, $b), \"\\n\"; }"
    php = subprocess.run(["php", "-r", script, *PAIRS], capture_output=True, text=True,
                         check=True).stdout.split()
    assert [sources.compare(*pair.split()) for pair in PAIRS] == [int(x) for x in php]
    assert sources.newest(["1.9", "1.10", "1.10-beta"]) == "1.10"


def test_a_directory_source_offers_the_newest_newer_version(tmp_path):
    for version in ("0.9", "1.1", "1.2", "1.10"):
        publish(tmp_path, "plugin", "shop", version, plugin_zip("shop", version))
    publish(tmp_path, "plugin", "tiny", "1.5", plugin_zip("tiny", "1.5"))
    publish(tmp_path, "core", "wordpress", "6.1.10", b"PK\x05\x06" + b"\0" * 18)

    offers = sources.DirectorySource(tmp_path).offers(INVENTORY)

    assert {key: offer.version for key, offer in offers.items()} == {
        ("plugin", "shop"): "1.10", ("core", "wordpress"): "6.1.10"}
    archive = sources.DirectorySource(tmp_path).fetch(offers[("plugin", "shop")], tmp_path)
    assert archive == tmp_path / "plugins/shop/1.10.zip"


def test_a_source_setting_that_is_neither_a_folder_nor_a_url_is_refused():
    with pytest.raises(sources.SourceError, match="absolute directory or an http"):
        sources.for_setting("mirror.example.com")
    assert isinstance(sources.for_setting(None), sources.WordPressOrgSource)
    assert isinstance(sources.for_setting("https://m.example/"), sources.MirrorSource)


@pytest.fixture
def serve():
    servers = []

    def start(handler) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_an_http_mirror_is_read_from_its_folder_listings(tmp_path, serve):
    publish(tmp_path, "plugin", "shop", "1.1", plugin_zip("shop", "1.1"))
    publish(tmp_path, "plugin", "shop", "1.2", plugin_zip("shop", "1.2"))
    base = serve(functools.partial(_Quiet, directory=str(tmp_path)))

    mirror = sources.MirrorSource(base + "/")
    offers = mirror.offers(INVENTORY)

    assert list(offers) == [("plugin", "shop")]
    assert offers[("plugin", "shop")].location == f"{base}/plugins/shop/1.2.zip"
    archive = mirror.fetch(offers[("plugin", "shop")], tmp_path / "downloads")
    assert archive.read_bytes() == (tmp_path / "plugins/shop/1.2.zip").read_bytes()


def test_the_official_update_check_protocol(tmp_path, serve):
    asked = {}
    package = plugin_zip("shop", "1.3")

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, body, kind="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"]))
                                         .decode())
            asked[self.path] = form
            if self.path.startswith("/plugins/update-check/1.1/"):
                self._answer({"plugins": {
                    "shop/shop.php": {"slug": "shop", "new_version": "1.3",
                                      "package": f"{base}/dl/shop.1.3.zip"},
                    "tiny/tiny.php": {"slug": "tiny", "new_version": "3.0", "requires_php":
                                      "9.0", "package": f"{base}/dl/tiny.3.0.zip"}}})
            else:
                self._answer({"themes": {"twentytwentythree": {
                    "theme": "twentytwentythree", "new_version": "1.0",
                    "package": f"{base}/dl/tt3.zip"}}})

        def do_GET(self):
            if self.path.startswith("/core/version-check/1.7/"):
                asked["core"] = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                self._answer({"offers": [
                    {"response": "upgrade", "version": "7.0", "php_version": "9.1",
                     "packages": {"full": f"{base}/dl/wordpress-7.0.zip"}},
                    {"response": "autoupdate", "version": "6.1.10", "php_version": "7.0",
                     "packages": {"full": f"{base}/dl/wordpress-6.1.10.zip"}}]})
            else:
                self._answer(package, "application/zip")

    base = serve(Api)
    official = sources.WordPressOrgSource(base)

    offers = official.offers(INVENTORY)

    assert {k: (o.version, o.location) for k, o in offers.items()} == {
        ("plugin", "shop"): ("1.3", f"{base}/dl/shop.1.3.zip"),
        ("core", "wordpress"): ("6.1.10", f"{base}/dl/wordpress-6.1.10.zip")}
    sent = json.loads(asked["/plugins/update-check/1.1/"]["plugins"][0])
    assert sent["plugins"] == {"shop/shop.php": {"Name": "Shop", "Version": "1.0"},
                               "tiny/tiny.php": {"Name": "Tiny", "Version": "2.0"}}
    assert sent["active"] == ["shop/shop.php"]
    themes = json.loads(asked["/themes/update-check/1.1/"]["themes"][0])
    assert themes["active"] == "twentytwentythree"
    assert asked["core"]["version"] == ["6.1.9"] and asked["core"]["locale"] == ["es_ES"]
    archive = official.fetch(offers[("plugin", "shop")], tmp_path / "downloads")
    assert archive.read_bytes() == package
