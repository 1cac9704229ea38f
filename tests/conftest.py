import pytest

from tests import factories
from tests.clock_ahead import (  # noqa: F401  (the --clock-ahead option's hooks)
    _no_child_processes_under_a_moved_clock,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_report_header,
    pytest_unconfigure,
)


@pytest.fixture
def plan_customer(db):
    return factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                              plan="cobertura-mensual")


@pytest.fixture
def hosting_customer(db):
    return factories.customer(name="Sin Plan SL", email="luis@sinplan-demo.es")


@pytest.fixture
def lapsed_customer(db):
    return factories.customer(name="Antiguo SL", email="eva@antiguo.es", service=False)


@pytest.fixture
def agent_user(db):
    return factories.agent()
