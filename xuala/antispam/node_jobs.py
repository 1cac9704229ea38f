"""`antispam.blocklist` on a node: the server refuses the addresses confirmed as spam.

The desk queues the job whenever a server's block list changes (services.py,
`antispam_blocklist_publish`); its parameters carry the whole list (`addresses`), its
`digest` and when the desk issued it (`issued_at`). The node:

1. refuses to go back in time: a list issued before the one it applied last (a late retry
   of an older job) changes nothing (`xuala-antispam.state` holds the last one applied);
2. writes the nginx include `<XUALA_NODE_NGINX_DIR>/xuala-antispam.conf` (`deny ADDRESS;`
   lines, blocklist.py) atomically, and reloads nginx with the node's reload command
   (`XUALA_NODE_NGINX_RELOAD`, as the maintenance jobs do: `nginx -s reload` lets the
   workers finish the requests in flight). The server's `http` block includes it with
   `include …/xuala-antispam.conf*;` (the glob lets it be missing);
3. with `XUALA_NODE_NFT_FILE` set, writes the nftables table there too and runs
   `XUALA_NODE_NFT_RELOAD` (`nft -f FILE`: the table is swapped in one transaction); a
   command that fails fails the job, which the desk retries.

Running it twice gives the same files.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from xuala.antispam.blocklist import render
from xuala.nodes.kinds import JobFailed
from xuala.nodes.maintenance import _reload as reload_nginx
from xuala.nodes.maintenance import nginx_dir

NGINX_FILE = "xuala-antispam.conf"
STATE_FILE = "xuala-antispam.state"


def _write(path: Path, text: str) -> None:
    """Replaces the file at once: nginx or nft never reads half a list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _run(command: str) -> None:
    try:
        result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise JobFailed(f"{command!r} could not run: {error}") from error
    if result.returncode != 0:
        raise JobFailed(f"{command!r} failed ({result.returncode}): {result.stderr.strip()[:500]}")


def apply_blocklist(params: dict, progress) -> dict:
    try:
        issued = datetime.fromisoformat(params["issued_at"])
        addresses = list(params["addresses"])
    except (KeyError, TypeError, ValueError) as error:
        raise JobFailed(f"not a block list: {error}") from error
    folder = nginx_dir()
    state = folder / STATE_FILE
    if state.exists():
        applied = datetime.fromisoformat(state.read_text(encoding="utf-8").strip())
        if issued < applied:
            return {"skipped": "a newer list is applied", "applied": applied.isoformat()}
    nft_file = os.environ.get("XUALA_NODE_NFT_FILE", "")
    if nft_file:
        _write(Path(nft_file), render("nft", addresses, now=issued))
        if command := os.environ.get("XUALA_NODE_NFT_RELOAD", ""):
            _run(command)
    _write(folder / NGINX_FILE, render("nginx", addresses, now=issued))
    reload_nginx()
    _write(state, issued.isoformat() + "\n")
    return {"addresses": len(addresses), "digest": params.get("digest", ""),
            "nginx": str(folder / NGINX_FILE), "nft": nft_file or None}
