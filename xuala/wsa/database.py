"""The site's database: read wp-config.php and inspect the MariaDB/MySQL tables (PyMySQL).

Looks for injected scripts in posts and widget options (run through the same YARA rules as
the files), `siteurl`/`home` that point away, `active_plugins` entries with no plugin on disk,
and administrator accounts created recently or not on the client's list.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pymysql

from xuala.wsa.findings import Finding, excerpt

DEFINE_RE = re.compile(
    r"""define\s*\(\s*['"](DB_NAME|DB_USER|DB_PASSWORD|DB_HOST)['"]\s*,\s*(['"])(.*?)\2\s*\)""",
    re.S)
PREFIX_RE = re.compile(r"""\$table_prefix\s*=\s*['"]([A-Za-z0-9_]+)['"]""")
SERIALIZED_STRING_RE = re.compile(r's:\d+:"([^"]*)"')
SCRIPT_RE = re.compile(r"<script\b|<iframe\b|javascript:", re.I)
OBFUSCATED_RE = re.compile(r"eval\s*\(|fromCharCode|atob\s*\(|unescape\s*\(|document\.write|"
                           r"\\x[0-9a-f]{2}|_0x[0-9a-f]{4}", re.I)
RECENT_DAYS = 7
SOCKETS = ("/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock")
# Posts worth running through the rules: scripts, frames, and what hides links.
POST_MARKERS = ("%<script%", "%<iframe%", "%javascript:%", "%display:none%", "%display: none%",
                "%visibility:hidden%", "%visibility: hidden%", "%left:-%", "%left: -%")


class DatabaseError(Exception):
    """No usable credentials, or the database could not be reached."""


def read_config(root: str | Path) -> dict:
    path = Path(root) / "wp-config.php"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise DatabaseError(f"cannot read wp-config.php: {error.strerror}") from error
    values = {name: value for name, _, value in DEFINE_RE.findall(text)}
    if "DB_NAME" not in values:
        raise DatabaseError("wp-config.php defines no DB_NAME")
    prefix = PREFIX_RE.search(text)
    values["prefix"] = prefix.group(1) if prefix else "wp_"
    return values


def connect(config: dict):
    host = config.get("DB_HOST") or "localhost"
    kwargs = {"user": config.get("DB_USER", ""), "password": config.get("DB_PASSWORD", ""),
              "database": config["DB_NAME"], "charset": "utf8mb4", "connect_timeout": 10,
              "read_timeout": 60}
    name, _, rest = host.partition(":")
    if rest.startswith("/"):
        kwargs["unix_socket"] = rest
    elif rest:
        kwargs["port"] = int(rest)
    elif name == "localhost":  # MySQL's convention: localhost means the local socket
        kwargs["unix_socket"] = next((s for s in SOCKETS if Path(s).exists()), None)
    kwargs["host"] = name or "localhost"
    try:
        return pymysql.connect(**kwargs)
    except pymysql.MySQLError as error:
        raise DatabaseError(f"cannot connect: {error.args[-1]}") from error


def _markup_findings(where: str, text: str, signatures) -> list[Finding]:
    found = []
    data = text.encode("utf-8", "replace")
    for hit in signatures.scan(data):
        found.append(Finding(where, "database", hit.rule, hit.severity, hit.evidence, hit.offset))
    if not found:
        match = SCRIPT_RE.search(text)
        if match:
            obfuscated = OBFUSCATED_RE.search(text)
            found.append(Finding(where, "database", "injected-script",
                                 "high" if obfuscated else "medium",
                                 excerpt(text[match.start():match.start() + 160].encode()),
                                 match.start()))
    return found


