"""Fixtures for the anti-spam service tests: a plan site with a key, and a site without a plan."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.api.conftest import agent_api, hosting_client, plan_client  # noqa: F401
from xuala.antispam import limits, live
from xuala.antispam.services import antispam_key_create

PLAN_BLOG = "https://www.cliente-demo.es/"


@pytest.fixture(autouse=True)
def fresh_rate_counts(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the verdict journal of served checks (live.journal_folder)
    cache.clear()
    live.STATE.reset()
    limits.DB = limits.DbCounts()
    yield
    cache.clear()
    live.STATE.reset()


@pytest.fixture
def plan_site(plan_customer):
    return plan_customer.sites.get()


@pytest.fixture
def plan_key(plan_site) -> str:
    return antispam_key_create(site=plan_site).secret


@pytest.fixture
def no_plan_key(hosting_customer) -> str:
    return antispam_key_create(site=hosting_customer.sites.get()).secret


class Akismet:
    """Posts form-encoded calls to /akismet/1.1/ through Django's test client."""

    def __init__(self, client, key: str):
        self.client, self.key = client, key

    def post(self, endpoint: str, **fields):
        data = {"api_key": self.key, "blog": PLAN_BLOG, **fields}
        data = {name: value for name, value in data.items() if value is not None}
        return self.client.post(f"/akismet/1.1/{endpoint}", data)


@pytest.fixture
def akismet(client, plan_key) -> Akismet:
    return Akismet(client, plan_key)
