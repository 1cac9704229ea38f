"""Knowledge-base pages."""

from __future__ import annotations

from django.shortcuts import render

from xuala.kb.policy_article import build_article
from xuala.policy.selectors import policy_active


def policy_article(request):
    loaded = policy_active()
    return render(
        request,
        "kb/policy_article.html",
        {
            "title": loaded.policy.policy.name.get(request.LANGUAGE_CODE),
            "sections": build_article(loaded),
            "policy_sha": loaded.sha256[:12],
        },
    )
