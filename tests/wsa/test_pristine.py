"""The pristine-copy store that disinfection puts modified core files back from: filled from
the official download (a real HTTP server on loopback stands in for downloads.wordpress.org),
a local release archive or tree (Debian's own), each file checked against the checksum store;
and used by an audit on a node, where a missing copy goes to a technician."""

import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import Client

from tests.console.conftest import verify_session
from tests.nodes.agents import ClientDesk, drain
from tests.wsa.conftest import internet, write_wordpress, wsa
from xuala.customers.models import Site
from xuala.desk.models import Ticket
from xuala.nodes.models import Job
from xuala.nodes.services import node_token_create, site_attach
from xuala.wsa import integrity, pristine, services
from xuala.wsa.models import Action, Finding

DEBIAN = Path("/usr/share/wordpress")
TAMPERED = "<?php\nfunction wp_load_thing() { return 1; }\n@eval($_POST['x']);\n"


def release_zip(tree: Path, into: Path, *, changes: dict | None = None) -> bytes:
    """A release archive of ``tree`` as downloads.wordpress.org lays it out (wordpress/...),
    with ``changes`` (path -> text) written over some of its files."""
    archive = into / "release.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                rel = path.relative_to(tree).as_posix()
                bundle.writestr("wordpress/" + rel, (changes or {}).get(rel, path.read_bytes()))
    return archive.read_bytes()


@pytest.fixture
def release(tmp_path):
    """A synthetic release whose checksums are in the store (its files not kept)."""
    tree = write_wordpress(tmp_path / "release" / "wordpress")
    code, _ = wsa("checksums", "import", str(tree), "--no-pristine")
    assert code == 0 and not pristine.store_dir("6.1.9").exists()
    return tree


@pytest.fixture
def downloads(tmp_path, monkeypatch, release):
    """A real HTTP server on loopback standing in for downloads.wordpress.org/release/: it
    serves a zip of the release in which the mirror has altered one file."""
    body = release_zip(release, tmp_path, changes={"wp-login.php": "<?php // mirror's own\n"})

    def answer(path):
        found = path == "/release/wordpress-6.1.9.zip"
        return (200, "application/zip", body) if found else (404, "text/plain", b"")

    with internet(answer) as (base, asked):
        monkeypatch.delenv("XUALA_WSA_OFFLINE")
        monkeypatch.setenv("XUALA_WSA_RELEASES_URL", base + "/release/")
        yield asked


def test_the_release_is_downloaded_and_each_file_checked_before_it_is_stored(
        release, downloads):
    code, out = wsa("pristine", "import", "6.1.9")
    assert code == 0
    assert downloads == ["/release/wordpress-6.1.9.zip"]
    store = pristine.store_dir("6.1.9")
    assert (store / "wp-includes" / "load.php").read_bytes() == (
        release / "wp-includes" / "load.php").read_bytes()
    # The mirror's altered file does not match the checksum store: reported, not stored.
    assert not (store / "wp-login.php").exists()
    assert "1 differ from the release, not stored:\n  wp-login.php" in out
    assert "5 files checked and stored" in out


def test_offline_nothing_is_downloaded(release, downloads):
    with pytest.raises(CommandError, match="offline"):
        wsa("pristine", "import", "6.1.9", "--offline")
    assert downloads == []
    assert not pristine.store_dir("6.1.9").exists()


def test_without_checksums_nothing_is_accepted(tmp_path, wsa_home):
    tree = write_wordpress(tmp_path / "wordpress", version="6.2.1")
    with pytest.raises(CommandError, match=r"no checksums for WordPress 6\.2\.1"):
        wsa("pristine", "import", "6.2.1", "--from", str(tree), "--offline")
    assert not (wsa_home / "pristine").exists()


def test_a_source_of_another_version_is_refused(release, tmp_path):
    other = write_wordpress(tmp_path / "other", version="6.0.1")
    with pytest.raises(CommandError, match=r"is WordPress 6\.0\.1, not 6\.1\.9"):
        wsa("pristine", "import", "6.1.9", "--from", str(other))


def test_a_local_release_zip_fills_the_store(release, tmp_path):
    (tmp_path / "zip").mkdir()
    release_zip(release, tmp_path / "zip")
    archive = tmp_path / "zip" / "release.zip"
    code, out = wsa("pristine", "import", "6.1.9", "--from", str(archive))
    assert code == 0 and "6 files checked and stored" in out
    original = (release / "wp-login.php").read_bytes()
    assert pristine.pristine_file("6.1.9", "wp-login.php") == original


def test_debians_tree_gives_only_the_files_that_match_the_release(tmp_path):
    """Debian's package differs from upstream in some files: with a checksum store that
    disagrees on two of them and names one Debian lacks, those three are reported and the
    rest of Debian's tree is stored."""
    code, _ = wsa("checksums", "import", str(DEBIAN), "--no-pristine")
    assert code == 0
    sums = integrity.stored("6.1.9")
    upstream = dict(sums)
    upstream["wp-includes/functions.php"] = "0" * 32
    upstream["wp-admin/about.php"] = "1" * 32
    upstream["wp-includes/js/upstream-only.js"] = "2" * 32
    integrity.save("6.1.9", upstream)
    code, out = wsa("pristine", "import", "6.1.9", "--from", str(DEBIAN), "--offline")
    assert code == 0
    assert "2 differ from the release, not stored:\n  wp-admin/about.php\n" \
           "  wp-includes/functions.php" in out
    assert "1 not in the source:\n  wp-includes/js/upstream-only.js" in out
    store = pristine.store_dir("6.1.9")
    assert not (store / "wp-includes" / "functions.php").exists()
    assert (store / "wp-includes" / "load.php").read_bytes() == (
        DEBIAN / "wp-includes" / "load.php").read_bytes()
    assert pristine.pristine_file("6.1.9", "wp-includes/functions.php") is None


