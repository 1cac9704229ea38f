"""§6.3.2 through the API: an agent's ticket list follows the policy's queue order."""

from __future__ import annotations

from tests.console.conftest import madrid, open_ticket
from tests.policy.copies import policy_copy


def _ids(agent_api) -> list[int]:
    response = agent_api.get("/api/v1/tickets", headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return [item["id"] for item in items]


def test_plan_clients_requests_come_before_older_standard_ones(agent_api, plan_customer,
                                                                hosting_customer, tmp_path,
                                                                settings):
    older = open_ticket(hosting_customer, subject="Consulta antigua", at=madrid(23, 9))
    plan = open_ticket(plan_customer, subject="Consulta del plan", at=madrid(25, 9))
    emergency = open_ticket(hosting_customer, subject="Web caída", at=madrid(25, 11),
                            ticket_class="emergency")
    assert older.due_at < plan.due_at
    assert _ids(agent_api)[:3] == [emergency.pk, plan.pk, older.pk]
    policy_copy(tmp_path, settings, ('order = "plan_first"', 'order = "due_first"'))
    assert _ids(agent_api)[:3] == [emergency.pk, older.pk, plan.pk]
