"""The node commands: tokens, sites attach, the CSV root column, the local node of xuala run."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from xuala.core.processes import desk_processes
from xuala.customers.models import Site
from xuala.customers.services import customers_import
from xuala.nodes.models import NodeToken, SiteRoot
from xuala.nodes.services import node_mark_local, node_token_authenticate


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_token_create_prints_a_token_that_authenticates_as_the_server(db):
    factories.server("xc-web-07")
    secret = run("node", "token", "create", "--server", "xc-web-07")
    assert node_token_authenticate(secret=secret).server.name == "xc-web-07"
    assert NodeToken.objects.get().key_hash != secret


def test_token_create_for_an_unknown_server_fails(db):
    with pytest.raises(CommandError, match="no hosting server"):
        run("node", "token", "create", "--server", "nope")


def test_sites_attach_records_the_root_and_the_server(plan_customer):
    site = Site.objects.get(customer=plan_customer)
    factories.server("xc-web-09")
    run("sites", "attach", site.url, "--root", "/srv/www/demo/", "--server", "xc-web-09")
    site.refresh_from_db()
    assert (site.root.path, site.server.name) == ("/srv/www/demo", "xc-web-09")


def test_sites_attach_refuses_a_relative_root(plan_customer):
    site = Site.objects.get(customer=plan_customer)
    with pytest.raises(CommandError, match="absolute"):
        run("sites", "attach", site.url, "--root", "www/demo")
    assert not SiteRoot.objects.exists()


def test_the_csv_import_attaches_a_root(db):
    report = customers_import(text=(
        "customer,contact_email,server,site_url,root\n"
        "Raiz SL,ana@raiz.es,xc-web-03,https://raiz.es/,/srv/www/raiz\n"))
    assert report.ok, report.errors
    assert SiteRoot.objects.get().path == "/srv/www/raiz"


def test_xuala_run_starts_a_node_for_a_local_server_with_attached_sites(plan_customer):
    names = {spec.name for spec in desk_processes(host="127.0.0.1", port=8000, web_workers=1)}
    assert "wsa" in names and not any(n.startswith("node-") for n in names)
    site = Site.objects.get(customer=plan_customer)
    run("sites", "attach", site.url, "--root", "/srv/www/demo")
    node_mark_local(server=site.server)
    specs = {s.name: s for s in desk_processes(host="0.0.0.0", port=8000, web_workers=1)}  # noqa: S104
    node = specs[f"node-{site.server.name}"]
    assert "http://127.0.0.1:8000" in node.argv
    token_file = node.argv[node.argv.index("--token-file") + 1]
    with open(token_file) as handle:
        assert node_token_authenticate(secret=handle.read()).server == site.server
    assert not any("xn_" in arg for arg in node.argv)


def test_the_agent_refuses_plain_http_to_a_desk_that_is_not_on_loopback(db):
    with pytest.raises(CommandError, match="https"):
        run("node", "run", "--desk", "http://desk.example.com", "--token", "xn_x", "--once")
