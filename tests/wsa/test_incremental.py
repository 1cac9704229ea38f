"""The per-site index: an unchanged file is never read again; --full reads everything."""

from tests.wsa.conftest import scan_json

BACKDOOR = "<?php eval($_POST['x']);\n"


def _site(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.php").write_text("<?php echo 'a';\n")
    (site / "b.php").write_text(BACKDOOR)
    return site


def test_unchanged_tree_is_not_read_again_and_keeps_its_findings(tmp_path):
    site = _site(tmp_path)
    _, first = scan_json(site)
    code, second = scan_json(site)
    assert first["bytes"] > 0
    assert second["bytes"] == 0
    assert second["files"] == 2
    assert second["findings"] == first["findings"]
    assert code == 1


def test_only_the_changed_file_is_read(tmp_path):
    site = _site(tmp_path)
    scan_json(site)
    (site / "a.php").write_text("<?php system($_GET['c']);\n")
    _, report = scan_json(site)
    assert report["bytes"] == len("<?php system($_GET['c']);\n")
    assert {f["path"] for f in report["findings"]} == {"a.php", "b.php"}


def test_full_reads_every_file(tmp_path):
    site = _site(tmp_path)
    _, first = scan_json(site)
    _, again = scan_json(site, "--full")
    assert again["bytes"] == first["bytes"]


def test_every_nth_audit_is_full(tmp_path):
    from xuala.wsa.scan import scan_tree

    site = _site(tmp_path)
    index = tmp_path / "index.json"
    reads = [scan_tree(site, index=index, full_every=3).bytes for _ in range(6)]
    assert [bool(r) for r in reads] == [True, False, True, False, False, True]


def test_no_index_reads_every_time(tmp_path):
    site = _site(tmp_path)
    scan_json(site, "--no-index")
    _, again = scan_json(site, "--no-index")
    assert again["bytes"] > 0
