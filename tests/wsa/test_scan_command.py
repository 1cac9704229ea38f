"""`xuala wsa scan PATH`: the JSON object, the exit status, the readable report."""

import shutil
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from tests.wsa.conftest import scan_json, serious, wsa

SAMPLES = Path(__file__).parent / "samples"


def scan_json_error(path):
    with pytest.raises(CommandError) as raised:
        wsa("scan", str(path), "--json")
    return raised.value.returncode, str(raised.value)


def _site(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.php").write_text("<?php\necho 'hello';\n")
    (site / "style.css").write_text("body { color: #333; }\n")
    return site


def test_clean_tree_exits_zero_with_the_documented_object(tmp_path):
    code, report = scan_json(_site(tmp_path))
    assert code == 0
    assert set(report) == {"files", "bytes", "seconds", "findings", "skipped"}
    assert report["files"] == 2
    assert report["bytes"] == len("<?php\necho 'hello';\n") + len("body { color: #333; }\n")
    assert report["findings"] == []


def test_backdoor_exits_one_and_names_path_rule_and_offset(tmp_path):
    site = _site(tmp_path)
    (site / "wp-content").mkdir()
    body = "<?php\n$a = 1;\neval(gzinflate(base64_decode($_POST['z'])));\n"
    (site / "wp-content" / "cache.php").write_text(body)
    code, report = scan_json(site)
    assert code == 1
    finding = next(f for f in report["findings"] if f["rule"] == "php_eval_decoded")
    assert finding["path"] == "wp-content/cache.php"
    assert finding["kind"] == "malware"
    assert finding["severity"] == "critical"
    assert finding["offset"] == body.index("eval")
    assert "eval(gzinflate" in finding["evidence"]


def test_only_medium_findings_exit_zero(tmp_path):
    site = _site(tmp_path)
    shutil.copy(SAMPLES / "seo_spam_keywords" / "hit.html", site / "page.html")
    code, report = scan_json(site)
    assert code == 0
    assert [f["severity"] for f in report["findings"]] == ["medium"]
    assert serious(report) == []


def test_missing_path_exits_two(tmp_path):
    code, _ = scan_json_error(tmp_path / "nowhere")
    assert code == 2


def test_broken_operator_rules_exit_two(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yar").write_text("rule bad { condition: nope }")
    monkeypatch.setenv("XUALA_WSA_RULES", str(rules))
    code, message = scan_json_error(_site(tmp_path))
    assert code == 2
    assert "rules" in message


def test_readable_report_lists_severity_rule_and_count(tmp_path):
    site = _site(tmp_path)
    shutil.copy(SAMPLES / "php_uploader" / "hit.php", site / "up.php")
    code, out = wsa("scan", str(site))
    assert code == 1
    assert "HIGH" in out and "up.php" in out and "[php_uploader]" in out
    assert "1 finding(s) of severity high or critical." in out
