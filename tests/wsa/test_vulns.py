"""Installed core/plugin/theme versions against an OSV feed imported offline."""

import json

from tests.wsa.conftest import scan_json, write_wordpress, wsa

PLUGIN = """<?php
/**
 * Plugin Name: Contact Widgets
 * Version: {version}
 */
"""
FEED = {"vulns": [
    {"id": "WSA-TEST-2026-0001", "summary": "Unauthenticated file upload",
     "database_specific": {"severity": "CRITICAL"},
     "affected": [{"package": {"ecosystem": "WordPress", "name": "plugin/contact-widgets"},
                   "ranges": [{"type": "ECOSYSTEM",
                               "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}]}]},
    {"id": "WSA-TEST-2026-0002", "summary": "Stored XSS in the block editor",
     "database_specific": {"severity": "MODERATE"},
     "affected": [{"package": {"ecosystem": "WordPress", "name": "wordpress"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [
                       {"introduced": "6.1"}, {"last_affected": "6.1.9"}]}]}]},
    {"id": "WSA-TEST-2026-0003", "summary": "Theme issue",
     "affected": [{"package": {"ecosystem": "WordPress", "name": "theme/quiet"},
                   "versions": ["1.0"]}]},
]}


def _site(tmp_path, plugin_version):
    site = write_wordpress(tmp_path / "site", files={
        "wp-content/plugins/contact-widgets/contact-widgets.php":
            PLUGIN.format(version=plugin_version),
        "wp-content/themes/quiet/style.css": "/*\nTheme Name: Quiet\nVersion: 1.1\n*/\n",
    })
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(FEED))
    assert wsa("vulns", "import", str(feed)) == (0, "3 advisories in the feed\n")
    return site


def _vulns(report):
    return {(f["path"], f["rule"], f["severity"]) for f in report["findings"]
            if f["kind"] == "vulnerability"}


def test_vulnerable_plugin_and_core_are_reported(tmp_path):
    code, report = scan_json(_site(tmp_path, "2.9.12"))
    assert _vulns(report) == {
        ("wp-content/plugins/contact-widgets/contact-widgets.php", "WSA-TEST-2026-0001",
         "critical"),
        ("wp-includes/version.php", "WSA-TEST-2026-0002", "medium"),
    }
    evidence = next(f["evidence"] for f in report["findings"]
                    if f["rule"] == "WSA-TEST-2026-0001")
    assert "2.9.12" in evidence and "fixed in 2.10.1" in evidence
    assert code == 1


def test_fixed_version_is_not_reported(tmp_path):
    _, report = scan_json(_site(tmp_path, "2.10.1"))
    assert {r[1] for r in _vulns(report)} == {"WSA-TEST-2026-0002"}
