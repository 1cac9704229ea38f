"""The demo's local node: `xuala run` starts it, and an audit of the demo site cleans it."""

from pathlib import Path

from tests.nodes.agents import ClientDesk, drain
from xuala.core.demo import demo_load
from xuala.core.processes import desk_processes
from xuala.customers.models import Site
from xuala.nodes.services import node_token_create
from xuala.wsa import services
from xuala.wsa.models import Action


def test_the_demo_site_is_audited_by_the_local_node_and_its_backdoor_quarantined(
        client, db, monkeypatch, tmp_path):
    monkeypatch.setenv("XUALA_WSA_HOME", str(tmp_path / "wsa"))
    monkeypatch.setenv("XUALA_WSA_OFFLINE", "1")
    demo_load()
    site = Site.objects.get(url="https://www.cliente-demo.es/")
    names = {s.name for s in desk_processes(host="127.0.0.1", port=8000, web_workers=1)}
    assert f"node-{site.server.name}" in names
    audit = services.audit_start(site=site)
    drain(ClientDesk(client, node_token_create(server=site.server).secret))
    shell = audit.findings.get(path="wp-content/uploads/2026/03/cache.php",
                               rule="php_exec_request_data")
    assert shell.action == Action.QUARANTINED
    others = audit.findings.filter(path=shell.path).exclude(rule="recently-changed")
    assert {f.action for f in others} == {Action.QUARANTINED}
    assert not (Path(site.root.path)
                / "wp-content/uploads/2026/03/cache.php").exists()
