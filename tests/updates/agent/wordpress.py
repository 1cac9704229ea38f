"""Throw-away real WordPress sites for the updates' tests (and bench/bench_updates.py).

Debian's /usr/share/wordpress (symlinks resolved) is copied once per session into a template
tree, and WordPress is installed once into a template database by running its own installer
(``wp_install()``) through ``php``: no web server is needed and it takes about a second.
Each site then gets a copy of the tree (``cp -a``, its wp-admin and wp-includes hard-linked
to the template's), a database loaded from the template's
dump, its own wp-config.php, and ``php -S 127.0.0.1:PORT`` (PHP errors to a log file outside
the document root, shown to nobody, as on a production server). Everything is deleted when
the site is closed.

Test plugins and their update archives are written by the tests (``plugin_zip``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

WORDPRESS = Path("/usr/share/wordpress")
MYSQL = ["mysql", "-h", "127.0.0.1", "-P", "3306", "-u", "root"]
SETTINGS = {"DB_USER": "root", "DB_PASSWORD": "", "DB_HOST": "127.0.0.1:3306",
            "DB_CHARSET": "utf8mb4", "DB_COLLATE": ""}
SWITCHES = ("DISABLE_WP_CRON", "AUTOMATIC_UPDATER_DISABLED", "WP_HTTP_BLOCK_EXTERNAL")


def wp_config(db: str, url: str) -> str:
    """A wp-config.php for database ``db`` at address ``url`` (WP_HOME and WP_SITEURL set,
    so the port can change from one site to the next)."""
    values = {"DB_NAME": db, **SETTINGS, "WP_HOME": url, "WP_SITEURL": url}
    lines = ["<?php"] + [f"define('{k}', '{v}');" for k, v in values.items()]
    lines += [f"define('{name}', true);" for name in SWITCHES]
    lines += ["$table_prefix = 'wp_';",
              "if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }",
              "require_once ABSPATH . 'wp-settings.php';"]
    return "\n".join(lines) + "\n"


INSTALL = """<?php
define('WP_INSTALLING', true);
function wp_mail() { return true; }
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install('Xuala test site', 'admin', 'admin@example.com', false, '', 'Xuala-test-2026!');
"""


def mysql(sql: str, database: str = "") -> str:
    return subprocess.run([*MYSQL, "-N", *(["-D", database] if database else []), "-e", sql],
                          check=True, capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def php(root: Path, code: str, url: str = "http://127.0.0.1/") -> str:
    """Run ``code`` with the site loaded (wp-load.php and the plugin functions)."""
    host = url.split("://", 1)[1].split("/", 1)[0]
    script = (f"$_SERVER['HTTP_HOST'] = '{host}'; $_SERVER['REQUEST_URI'] = '/'; "
              "require 'wp-load.php'; require_once ABSPATH . 'wp-admin/includes/plugin.php'; "
              + code)
    done = subprocess.run(["php", "-r", script], cwd=root, capture_output=True, text=True,
                          timeout=120)
    if done.returncode:
        raise AssertionError(f"php failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return done.stdout


class Template:
    """The session's WordPress tree and the dump of a freshly installed database."""

    def __init__(self, folder: Path):
        self.tree = folder / "wordpress"
        self.dump = folder / "install.sql"
        shutil.copytree(WORDPRESS, self.tree, symlinks=False, ignore_dangling_symlinks=True,
                        ignore=shutil.ignore_patterns(".htaccess"))
        (self.tree / "wp-config.php").unlink()
        database = f"xu_tpl_{uuid.uuid4().hex[:10]}"
        mysql(f"CREATE DATABASE {database}")
        try:
            (self.tree / "wp-config.php").write_text(wp_config(database, "http://127.0.0.1"))
            script = folder / "install.php"
            script.write_text(INSTALL)
            subprocess.run(["php", str(script), str(self.tree)], check=True,
                           capture_output=True, timeout=120)
            with open(self.dump, "wb") as out:
                subprocess.run(["mysqldump", "-h", "127.0.0.1", "-P", "3306", "-u", "root",
                                "--skip-dump-date", database], stdout=out, check=True)
        finally:
            mysql(f"DROP DATABASE IF EXISTS {database}")
            (self.tree / "wp-config.php").unlink(missing_ok=True)