def check_site(root: str | Path, *, signatures, now: float | None = None,
               known_admins: list[str] | None = None, recent_days: int = RECENT_DAYS,
               admins: list[str] | None = None) -> list[Finding]:
    """The database's findings. ``admins``, when given, receives the logins of every
    administrator read (the desk keeps them as the site's known administrators)."""
    config = read_config(root)
    p = config["prefix"]
    now = time.time() if now is None else now
    connection = connect(config)
    found: list[Finding] = []
    try:
        with connection.cursor() as cursor:
            where = " OR ".join(["post_content LIKE %s"] * len(POST_MARKERS))
            cursor.execute(f"SELECT ID, post_content FROM `{p}posts` WHERE {where}",  # noqa: S608
                           POST_MARKERS)
            for post_id, content in cursor.fetchall():
                found += _markup_findings(f"db:{p}posts/{post_id}", content or "", signatures)
            cursor.execute(f"SELECT option_name, option_value FROM `{p}options` "  # noqa: S608
                           "WHERE option_name IN ('siteurl', 'home', 'active_plugins') "
                           "OR option_name LIKE %s OR option_value LIKE %s "
                           "OR option_value LIKE %s",
                           ("widget\\_%", "%<script%", "%eval(%"))
            options = dict(cursor.fetchall())
            for name, value in sorted(options.items()):
                where = f"db:{p}options/{name}"
                if name.startswith("widget_") and SCRIPT_RE.search(value or ""):
                    found += _markup_findings(where, value, signatures)
                elif name not in ("siteurl", "home", "active_plugins"):
                    # Plugins keep scripts in options for good reasons: only rule hits count.
                    found += [Finding(where, "database", h.rule, h.severity, h.evidence, h.offset)
                              for h in signatures.scan((value or "").encode("utf-8", "replace"))]
            found += _urls(p, options)
            found += _plugins(root, p, options.get("active_plugins") or "")
            found += _admins(cursor, p, now, recent_days, known_admins,
                             admins if admins is not None else [])
    except pymysql.MySQLError as error:
        raise DatabaseError(f"query failed: {error.args[-1]}") from error
    finally:
        connection.close()
    return found


def _urls(p: str, options: dict) -> list[Finding]:
    found = []
    hosts = {}
    for name in ("siteurl", "home"):
        value = (options.get(name) or "").strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or SCRIPT_RE.search(value)):
            found.append(Finding(f"db:{p}options/{name}", "database", "siteurl-injected",
                                 "critical", excerpt(value.encode())))
        hosts[name] = (parts.hostname or "").removeprefix("www.")
    if hosts.get("siteurl") and hosts.get("home") and hosts["siteurl"] != hosts["home"]:
        found.append(Finding(f"db:{p}options/home", "database", "siteurl-home-mismatch", "high",
                             f"siteurl host {hosts['siteurl']} but home host {hosts['home']}"))
    return found


def _plugins(root: str | Path, p: str, value: str) -> list[Finding]:
    found = []
    plugins = Path(root) / "wp-content" / "plugins"
    for entry in SERIALIZED_STRING_RE.findall(value):
        target = plugins / entry
        if ".." in Path(entry).parts or not target.is_file():
            found.append(Finding(f"db:{p}options/active_plugins", "database",
                                 "active-plugin-missing", "high",
                                 f"active plugin {entry} does not exist on disk"))
    return found


def _admins(cursor, p: str, now: float, recent_days: int,
            known: list[str] | None, logins: list[str]) -> list[Finding]:
    cursor.execute(
        f"SELECT u.user_login, u.user_registered FROM `{p}users` u "  # noqa: S608
        f"JOIN `{p}usermeta` m ON m.user_id = u.ID "
        "WHERE m.meta_key = %s AND m.meta_value LIKE %s", (f"{p}capabilities", "%administrator%"))
    found = []
    known_set = {k.lower() for k in known} if known is not None else None
    for login, registered in cursor.fetchall():
        logins.append(login)
        where = f"db:{p}users/{login}"
        if isinstance(registered, datetime):
            when = registered.replace(tzinfo=UTC).timestamp()
            if 0 <= now - when <= recent_days * 86400:
                found.append(Finding(where, "database", "admin-recent", "high",
                                     f"administrator {login} registered {registered:%Y-%m-%d}"))
        if known_set is not None and login.lower() not in known_set:
            found.append(Finding(where, "database", "admin-unknown", "high",
                                 f"administrator {login} is not on the client's list"))
    return found
