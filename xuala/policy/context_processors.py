"""Template context from the policy: the company's one name, as the policy file gives it."""

from __future__ import annotations

from xuala.policy.selectors import company_name


def company(request) -> dict:
    return {"company_name": company_name()}