@dataclass
class Site:
    root: Path
    url: str
    port: int
    db: str
    error_log: Path
    folder: Path
    server: subprocess.Popen | None = None

    def get(self, page: str = "/") -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + page.lstrip("/"), timeout=60) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def php(self, code: str) -> str:
        return php(self.root, code, self.url)

    def sql(self, statement: str) -> str:
        return mysql(statement, self.db)

    def dump(self) -> bytes:
        return subprocess.run(["mysqldump", "-h", "127.0.0.1", "-P", "3306", "-u", "root",
                               "--skip-dump-date", "--skip-comments", self.db],
                              check=True, capture_output=True).stdout

    def install_plugin(self, archive: bytes, activate: str | None = None) -> None:
        with zipfile.ZipFile(io.BytesIO(archive)) as package:
            package.extractall(self.root / "wp-content" / "plugins")
        if activate:
            result = self.php(f"$r = activate_plugin('{activate}'); "
                              "echo is_wp_error($r) ? $r->get_error_message() : 'ok';")
            assert result.endswith("ok"), result

    def warm(self) -> None:
        """Ask for the key pages and the inventory once, so that what WordPress writes on its
        first visits (transients) is written before a test takes its picture of the
        database."""
        from xuala.updates.agent.wordpress import inventory

        for page in ("/", "/wp-login.php", "/"):
            self.get(page)
        inventory(self.root, self.url)

    def start(self) -> None:
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
        self.server = subprocess.Popen(
            ["php", "-d", "display_errors=0", "-d", "log_errors=1",
             "-d", f"error_log={self.error_log}", "-S", f"127.0.0.1:{self.port}",
             "-t", str(self.root)], cwd=self.root, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), 1):
                return
            time.sleep(0.1)
        raise AssertionError("php -S did not start")

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(10)
        mysql(f"DROP DATABASE IF EXISTS {self.db}")
        shutil.rmtree(self.folder, ignore_errors=True)


def new_site(template: Template, folder: Path | None = None) -> Site:
    folder = Path(tempfile.mkdtemp(prefix="xuala-wp-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "site"
    # wp-admin and wp-includes are hard links to the template (nothing writes into core files
    # in place: updates replace them by rename); the rest is copied.
    root.mkdir()
    for entry in template.tree.iterdir():
        flags = "-al" if entry.name in ("wp-admin", "wp-includes") else "-a"
        subprocess.run(["cp", flags, str(entry), str(root / entry.name)], check=True)
    port = free_port()
    site = Site(root=root, url=f"http://127.0.0.1:{port}/", port=port,
                db=f"xu_wp_{uuid.uuid4().hex[:12]}", error_log=folder / "php-errors.log",
                folder=folder)
    try:
        mysql(f"CREATE DATABASE {site.db}")
        with open(template.dump, "rb") as dump:
            subprocess.run([*MYSQL, site.db], stdin=dump, check=True)
        (root / "wp-config.php").write_text(wp_config(site.db, site.url.rstrip("/")))
        site.start()
    except BaseException:
        site.close()
        raise
    return site


def plugin_zip(slug: str, version: str, body: str = "", name: str | None = None) -> bytes:
    """A plugin archive as wordpress.org serves them: ``slug/slug.php`` in a folder."""
    header = (f"<?php\n/*\n * Plugin Name: {name or slug.replace('-', ' ').title()}\n"
              f" * Version: {version}\n * Description: written by the updates' tests\n */\n")
    return make_zip({f"{slug}/{slug}.php": header + body,
                     f"{slug}/readme.txt": f"=== {slug} ===\nStable tag: {version}\n"})


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 6, 10, 0, 0))
            info.external_attr = 0o644 << 16
            package.writestr(info, data)
    return buffer.getvalue()


def publish(source: Path, kind: str, slug: str, version: str, archive: bytes) -> Path:
    """Put an archive in a source directory laid out as the updates expect."""
    folder = source / "core" if kind == "core" else source / f"{kind}s" / slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.zip"
    path.write_bytes(archive)
    return path


def tree_digest(root: Path, skip: tuple[str, ...] = ("wp-content/upgrade",)) -> dict:
    """rel -> (kind, mode, sha256 or link target) for every path under ``root``."""
    found = {}
    for folder, dirs, names in os.walk(root):
        rel_dir = os.path.relpath(folder, root)
        if rel_dir != "." and rel_dir.startswith(skip):
            dirs[:] = []
            continue
        for name in dirs + names:
            path = Path(folder, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel.startswith(skip):
                continue
            st = path.lstat()
            if path.is_symlink():
                found[rel] = ("l", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("d", st.st_mode & 0o7777)
            else:
                found[rel] = ("f", st.st_mode & 0o7777,
                              hashlib.sha256(path.read_bytes()).hexdigest())
    return found
