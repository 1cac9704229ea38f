"""Builders of the desk's update tests: results of the contract's
shape (docs/updates.md, "The job"), and the node's side played through the node services
(claim, then finish), as `xuala node run` does over the API."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime

from PIL import Image

from xuala.nodes.models import Job
from xuala.nodes.services import job_claim, job_finish, node_token_create

# Tuesday 10 March 2026 in Madrid (CET, UTC+1): the window 02:00-06:00 is 01:00-05:00 UTC.
TUESDAY = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def png(color=(200, 30, 30), size=(40, 30)) -> str:
    """A real PNG, base64 (as the node sends screenshots and diff images)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def page(path="/", *, ok=True, status=200, problems=(), image=True, diff=None, diff_png=False):
    check = {"page": path, "status": status, "ok": ok, "problems": list(problems)}
    if diff is not None or diff_png:
        check.update(diff=diff, diff_png=png((255, 0, 255)) if diff_png else None)
    else:
        check["png"] = png() if image else None
    return check


def component(slug="hello", old="1.0", new="1.1", status="updated", reason="", checks=None,
              kind="plugin", name=None):
    return {"type": kind, "slug": slug, "name": name or slug.title(), "from": old, "to": new,
            "active": True, "status": status, "reason": reason,
            "checks": checks if checks is not None else [page("/", diff=0.001)]}


def result(run_id: int, *components_, ok=True, after=None) -> dict:
    return {"run": run_id, "ok": ok, "core": {"from": "6.1.9", "to": "6.1.9"},
            "components": list(components_), "before": [page("/"), page("/wp-login.php")],
            "after": after if after is not None else [page("/"), page("/wp-login.php")],
            "snapshot": {"path": f"/var/lib/xuala/snapshots/{run_id}", "files": 1234,
                         "bytes": 56789, "tables": 12, "seconds": 1.2},
            "log": ["snapshot verified", "plugin hello 1.0 -> 1.1"]}


def clean(run_id: int) -> dict:
    return result(run_id, component("hello", "1.0", "1.1"),
                  component("twentytwenty", "2.0", "2.0", "unchanged", kind="theme",
                            checks=[]))


def broken(run_id: int, version="1.2") -> dict:
    fatal = page("/", ok=False, status=500, problems=["PHP Fatal error: boom in hello.php"],
                 diff=0.41, diff_png=True)
    return result(run_id, component("hello", "1.0", version, "rolled_back",
                                    reason="fatal error on /: PHP Fatal error", checks=[fatal]),
                  ok=False)


def node_finish(job: Job, body: dict | None, *, ok: bool = True, error: str = "") -> Job:
    """The site's node claims the job and uploads its outcome (the desk's services)."""
    token = node_token_create(server=job.server).token
    [claimed] = [j for j in job_claim(token=token, batch=10) if j.pk == job.pk]
    assert claimed.params["root"]  # the node is told where the site's files are
    return job_finish(token=token, job_id=job.pk, attempt=claimed.attempts, ok=ok,
                      result=body, error=error)
