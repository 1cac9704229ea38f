"""The learned triage in the agent console: the "Triage model" page (the model in use, its
score, the retrainings with both scores and their decision, the agents' examples)."""

from __future__ import annotations

from django.shortcuts import render

from xuala.policy.selectors import policy_active
from xuala.triage.selectors import model_status
from xuala.web.access import agent_required


@agent_required
def model_view(request):
    loaded = policy_active()
    return render(request, "triage/model.html", {
        "status": model_status(loaded.policy), "policy_tz": loaded.calendar.tz, "nav": "triage"})
