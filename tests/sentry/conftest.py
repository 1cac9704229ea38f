"""Sentry fixtures: one site farm (HTTP, HTTPS, its own CA) on loopback for the whole session."""

import pytest

from tests.sentry.farm import SiteFarm


@pytest.fixture(scope="session")
def farm():
    with SiteFarm() as running:
        yield running


@pytest.fixture
def site_farm(farm):
    """The session's farm, with any behaviour a test switched restored afterwards."""
    yield farm
    farm.overrides.clear()
