"""The Tuesday updates' job as a node runs it: ``updates.run`` (issue 16).

Imported by the node agent by dotted path (``xuala.nodes.kinds``); it needs no Django app.
The desk enqueues the job with the params below; the node adds ``root``, the site's
document root, when it claims it.

params::

    {"run": 123, "url": "http://127.0.0.1:8080/", "source": "/srv/mirror" | "http://…" | null,
     "on_failure": "continue" | "stop", "held": [{"type": "plugin", "slug": "x",
     "version": "1.2"}], "pages": ["/", "/wp-login.php"] | null, "visual_threshold": 0.02,
     "keep_snapshots": 2, "root": "/var/www/site"}

``source`` null: the node's ``XUALA_UPDATE_SOURCE``, else the official update service.
Optional: ``keywords`` ({page: [text that must be on it]}).

The result: ``run``, ``ok``, ``core`` {from, to}, ``components`` (type, slug, name, from, to,
active, status updated|rolled_back|held_back|unchanged, reason, checks with diff and
diff_png), ``before`` and ``after`` (page checks with a base64 PNG each), ``snapshot`` (path,
files, bytes, stored_bytes, tables, seconds) and ``log``. The job fails (``JobFailed``) only
when the run cannot start: no WordPress at the root, no snapshot that can be verified, an
update source that cannot be read, another run on the same site. Running it again with the
same ``run`` resumes it, or returns its result when it had finished.
"""

from __future__ import annotations

from xuala.nodes.kinds import JobFailed
from xuala.updates.agent.run import UpdateError, run_site


def run(params: dict, progress) -> dict:
    try:
        return run_site(params, progress)
    except UpdateError as error:
        raise JobFailed(str(error)) from error
