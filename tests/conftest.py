import pytest

from tests import factories


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
