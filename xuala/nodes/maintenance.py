"""`site.suspend` / `site.resume` on a node: the site answers a maintenance page (503).

Both web servers are covered: a marked block at the top of the site's `.htaccess` (Apache)
and a snippet `<XUALA_NODE_NGINX_DIR>/<host>.maintenance.conf` that the site's nginx
`server` block includes (``include …/<host>.maintenance.conf*;``, the glob lets it be
missing). The page itself is `xuala-maintenance.html` at the document root. Resuming
removes all three; the rest of `.htaccess` is left byte for byte as it was. Running either
twice gives the same files.
"""

from __future__ import annotations

import html
import os
import shlex
import subprocess
import time
from pathlib import Path

from xuala.nodes.kinds import JobFailed

BEGIN = "# BEGIN Xuala maintenance"
END = "# END Xuala maintenance"
PAGE = "xuala-maintenance.html"


def nginx_dir() -> Path:
    from django.conf import settings

    return Path(os.environ.get("XUALA_NODE_NGINX_DIR") or Path(settings.DATA_DIR) / "nginx")


def htaccess_block(*, until: str) -> str:
    return "\n".join([
        BEGIN, f"# The site is suspended for a security cleaning until {until}.",
        "<IfModule mod_rewrite.c>", "RewriteEngine On",
        f"RewriteCond %{{REQUEST_URI}} !^/{PAGE.replace('.', '[.]')}$",
        "RewriteRule ^ - [R=503,L]", "</IfModule>",
        f"ErrorDocument 503 /{PAGE}",
        "<IfModule mod_headers.c>", 'Header always set Retry-After "3600"', "</IfModule>",
        END, ""])


def nginx_snippet(*, root: str, until: str) -> str:
    return "\n".join([
        f"# Xuala maintenance: suspended for a security cleaning until {until}.",
        f'error_page 503 /{PAGE};',
        f"location = /{PAGE} {{ root {root}; internal; }}",
        f'if ($uri != "/{PAGE}") {{ return 503; }}',
        'add_header Retry-After "3600" always;', ""])


def page(*, title: str, message: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"robots\" "
            f"content=\"noindex\"><title>{html.escape(title)}</title></head><body "
            "style=\"font-family:sans-serif;max-width:40em;margin:4em auto\">"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>\n")


def _without_block(text: str) -> str:
    start = text.find(BEGIN)
    if start < 0:
        return text
    end = text.find(END, start)
    if end < 0:
        return text
    end += len(END)
    if text[end:end + 1] == "\n":
        end += 1
    return text[:start] + text[end:]


def _reload() -> None:
    command = os.environ.get("XUALA_NODE_NGINX_RELOAD", "")
    if command:
        subprocess.run(shlex.split(command), check=False, timeout=60)


def _root(params: dict) -> Path:
    root = params.get("root")
    if not root or not os.path.isdir(root):
        raise JobFailed(f"the site's document root is not a directory here: {root!r}")
    return Path(root)


def suspend(params: dict, progress) -> dict:
    root = _root(params)
    until, host = params["until"], params["host"]
    (root / PAGE).write_text(page(title=params.get("title", "Maintenance"),
                                  message=params.get("message", "")), encoding="utf-8")
    htaccess = root / ".htaccess"
    old = htaccess.read_text(encoding="utf-8") if htaccess.exists() else ""
    htaccess.write_text(htaccess_block(until=until) + _without_block(old), encoding="utf-8")
    folder = nginx_dir()
    folder.mkdir(parents=True, exist_ok=True)
    snippet = folder / f"{host}.maintenance.conf"
    snippet.write_text(nginx_snippet(root=str(root), until=until), encoding="utf-8")
    _reload()
    return {"htaccess": str(htaccess), "nginx": str(snippet), "page": str(root / PAGE)}


def resume(params: dict, progress) -> dict:
    root = _root(params)
    htaccess = root / ".htaccess"
    if htaccess.exists():
        rest = _without_block(htaccess.read_text(encoding="utf-8"))
        if rest:
            htaccess.write_text(rest, encoding="utf-8")
        else:
            htaccess.unlink()
    (root / PAGE).unlink(missing_ok=True)
    (nginx_dir() / f"{params['host']}.maintenance.conf").unlink(missing_ok=True)
    _reload()
    return {"resumed": True}

def sleep_job(params: dict, progress) -> dict:
    """`node.sleep`: hold a lease for ``seconds`` (checks a node's plumbing end to end)."""
    seconds = float(params.get("seconds", 1))
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        progress({"left": round(left, 1)})
        time.sleep(min(0.2, left))
    return {"slept": seconds}
