"""The WSA's job kinds as a node runs them, on the node's own files (no desk database).

Each takes the job's params (``root`` is the site's document root, filled in by the desk)
and a progress callback, and returns what the desk stores. Each is safe to run twice: a job
whose node died is run again, so a second run finds its own earlier work and reports it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from pathlib import Path

from xuala.nodes.kinds import JobFailed
from xuala.wsa import integrity, pristine, quarantine
from xuala.wsa.scan import ScanError, scan_tree

MAX_FINDINGS = 2000  # a result stays well below the desk's request size limit


def _root(params: dict) -> Path:
    root = params.get("root")
    if not root or not os.path.isdir(root):
        raise JobFailed(f"the site's document root is not a directory here: {root!r}")
    return Path(os.path.realpath(root))


def _inside(root: Path, rel: str) -> Path:
    """The absolute path of ``rel`` under ``root``; anything that leaves the root is refused."""
    if not rel or rel.startswith("/") or "\x00" in rel or ".." in Path(rel).parts:
        raise JobFailed(f"not a path inside the site: {rel!r}")
    target = root / rel
    if not os.path.realpath(target.parent).startswith(str(root)):
        raise JobFailed(f"{rel} leaves the site's root")
    return target


def audit(params: dict, progress) -> dict:
    """`wsa.audit`: scan the site's tree (and its database when wp-config.php names one)."""
    root = _root(params)
    database = bool(params.get("database", True)) and (root / "wp-config.php").is_file()

    def report_progress(done: int, total: int, read: int) -> None:
        progress({"files_done": done, "files_total": total, "bytes": read})

    try:
        report = scan_tree(root, full=bool(params.get("full")), database=database,
                           known_admins=params.get("admins"),
                           network=not params.get("offline", False),
                           progress=report_progress)
    except ScanError as error:
        raise JobFailed(str(error)) from error
    body = report.as_dict()
    body["full"] = report.full
    body["database"] = database
    if len(body["findings"]) > MAX_FINDINGS:
        body["truncated"] = len(body["findings"]) - MAX_FINDINGS
        body["findings"] = body["findings"][:MAX_FINDINGS]
    return body


def _already_quarantined(target: Path, reason: str) -> dict | None:
    for record in quarantine.items():
        if record["path"] == str(target) and record.get("reason") == reason:
            return record
    return None


def _public(record: dict) -> dict:
    return {k: record[k] for k in ("id", "path", "uid", "gid", "mode", "mtime_ns", "size",
                                   "sha256", "reason")}


def quarantine_job(params: dict, progress) -> dict:
    root = _root(params)
    target = _inside(root, params["path"])
    reason = params.get("reason", "")
    if not os.path.lexists(target):
        earlier = _already_quarantined(target, reason)
        if earlier is None:
            raise JobFailed(f"{params['path']} is not there any more")
        return _public(earlier)  # the first run moved it, then its node died
    try:
        return _public(quarantine.quarantine_file(target, reason=reason))
    except quarantine.QuarantineError as error:
        raise JobFailed(str(error)) from error


def restore(params: dict, progress) -> dict:
    item = params["id"]
    folder = quarantine.default_store() / item
    if not folder.exists() and params.get("path") and os.path.isfile(params["path"]):
        data = Path(params["path"]).read_bytes()
        if hashlib.sha256(data).hexdigest() == params.get("sha256"):
            return {"id": item, "path": params["path"], "sha256": params["sha256"]}
    try:
        record = quarantine.restore(item)
    except quarantine.QuarantineError as error:
        raise JobFailed(str(error)) from error
    return {"id": item, "path": record["path"], "sha256": record["sha256"]}


def _pristine_copy(version: str, rel: str, *, network: bool) -> tuple[bytes | None, str]:
    """The release's bytes of ``rel`` from the node's pristine store; when they are not
    there and the network is allowed, the release is fetched into the store first (from
    the official download or XUALA_WSA_RELEASES_URL, checked file by file)."""
    data = pristine.pristine_file(version, rel)
    if data is not None or not network or os.environ.get("XUALA_WSA_OFFLINE"):
        return data, "" if data is not None else "offline"
    try:
        pristine.pristine_import(version)
    except (pristine.PristineError, ValueError, OSError) as error:
        return None, str(error)
    return pristine.pristine_file(version, rel), ""


