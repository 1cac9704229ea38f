import io
import json

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def wsa_home(tmp_path, monkeypatch):
    """Each test has its own WSA home (checksums, feed, indexes) and never uses the network."""
    home = tmp_path / "wsa-home"
    monkeypatch.setenv("XUALA_WSA_HOME", str(home))
    monkeypatch.setenv("XUALA_WSA_OFFLINE", "1")
    monkeypatch.delenv("XUALA_WSA_RULES", raising=False)
    return home


def wsa(*args) -> tuple[int, str]:
    """Run `xuala wsa ARGS`; returns (exit status, stdout)."""
    out = io.StringIO()
    try:
        call_command("wsa", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


def scan_json(path, *args) -> tuple[int, dict]:
    code, out = wsa("scan", str(path), "--json", *args)
    return code, json.loads(out)


def write_wordpress(root, version="6.1.9", files=None):
    """A small synthetic WordPress tree: version.php, a few core files, wp-content."""
    files = {
        "wp-includes/version.php": f"<?php\n$wp_version = '{version}';\n",
        "wp-includes/load.php": "<?php\nfunction wp_load_thing() { return 1; }\n",
        "wp-admin/index.php": "<?php\nrequire_once __DIR__ . '/admin.php';\n",
        "wp-login.php": "<?php\n// login\n",
        "index.php": "<?php\ndefine('WP_USE_THEMES', true);\n",
        "wp-content/index.php": "<?php\n// Silence is golden.\n",
        **(files or {}),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def serious(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["severity"] in ("critical", "high")]


def rules_of(report: dict) -> set[str]:
    return {f["rule"] for f in report["findings"]}
