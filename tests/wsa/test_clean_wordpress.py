"""Debian's `wordpress` package (and its theme) as the clean tree: nothing high or critical."""

import shutil
from pathlib import Path

import pytest

from tests.wsa.conftest import scan_json, serious, wsa

DEBIAN = Path("/usr/share/wordpress")
DEBIAN_CONTENT = Path("/var/lib/wordpress/wp-content")


@pytest.fixture(scope="module")
def clean_tree(tmp_path_factory):
    """Debian's tree with its symlinks resolved (getid3, javascript libraries, the theme),
    as a site's document root holds it."""
    root = tmp_path_factory.mktemp("debian") / "wordpress"
    shutil.copytree(DEBIAN, root, symlinks=False,
                    ignore=shutil.ignore_patterns(".htaccess"))
    return root


def test_debian_wordpress_has_no_serious_findings(clean_tree):
    assert wsa("checksums", "import", str(DEBIAN))[0] == 0
    code, report = scan_json(clean_tree, "--full")
    assert report["files"] > 2500
    assert serious(report) == []
    assert code == 0


def test_debian_wordpress_without_checksums_has_no_serious_findings(clean_tree):
    code, report = scan_json(clean_tree, "--full")
    assert serious(report) == []
    assert code == 0


def test_debian_wp_content_has_no_serious_findings():
    code, report = scan_json(DEBIAN_CONTENT.parent, "--no-index")
    assert serious(report) == []
    assert code == 0


def test_a_backdoor_dropped_into_the_clean_tree_is_found(clean_tree, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(clean_tree / "wp-content", site / "wp-content")
    theme = next((site / "wp-content" / "themes").iterdir())
    (theme / "functions-extra.php").write_text("<?php @assert($_REQUEST['q']);\n")
    code, report = scan_json(site, "--no-index")
    assert [(f["path"].rsplit("/", 1)[-1], f["rule"]) for f in serious(report)] == [
        ("functions-extra.php", "php_exec_request_data")]
    assert code == 1
