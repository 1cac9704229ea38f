"""Core integrity against the checksum store, filled from a tree or a release archive."""

import json
import zipfile

import pytest

from tests.wsa.conftest import internet, rules_of, scan_json, write_wordpress, wsa


def _pristine_and_site(tmp_path):
    pristine = write_wordpress(tmp_path / "release" / "wordpress")
    site = write_wordpress(tmp_path / "site")
    return pristine, site


def test_checksums_import_from_a_pristine_tree(tmp_path, wsa_home):
    pristine, _ = _pristine_and_site(tmp_path)
    code, out = wsa("checksums", "import", str(pristine))
    assert code == 0
    assert "WordPress 6.1.9: 6 checksums stored" in out
    assert (wsa_home / "checksums" / "6.1.9.json").exists()


def test_a_trees_htaccess_is_no_release_file(tmp_path, wsa_home):
    """Debian's tree links its .htaccess from /etc/wordpress: a site's own .htaccess must
    never be reported as modified core, nor be put back from the pristine store."""
    pristine, site = _pristine_and_site(tmp_path)
    (pristine / ".htaccess").write_text("# Debian's\n")
    (site / ".htaccess").write_text("# BEGIN WordPress\nRewriteEngine On\n# END WordPress\n")
    wsa("checksums", "import", str(pristine))
    assert ".htaccess" not in json.loads((wsa_home / "checksums" / "6.1.9.json").read_text())
    _, report = scan_json(site)
    assert "core-file-modified" not in rules_of(report)


def test_checksums_import_from_a_release_zip(tmp_path, wsa_home):
    pristine, _ = _pristine_and_site(tmp_path)
    archive = tmp_path / "wordpress-6.1.9.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in pristine.rglob("*"):
            if path.is_file():
                bundle.write(path, "wordpress/" + path.relative_to(pristine).as_posix())
    code, out = wsa("checksums", "import", str(archive))
    assert code == 0 and "6 checksums stored" in out


def test_pristine_site_has_no_integrity_findings(tmp_path):
    pristine, site = _pristine_and_site(tmp_path)
    wsa("checksums", "import", str(pristine))
    code, report = scan_json(site)
    assert code == 0
    assert [f for f in report["findings"] if f["kind"] == "integrity"] == []


def test_modified_core_file_is_reported(tmp_path):
    pristine, site = _pristine_and_site(tmp_path)
    wsa("checksums", "import", str(pristine))
    (site / "wp-includes" / "load.php").write_text("<?php\nfunction wp_load_thing() { return 9; }")
    code, report = scan_json(site)
    [finding] = [f for f in report["findings"] if f["kind"] == "integrity"]
    assert (finding["path"], finding["rule"], finding["severity"]) == (
        "wp-includes/load.php", "core-file-modified", "high")
    assert code == 1


def test_unknown_php_in_core_directory_is_reported(tmp_path):
    pristine, site = _pristine_and_site(tmp_path)
    wsa("checksums", "import", str(pristine))
    (site / "wp-admin" / "maint.php").write_text("<?php\n// nothing visible\n")
    _, report = scan_json(site)
    assert ("wp-admin/maint.php", "unknown-php-in-core") in {
        (f["path"], f["rule"]) for f in report["findings"]}


def test_php_under_uploads_is_reported_even_without_checksums(tmp_path):
    _, site = _pristine_and_site(tmp_path)
    uploads = site / "wp-content" / "uploads" / "2026" / "01"
    uploads.mkdir(parents=True)
    (uploads / "photo.jpg.php").write_text("<?php echo 1;\n")
    (uploads / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 plain jpeg")
    _, report = scan_json(site)
    assert "php-in-uploads" in rules_of(report)
    assert {s["reason"] for s in report["skipped"]} == {
        "no checksums for WordPress 6.1.9: core integrity not checked"}


def test_md5_only_checksums_as_the_official_service_gives_them(tmp_path):
    from xuala.wsa import integrity

    pristine, site = _pristine_and_site(tmp_path)
    sums = {p.relative_to(pristine).as_posix(): integrity.md5_of(p.read_bytes())
            for p in pristine.rglob("*") if p.is_file()}
    integrity.save("6.1.9", sums)
    scan_json(site)
    (site / "wp-login.php").write_text("<?php\n// login, changed\n")
    code, report = scan_json(site)
    assert [(f["path"], f["rule"]) for f in report["findings"] if f["kind"] == "integrity"] == [
        ("wp-login.php", "core-file-modified")]
    assert code == 1


def test_new_checksums_make_the_next_scan_full(tmp_path):
    pristine, site = _pristine_and_site(tmp_path)
    scan_json(site)
    wsa("checksums", "import", str(pristine))
    _, report = scan_json(site)
    assert report["bytes"] > 0


@pytest.fixture
def checksum_service(tmp_path, monkeypatch):
    """A real HTTP server on loopback standing in for api.wordpress.org/core/checksums; it
    answers with the pristine tree's MD5s and records what it was asked."""
    from xuala.wsa import integrity

    pristine = write_wordpress(tmp_path / "service-release")
    sums = {p.relative_to(pristine).as_posix(): integrity.md5_of(p.read_bytes())
            for p in pristine.rglob("*") if p.is_file()}
    body = json.dumps({"checksums": sums}).encode()
    with internet(lambda path: (200, "application/json", body)) as (base, asked):
        monkeypatch.delenv("XUALA_WSA_OFFLINE")
        monkeypatch.setenv("XUALA_WSA_CHECKSUMS_URL",
                           base + "/core/checksums/1.0/?version={version}&locale=en_US")
        yield asked


def test_checksums_fetched_from_the_service_when_the_store_lacks_them(
        tmp_path, wsa_home, checksum_service):
    site = write_wordpress(tmp_path / "site")
    (site / "wp-includes" / "load.php").write_text("<?php // changed\n")
    code, report = scan_json(site)
    assert checksum_service == ["/core/checksums/1.0/?version=6.1.9&locale=en_US"]
    assert (wsa_home / "checksums" / "6.1.9.json").exists()
    assert "core-file-modified" in rules_of(report)
    assert code == 1


def test_offline_scan_does_not_ask_the_service(tmp_path, checksum_service):
    site = write_wordpress(tmp_path / "site")
    _, report = scan_json(site, "--offline")
    assert checksum_service == []
    assert {s["reason"] for s in report["skipped"]} == {
        "no checksums for WordPress 6.1.9: core integrity not checked"}