def core_replace(params: dict, progress) -> dict:
    """`wsa.core_replace`: quarantine a modified core file and put the release's copy back.

    Without a checked copy of the file on this node, nothing is touched and the result says
    so (``pristine_missing``): the desk hands the finding to a technician."""
    root = _root(params)
    rel = params["path"]
    target = _inside(root, rel)
    version = integrity.installed_version(root)
    if version is None:
        raise JobFailed("not a WordPress tree (no wp-includes/version.php)")
    data, why = _pristine_copy(version, rel, network=not params.get("offline", False))
    if data is None:
        return {"path": rel, "version": version, "pristine_missing": True,
                "store": str(pristine.store_dir(version)), "why": why[:500]}
    if target.is_file() and target.read_bytes() == data:
        earlier = _already_quarantined(target, "core-file-modified")
        return {"path": rel, "version": version, "already": True,
                "quarantine": _public(earlier) if earlier else None}
    record = None
    mode = 0o644
    if os.path.lexists(target):
        st = target.lstat()
        mode = st.st_mode & 0o7777
        record = quarantine.quarantine_file(target, reason="core-file-modified")
    temporary = target.with_name(f".{target.name}.wsa-pristine")
    temporary.write_bytes(data)
    os.chmod(temporary, mode)
    os.replace(temporary, target)
    return {"path": rel, "version": version, "md5": integrity.md5_of(data),
            "quarantine": _public(record) if record else None}


SCRIPT_BLOCK_RE = re.compile(r"<script\b[^>]*>.*?</script\s*>|<iframe\b[^>]*>.*?</iframe\s*>",
                             re.I | re.S)


def strip_post(params: dict, progress) -> dict:
    """`wsa.db_strip`: remove injected script/iframe blocks from one post; returns the diff.

    The blocks removed are those the finding named (their text contains ``evidence`` when
    given); a second run finds nothing left to remove and returns an empty diff.
    """
    from xuala.wsa import database as db

    root = _root(params)
    config = db.read_config(root)
    table = f"{config['prefix']}posts"
    post_id = int(params["post_id"])
    connection = db.connect(config)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT post_content FROM `{table}` WHERE ID = %s",  # noqa: S608
                           (post_id,))
            row = cursor.fetchone()
            if row is None:
                raise JobFailed(f"no post {post_id}")
            before = row[0] or ""
            marker = (params.get("evidence") or "")[:40]
            after = SCRIPT_BLOCK_RE.sub(
                lambda m: "" if not marker or marker[:20] in m.group(0) else m.group(0), before)
            if after != before:
                cursor.execute(f"UPDATE `{table}` SET post_content = %s WHERE ID = %s",  # noqa: S608
                               (after, post_id))
                connection.commit()
    finally:
        connection.close()
    diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        f"{table}/{post_id} (before)",
                                        f"{table}/{post_id} (after)"))
    return {"post_id": post_id, "diff": diff, "changed": after != before}


def admin_demote(params: dict, progress) -> dict:
    """`wsa.admin_demote`: take the administrator role away from one login (no delete)."""
    from xuala.wsa import database as db

    root = _root(params)
    config = db.read_config(root)
    p = config["prefix"]
    connection = db.connect(config)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ID FROM `{p}users` WHERE user_login = %s",  # noqa: S608
                           (params["login"],))
            row = cursor.fetchone()
            if row is None:
                raise JobFailed(f"no user {params['login']}")
            cursor.execute(f"SELECT meta_value FROM `{p}usermeta` WHERE user_id = %s "  # noqa: S608
                           "AND meta_key = %s", (row[0], f"{p}capabilities"))
            before = (cursor.fetchone() or [""])[0]
            cursor.execute(f"UPDATE `{p}usermeta` SET meta_value = %s WHERE user_id = %s "  # noqa: S608
                           "AND meta_key = %s", ("a:0:{}", row[0], f"{p}capabilities"))
            cursor.execute(f"UPDATE `{p}usermeta` SET meta_value = '0' WHERE user_id = %s "  # noqa: S608
                           "AND meta_key = %s", (row[0], f"{p}user_level"))
        connection.commit()
    finally:
        connection.close()
    return {"login": params["login"], "capabilities_before": before}
