"""The desk's update tests: a plan site on a node, its Online Sentry monitor, and a store of
images of each test's own."""

import pytest

from xuala.customers.models import Site
from xuala.nodes.services import site_attach
from xuala.sentry.models import Monitor, MonitorKind


@pytest.fixture(autouse=True)
def updates_dir(tmp_path, settings):
    settings.XUALA_UPDATE_IMAGES_DIR = tmp_path / "updates-store"
    return settings.XUALA_UPDATE_IMAGES_DIR


@pytest.fixture
def site(plan_customer, tmp_path) -> Site:
    """The plan customer's site, its files at tmp_path on server xc-web-01."""
    return site_attach(site=Site.objects.get(customer=plan_customer), root=str(tmp_path)).site


@pytest.fixture
def monitor(site) -> Monitor:
    return Monitor.objects.create(kind=MonitorKind.SITE, site=site, customer=site.customer,
                                  name=site.url, url=site.url, state="up")
