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


@pytest.fixture
def keyword_rules(tmp_path, settings):
    """The shipped policy with the learned triage off (`[triage] model = false`): free text is
    matched against the scope rules' keywords, and a judgement that changes the outcome is
    always a proposal for an agent. For tests about the keyword rules themselves."""
    from tests.policy.copies import policy_copy

    return policy_copy(tmp_path, settings, ("[triage]\nthreshold = 0.5\nmodel = true",
                                            "[triage]\nthreshold = 0.5\nmodel = false"))


@pytest.fixture
def unsure_model(tmp_path, settings):
    """The shipped policy with the learned triage's threshold at 1: no probability reaches
    it, so every free-text decision is uncertain and proposed to an agent (the model's rule,
    probability and words shown). For tests about what an agent does with a proposal."""
    from tests.policy.copies import policy_copy

    return policy_copy(tmp_path, settings, ("[triage]\nthreshold = 0.5\nmodel = true",
                                            "[triage]\nthreshold = 1.0\nmodel = true"))
