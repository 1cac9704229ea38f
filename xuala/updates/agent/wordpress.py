"""The site's facts and its upgrade routines, asked of WordPress itself where it must answer.

``wordpress.php`` (beside this file) is run with ``php`` (``XUALA_UPDATES_PHP``, default
``php``): it loads the site's ``wp-load.php`` and reports the inventory (core, plugins and
themes with their versions and whether they are active), or runs the upgrade routines after
an update (core: ``wp_upgrade()``, what wp-admin/upgrade.php runs; a plugin or theme:
WordPress's ``upgrader_process_complete`` action and an administrator's ``admin_init``).

When WordPress cannot answer (the site is broken before the run), the inventory is read from
the files instead (plugin headers, ``style.css``, ``wp-includes/version.php``) and the active
plugins and theme from the database.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pymysql

from xuala.wsa.database import SERIALIZED_STRING_RE, DatabaseError, read_config
from xuala.wsa.vulns import installed

HELPER = Path(__file__).with_name("wordpress.php")
MARK = "@@XUALA@@"


class WordPressError(Exception):
    """WordPress did not answer, or the tree is not a WordPress site."""


def php_binary() -> str:
    return os.environ.get("XUALA_UPDATES_PHP", "php")


def helper(root: Path, url: str, action: str, args: dict | None = None,
           timeout: float = 300) -> dict:
    """Run ``wordpress.php`` in the site; its JSON answer (``ok`` false with ``fatal`` when
    the site's PHP died)."""
    command = [php_binary(), "-d", "display_errors=stderr", "-d", "max_execution_time=0",
               str(HELPER), str(root), action, json.dumps(args or {})]
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, timeout=timeout,
                              env={**os.environ, "XUALA_SITE_URL": url})
    except (OSError, subprocess.TimeoutExpired) as error:
        raise WordPressError(f"php {action} did not finish: {error}") from error
    out = done.stdout.decode("utf-8", "replace")
    at = out.rfind(MARK)
    if at < 0:
        tail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[-300:]
        raise WordPressError(f"php {action} gave no answer (exit {done.returncode}): {tail}")
    try:
        body = json.loads(out[at + len(MARK):].splitlines()[0])
    except (ValueError, IndexError) as error:
        raise WordPressError(f"php {action} answered something unreadable") from error
    if not isinstance(body, dict):
        raise WordPressError(f"php {action} answered something unreadable")
    body.setdefault("ok", False)
    return body


def config(root: Path) -> dict:
    try:
        return read_config(root)
    except DatabaseError as error:
        raise WordPressError(str(error)) from error


def inventory(root: Path, url: str) -> dict:
    """The site's core, plugins and themes, from WordPress when it answers, else the files.
    ``source`` says which (``wordpress`` or ``files``), ``error`` why WordPress did not."""
    try:
        body = helper(root, url, "inventory", timeout=120)
        if body.get("ok"):
            body["source"] = "wordpress"
            return body
        reason = body.get("fatal") or "WordPress exited before answering"
    except WordPressError as error:
        reason = str(error)
    body = from_files(root)
    body["error"] = reason
    return body


def from_files(root: Path) -> dict:
    found = installed(root)
    core = next((version for kind, _s, version, _p in found if kind == "core"), None)
    if core is None:
        raise WordPressError("not a WordPress site (no wp-includes/version.php)")
    options = _options(root, ("active_plugins", "stylesheet", "template"))
    active = set(SERIALIZED_STRING_RE.findall(options.get("active_plugins", "")))
    stylesheet, template = options.get("stylesheet", ""), options.get("template", "")
    plugins, themes = [], []
    for kind, _slug, version, rel in found:
        if kind == "plugin":
            file = rel.removeprefix("wp-content/plugins/")
            folder = file.partition("/")[0]
            plugins.append({"file": file, "slug": folder, "single_file": False, "name": folder,
                            "version": version, "requires_php": "", "active": file in active})
        elif kind == "theme":
            folder = rel.split("/")[2]
            themes.append({"slug": folder, "name": folder, "version": version, "parent": None,
                           "active": folder in (stylesheet, template)})
    return {"ok": True, "source": "files", "plugins": plugins, "themes": themes,
            "core": {"version": core, "db_version": "", "db_version_installed": "",
                     "php": "", "locale": "", "multisite": False},
            "stylesheet": stylesheet, "template": template, "home": None, "shop": None}


def _options(root: Path, names: tuple[str, ...]) -> dict[str, str]:
    from xuala.wsa.database import connect

    try:
        settings = read_config(root)
        connection = connect(settings)
    except DatabaseError:
        return {}
    try:
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(f"SELECT option_name, option_value FROM `{settings['prefix']}options` "  # noqa: S608
                           f"WHERE option_name IN ({marks})", names)
            return {name: value or "" for name, value in cursor.fetchall()}
    except pymysql.MySQLError:
        return {}
    finally:
        connection.close()


def upgrade(root: Path, url: str, kind: str, file: str = "") -> dict:
    """Run the upgrade routines after an update of ``kind`` (``file``: the plugin's file or
    the theme's folder)."""
    return helper(root, url, "upgrade", {"type": kind, "file": file})
