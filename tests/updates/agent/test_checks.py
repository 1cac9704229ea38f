"""Page checks (status, PHP errors in the body and the error log, keywords) and the pixel
comparison of two screenshots."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from xuala.updates.agent import checks, screens

PAGES = {
    "/": (200, b"<html><title>Home</title><p>Recetas de la abuela</p></html>"),
    "/fatal": (200, b"<p>Hi</p><br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined "
                    b"function f() in /srv/site/wp-content/plugins/x/x.php:12\n"),
    "/critical": (500, b"<p>There has been a critical error on this website.</p>"),
    "/logged": (200, b"<p>fine on screen</p>"),
    "/away": (302, b""),
    "/red": (200, b"<html><body style='margin:0;background:#c00'></body></html>"),
}


@pytest.fixture
def site(tmp_path):
    log = tmp_path / "error_log"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/logged":
                with open(log, "a") as out:
                    out.write("[06-Jan-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Error: "
                              f"boom in {tmp_path}/wp-content/plugins/x/x.php:3\n")
            status, body = PAGES.get(self.path, (404, b"not here"))
            self.send_response(status)
            if status == 302:
                self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", tmp_path
    server.shutdown()
    server.server_close()


def test_a_healthy_page_with_its_keywords_is_ok(site):
    base, root = site
    found = checks.check_page(base, "/", root, ["Recetas"])
    assert (found.status, found.ok, found.problems) == (200, True, [])
    missing = checks.check_page(base, "/", root, ["Carrito"])
    assert missing.problems == ["keyword missing: Carrito"] and not missing.ok


def test_php_errors_in_the_body_and_in_the_log_are_problems(site):
    base, root = site
    fatal = checks.check_page(base, "/fatal", root)
    assert fatal.status == 200 and not fatal.ok
    assert fatal.problems == ["fatal error: Uncaught Error: Call to undefined function f() in "
                              "/srv/site/wp-content/plugins/x/x.php:12"]
    critical = checks.check_page(base, "/critical", root)
    assert critical.problems == ["HTTP 500", "WordPress critical error"]
    logged = checks.check_page(base, "/logged", root)
    assert logged.problems == ["fatal error in the error log: Uncaught Error: boom in "
                               "wp-content/plugins/x/x.php:3"]
    assert checks.check_page(base, "/", root).ok  # the old log lines are not read again


def test_a_redirect_off_the_site_and_a_dead_address(site):
    base, root = site
    away = checks.check_page(base, "/away", root)
    port = base.rstrip("/").rsplit(":", 1)[1]
    assert (away.status, away.problems) == (200, [f"redirects to localhost:{port}"])
    dead = checks.check_page("http://127.0.0.1:9/", "/", root)
    assert dead.status is None and dead.problems[0].startswith("no answer")


def test_only_new_problems_are_blamed_on_an_update():
    before = checks.PageCheck("/", 404, False, ["HTTP 404"])
    after = checks.PageCheck("/", 500, False, ["HTTP 500", "WordPress critical error"])
    assert checks.new_failures(before, after) == ["HTTP 500", "WordPress critical error"]
    assert checks.new_failures(before, checks.PageCheck("/", 404, False, ["HTTP 404"])) == []


def _picture(path: Path, box=None, size=(400, 300)) -> Path:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "Recetas", fill="black")
    if box:
        draw.rectangle(box, fill=(200, 30, 30))
    image.save(path)
    return path


def test_the_pixel_comparison_counts_real_changes_and_draws_them(tmp_path):
    before = _picture(tmp_path / "a.png")
    same = _picture(tmp_path / "b.png")
    moved = _picture(tmp_path / "c.png", box=(0, 150, 399, 299))
    taller = _picture(tmp_path / "d.png", size=(400, 600))

    assert screens.compare(before, same) == 0.0
    share = screens.compare(before, moved, tmp_path / "diff.png")
    assert 0.49 < share < 0.51
    with Image.open(tmp_path / "diff.png") as diff:
        assert diff.getpixel((200, 200)) == (230, 0, 0)
        assert diff.getpixel((200, 20))[0] == diff.getpixel((200, 20))[1]  # grey, unchanged
    assert screens.compare(before, taller) == 0.0  # white padding against white
    wide = Image.new("RGB", (1280, 1600), "white")
    wide.save(tmp_path / "wide.png")
    assert screens.png_b64(tmp_path / "wide.png").startswith("iVBOR")
    assert screens.thumbnail(wide).size == (800, 1000)


@pytest.mark.real_clock
def test_one_browser_takes_the_pictures_over_its_pipe(site, tmp_path):
    base, _root = site
    with screens.Camera() as camera:
        assert camera.shoot(base + "red", tmp_path / "red.png")
        assert camera.shoot(base, tmp_path / "home.png")
        assert camera.process is not None and not camera.broken
    assert camera.process is None
    with Image.open(tmp_path / "red.png") as red:
        assert red.size == (1280, 1600) and red.getpixel((640, 800)) == (204, 0, 0)
    assert 0 < screens.compare(tmp_path / "red.png", tmp_path / "home.png") <= 1
