"""The WSA's pages: audit reports in the client area (and their PDF), and in the console the
audits of a site with the buttons that start one, approve a proposed cleaning or restore a
quarantined file. Thin views over xuala.wsa.services and selectors."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from xuala.customers.models import Site
from xuala.web.access import agent_required, client_view
from xuala.wsa import selectors, services
from xuala.wsa.admins import known_logins
from xuala.wsa.models import Action, Audit, Finding, Suspension
from xuala.wsa.report import audit_pdf, report_words

# ---------------------------------------------------------------- client area

def _client_audit(customer, pk: int) -> Audit:
    """The customer's audit ``pk``; anyone else's, or none, is a 404."""
    audit = selectors.audit_for_customer(customer=customer, audit_id=pk)
    if audit is None:
        raise Http404
    return audit


@client_view
@require_GET
def portal_audits(request, customer):
    return render(request, "wsa/portal_audits.html", {
        "audits": selectors.audits_of_customer(customer=customer)[:50]})


@client_view
@require_GET
def portal_audit(request, customer, pk: int):
    audit = _client_audit(customer, pk)
    return render(request, "wsa/report.html", {"audit": audit, **report_words(audit),
                                               "base_template": "portal/base.html",
                                               "audience": "client"})


@client_view
@require_GET
def portal_audit_pdf(request, customer, pk: int):
    audit = _client_audit(customer, pk)
    response = HttpResponse(audit_pdf(audit, language=get_language()),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="audit-{audit.pk}.pdf"'
    return response


@client_view
@require_POST
def portal_admin_answer(request, customer, finding_id: int):
    """The client answers "is this administrator yours?" for a finding of its own audit."""
    finding = selectors.admin_question_for_customer(customer=customer, finding_id=finding_id)
    if finding is None:
        raise Http404
    answer = request.POST.get("answer", "")
    if answer not in ("mine", "not_mine"):
        messages.error(request, _("Choose whether the administrator is yours."))
    else:
        services.admin_answer(finding=finding, by=request.user, mine=answer == "mine")
        messages.success(request, _("Thank you: it stays, and later audits will not ask "
                                    "again.") if answer == "mine" else
                         _("Thank you: its administrator role is being removed from your "
                           "site."))
    return redirect("wsa_portal:audit", finding.audit_id)


# ---------------------------------------------------------------- console

@agent_required
@require_GET
def console_sites(request):
    """Every audited site: its last audit, its next one, any suspension."""
    return render(request, "wsa/console_sites.html", {
        "rows": selectors.sites_overview(), "nav": "wsa",
        "interval_days": services.audit_interval().days})


@agent_required
@require_GET
def console_site(request, site_id: int):
    site = get_object_or_404(Site.objects.select_related("customer"), pk=site_id)
    return render(request, "wsa/console_site.html", {
        "site": site, "audits": site.audits.annotate(found=Count("findings"))[:30],
        "suspensions": site.suspensions.all()[:10], "nav": "wsa",
        "known_admins": known_logins(site), "suspend_form": SuspendForm()})


@agent_required
@require_GET
def console_audit(request, pk: int):
    audit = get_object_or_404(Audit.objects.select_related("site", "job"), pk=pk)
    return render(request, "wsa/report.html", {
        "audit": audit, **report_words(audit),
        "findings": audit.findings.select_related("action_job"),
        "base_template": "console/base.html", "audience": "agent", "Action": Action,
        "nav": "wsa"})


@agent_required
@require_POST
def console_audit_now(request, site_id: int):
    site = get_object_or_404(Site, pk=site_id)
    audit = services.audit_start(site=site, by=request.user)
    messages.success(request, _("Audit queued on the site's node."))
    return redirect("wsa_console:audit", audit.pk)


class SuspendForm(forms.Form):
    until = forms.DateField(label=_lazy("Until the end of the day"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_lazy("Reason, told to the client"), max_length=500)


@agent_required
@require_POST
def console_suspend(request, site_id: int):
    """§6.3.3: the site closed for cleaning until the end of a day (at most 15 days)."""
    site = get_object_or_404(Site, pk=site_id)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("wsa_console:site", site.pk)
    try:
        services.site_suspend(site=site, until=services.suspension_end(form.cleaned_data["until"]),
                              reason=form.cleaned_data["reason"], by=request.user)
    except services.SuspensionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Site suspended; the node puts up the maintenance page."))
    return redirect("wsa_console:site", site.pk)


@agent_required
@require_POST
def console_resume(request, pk: int):
    suspension = get_object_or_404(Suspension, pk=pk, is_active=True)
    services.site_resume(suspension=suspension)
    messages.success(request, _("Suspension lifted; the node takes the maintenance page down."))
    return redirect("wsa_console:site", suspension.site_id)


@agent_required
@require_POST
def console_finding_approve(request, pk: int):
    finding = get_object_or_404(Finding.objects.exclude(remedy=""), pk=pk,
                                action__in=[Action.PROPOSED, Action.FAILED])
    services.finding_clean(finding=finding, by=request.user)
    messages.success(request, _("Cleaning approved and queued on the site's node."))
    return redirect("wsa_console:audit", finding.audit_id)


@agent_required
@require_POST
def console_finding_keep(request, pk: int):
    finding = get_object_or_404(Finding.objects.select_related("audit__site"), pk=pk,
                                action=Action.PROPOSED)
    services.finding_keep(finding=finding, by=request.user)
    messages.success(request, _("Kept: nothing is changed on the site, and later audits "
                                "treat it as sound."))
    return redirect("wsa_console:audit", finding.audit_id)


@agent_required
@require_POST
def console_finding_restore(request, pk: int):
    finding = get_object_or_404(Finding, pk=pk)
    if not finding.quarantine_id:
        raise Http404
    services.quarantine_restore(finding=finding, by=request.user)
    messages.success(request, _("Restore queued on the site's node."))
    return redirect("wsa_console:audit", finding.audit_id)
