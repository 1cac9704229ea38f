import pytest

from tests import factories
from xuala.customers.models import Site
from xuala.nodes.services import node_token_create, site_attach


@pytest.fixture
def site_a(plan_customer, tmp_path):
    site = Site.objects.get(customer=plan_customer)
    root = tmp_path / "site-a"
    root.mkdir()
    site_attach(site=site, root=str(root))
    return site


@pytest.fixture
def other_site(db, tmp_path):
    cust = factories.customer(name="Otra SL", email="eva@otra-demo.es", plan="cobertura-mensual")
    site = Site.objects.get(customer=cust)
    root = tmp_path / "site-b"
    root.mkdir()
    site_attach(site=site, root=str(root), server=factories.server("xc-web-02"))
    return site


@pytest.fixture
def node_a(site_a):
    return node_token_create(server=site_a.server)


@pytest.fixture
def node_b(other_site):
    return node_token_create(server=other_site.server)


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
