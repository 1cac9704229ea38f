"""Hidden files: dotfiles, names imitating core files, recent changes outside usual places."""

import os

from tests.wsa.conftest import rules_of, scan_json, write_wordpress, wsa
from xuala.wsa.scan import scan_tree


def test_php_dotfile_is_high_and_plain_dotfile_low(tmp_path):
    site = write_wordpress(tmp_path / "site")
    (site / "wp-content" / ".cache.php").write_text("<?php echo 1;\n")
    (site / "wp-content" / ".notes").write_text("x")
    (site / ".htaccess").write_text("# BEGIN WordPress\n")
    _, report = scan_json(site)
    found = {(f["path"], f["rule"], f["severity"]) for f in report["findings"]}
    assert ("wp-content/.cache.php", "dotfile-php", "high") in found
    assert ("wp-content/.notes", "dotfile", "low") in found
    assert not [f for f in found if f[0] == ".htaccess" and f[1] != "recently-changed"]


def test_php_inside_a_dot_directory_is_high(tmp_path):
    site = write_wordpress(tmp_path / "site")
    (site / "wp-content" / ".tmp").mkdir()
    (site / "wp-content" / ".tmp" / "x.php").write_text("<?php echo 1;\n")
    _, report = scan_json(site)
    assert "php-in-dot-directory" in rules_of(report)


def test_name_imitating_a_core_file_is_reported(tmp_path):
    pristine = write_wordpress(tmp_path / "pristine")
    wsa("checksums", "import", str(pristine))
    site = write_wordpress(tmp_path / "site")
    (site / "wp-l0gin.php").write_text("<?php echo 1;\n")
    (site / "my-landing.php").write_text("<?php echo 1;\n")
    _, report = scan_json(site)
    found = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("wp-l0gin.php", "imitates-core-name") in found
    assert ("my-landing.php", "imitates-core-name") not in found


def test_recent_change_outside_the_usual_places_is_reported(tmp_path):
    site = write_wordpress(tmp_path / "site")
    (site / "wp-content" / "uploads").mkdir()
    (site / "wp-content" / "uploads" / "a.js").write_text("var a = 1;\n")
    (site / "wp-includes" / "extra.js").write_text("var a = 1;\n")
    changed = os.stat(site / "wp-includes" / "extra.js").st_ctime
    recent = scan_tree(site, index=False, now=changed + 3600)
    later = scan_tree(site, index=False, now=changed + 30 * 86400)
    recent_paths = {f.path for f in recent.findings if f.rule == "recently-changed"}
    assert "wp-includes/extra.js" in recent_paths
    assert "wp-content/uploads/a.js" not in recent_paths
    assert not [f for f in later.findings if f.rule == "recently-changed"]
