import http.server
import io
import json
import threading
from contextlib import contextmanager

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


@contextmanager
def internet(answer):
    """A real HTTP server on loopback standing in for a site on the internet (the only thing
    the tests fake): ``answer(path)`` gives (status, content type, body) for each GET.
    Yields (its base URL, the paths it was asked)."""
    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            status, kind, body = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        server.server_close()
