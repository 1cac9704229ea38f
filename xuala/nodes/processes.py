"""The node processes `xuala run` adds: the WSA engine, and an agent per local server."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from xuala.core.supervisor import ProcessSpec, xuala_argv


def wsa_engine_process() -> ProcessSpec:
    return ProcessSpec("wsa", xuala_argv("engine", "wsa"))


def local_node_processes(*, host: str, port: int) -> list[ProcessSpec]:
    """One `xuala node run` per local server with attached sites, with a token made for it
    (written to a 0600 file, so it never shows in the process list)."""
    from xuala.nodes.services import local_node_tokens

    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    desk = f"http://{f'[{local}]' if ':' in local else local}:{port}"
    specs = []
    for server, secret in local_node_tokens():
        folder = Path(settings.DATA_DIR) / "nodes"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{server.pk}.token"
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w") as out:
            out.write(secret)
        specs.append(ProcessSpec(f"node-{server.name}", xuala_argv(
            "node", "run", "--desk", desk, "--token-file", str(path))))
    return specs
