"""Anti-spam in the agent console: each site's figures, its recent verdicts, an agent's correction.

Mounted at console/antispam/ inside i18n_patterns (Spanish at /console/antispam/, English at
/en/console/antispam/). A correction is the same feedback as a site's submit-spam/submit-ham
(`antispam_correct`): the site's model learns it at once.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xuala.antispam import selectors, services
from xuala.antispam.models import Check
from xuala.customers.models import Site
from xuala.web.access import agent_required

FIGURES_DAYS = 30


@agent_required
@require_GET
def sites_view(request):
    """Every site with an anti-spam key and its figures over the last 30 days."""
    since = timezone.now() - timedelta(days=FIGURES_DAYS)
    rows = [{"site": site, "figures": selectors.site_figures(site=site, since=since)}
            for site in selectors.sites_with_keys()]
    return render(request, "antispam/console_sites.html", {
        "rows": rows, "days": FIGURES_DAYS, "nav": "antispam",
        "headings": [_("Site"), _("Customer"), _("Checked"), _("Spam"),
                     _("False positives reported"), _("Spam let through")],
        "empty": _("No site has an anti-spam key yet.")})


@agent_required
@require_GET
def site_view(request, pk: int):
    """A site's recent verdicts with their reasons, each correctable."""
    site = get_object_or_404(Site.objects.select_related("customer"), pk=pk)
    since = timezone.now() - timedelta(days=FIGURES_DAYS)
    return render(request, "antispam/console_site.html", {
        "site": site, "checks": list(selectors.site_recent_checks(site=site, limit=50)),
        "figures": selectors.site_figures(site=site, since=since), "days": FIGURES_DAYS,
        "nav": "antispam",
        "headings": [_("When"), _("Verdict"), _("Submission"), _("Reasons"), _("Correction")],
        "empty": _("This site has no verdicts yet.")})


@agent_required
@require_POST
def correct_view(request, pk: int):
    """An agent says what a verdict should have been: feedback the site's model learns."""
    check = get_object_or_404(Check.objects.select_related("site"), pk=pk)
    label = request.POST.get("label", "")
    if label not in ("spam", "ham"):
        messages.error(request, _("Choose spam or not spam."))
    else:
        services.antispam_correct(check=check, spam=label == "spam", actor=request.user)
        messages.success(request, _("Correction saved: the site's filter has learnt it."))
    return redirect("antispam_console:site", pk=check.site_id)
