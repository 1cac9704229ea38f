"""The agents' view of the knowledge base: every article with its helpful / not-helpful
tallies, per language and together."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xuala.kb import selectors, services
from xuala.web.access import agent_required


@require_GET
@agent_required
def articles(request):
    services.policy_articles_sync()
    return render(request, "kb/console_articles.html", {
        "rows": selectors.tallies_by_article(),
        "languages": selectors.tallies_by_language(),
        "title": _("Knowledge base"),
        "nav": "kb",
    })