def test_checksum_paths_that_leave_the_store_are_never_written(release, tmp_path, wsa_home):
    sums = integrity.stored("6.1.9")
    integrity.save("6.1.9", {**sums, "../../escape.php": sums["index.php"]})
    code, _ = wsa("pristine", "import", "6.1.9", "--from", str(release), "--offline")
    assert code == 0
    assert not (wsa_home.parent / "escape.php").exists()
    assert not list(tmp_path.rglob("escape.php"))


# ---------------------------------------------------------------- on the node

@pytest.fixture
def tampered(client, plan_customer, tmp_path, release):
    """A plan site whose core file wp-includes/load.php carries a backdoor, on a node."""
    root = write_wordpress(tmp_path / "www" / "site", files={"wp-includes/load.php": TAMPERED})
    site = Site.objects.get(customer=plan_customer)
    site_attach(site=site, root=str(root))
    return site, root, ClientDesk(client, node_token_create(server=site.server).secret)


def _core_finding(site) -> Finding:
    return Finding.objects.get(audit__site=site, rule="core-file-modified",
                               path="wp-includes/load.php")


def test_an_audit_replaces_a_tampered_core_file_from_the_imported_store(tampered, release):
    site, root, desk = tampered
    code, _ = wsa("pristine", "import", "6.1.9", "--from", str(release))
    assert code == 0
    services.audit_start(site=site)
    drain(desk)
    finding = _core_finding(site)
    assert finding.action == Action.REPLACED
    assert (root / "wp-includes" / "load.php").read_bytes() == (
        release / "wp-includes" / "load.php").read_bytes()
    assert finding.quarantine_id  # the tampered copy kept, restorable
    # The backdoor's own finding in that core file is settled by the same replacement: a
    # core file is never quarantined (the site needs it).
    others = Finding.objects.filter(path="wp-includes/load.php").exclude(pk=finding.pk)
    assert {f.rule for f in others} >= {"php_exec_request_data"}
    assert {(f.action, f.action_job_id) for f in others} == {(Action.REPLACED,
                                                              finding.action_job_id)}
    assert not Job.objects.filter(kind="wsa.quarantine").exists()


def test_the_node_fetches_the_release_itself_when_its_store_lacks_it(tampered, release,
                                                                     downloads):
    site, root, desk = tampered
    services.audit_start(site=site)
    drain(desk)
    assert downloads == ["/release/wordpress-6.1.9.zip"]
    assert _core_finding(site).action == Action.REPLACED
    assert (root / "wp-includes" / "load.php").read_bytes() == (
        release / "wp-includes" / "load.php").read_bytes()


def test_a_missing_pristine_copy_goes_to_a_technician_then_approve_replaces_it(
        tampered, release, agent_user):
    site, root, desk = tampered
    audit = services.audit_start(site=site)
    drain(desk)
    finding = _core_finding(site)
    # Nothing touched; the finding waits for a technician and says why.
    assert finding.action == Action.PROPOSED
    assert finding.detail["pristine_missing"] and finding.detail["version"] == "6.1.9"
    assert (root / "wp-includes" / "load.php").read_text() == TAMPERED
    audit.refresh_from_db()
    ticket = Ticket.objects.get(pk=audit.ticket_id)
    assert any("xuala wsa pristine import 6.1.9" in m.body_text
               for m in ticket.messages.all())
    console = Client()
    verify_session(console, agent_user)
    page = console.get(f"/en/console/wsa/audits/{audit.pk}/").content.decode()
    assert "No checked original copy of this file for WordPress 6.1.9" in page
    assert f"/en/console/wsa/findings/{finding.pk}/approve/" in page

    # The operator fills the node's store; the agent approves; the file is put back.
    assert wsa("pristine", "import", "6.1.9", "--from", str(release))[0] == 0
    assert console.post(f"/en/console/wsa/findings/{finding.pk}/approve/").status_code == 302
    drain(desk)
    finding.refresh_from_db()
    assert finding.action == Action.REPLACED
    assert (root / "wp-includes" / "load.php").read_bytes() == (
        release / "wp-includes" / "load.php").read_bytes()


def test_checksums_import_keeps_its_source_in_the_pristine_store(tmp_path):
    tree = write_wordpress(tmp_path / "wordpress")
    code, out = wsa("checksums", "import", str(tree))
    assert code == 0 and "6 files kept in the pristine store" in out
    assert json.loads((integrity.store_dir() / "6.1.9.json").read_text())
    assert pristine.pristine_file("6.1.9", "index.php") == (tree / "index.php").read_bytes()


def test_a_tree_named_in_xuala_wsa_pristine_serves_too(release, monkeypatch):
    monkeypatch.setenv("XUALA_WSA_PRISTINE", str(release))
    original = (release / "wp-login.php").read_bytes()
    assert pristine.pristine_file("6.1.9", "wp-login.php") == original
    (release / "wp-login.php").write_text("<?php // changed since\n")
    assert pristine.pristine_file("6.1.9", "wp-login.php") is None
