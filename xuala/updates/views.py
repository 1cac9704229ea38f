"""The updates' pages: in the client area each site's next run (with "skip this week") and
its history of reports; in the console the runs, a run's report with its screenshots and
diff images, a site's settings, holds and held-back versions, and "run now". Thin views
over xuala.updates.services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xuala.core.actions import perform
from xuala.customers.models import Site
from xuala.policy.selectors import policy_active
from xuala.updates import selectors, services, store
from xuala.updates.models import HeldVersion, OnFailure, RunState, UpdateCheck, UpdateRun
from xuala.web.access import agent_required, client_view


def _report(request, run: UpdateRun, audience: str):
    base = "portal/base.html" if audience == "client" else "console/base.html"
    return render(request, "updates/report.html", {
        "run": run, "report": selectors.report_of(run), "audience": audience,
        "base_template": base, "policy_tz": policy_active().calendar.tz, "nav": "updates",
        "image_route": "updates_portal:image" if audience == "client"
        else "updates_console:image"})


def _image(check: UpdateCheck | None):
    path = store.image_path(check.image) if check is not None else None
    if path is None:
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/png")


# ---------------------------------------------------------------- client area

@client_view
@require_GET
def portal_index(request, customer):
    return render(request, "updates/portal_index.html", {
        "sites": selectors.customer_update_sites(customer=customer),
        "policy_tz": policy_active().calendar.tz})


@client_view
@require_GET
def portal_run(request, customer, pk: int):
    return _report(request, _found(selectors.run_for_customer(customer=customer, run_id=pk)),
                   "client")


@client_view
@require_GET
def portal_image(request, customer, check_id: int):
    return _image(selectors.check_for_customer(customer=customer, check_id=check_id))


def _found(value):
    """The customer's object the selector found; anything else is a 404."""
    if value is None:
        raise Http404
    return value


@client_view
@require_POST
def portal_hold(request, customer, site_id: int):
    site = _found(selectors.site_for_customer(customer=customer, site_id=site_id))
    day = formats.date_format(selectors.next_run_day(site), "DATE_FORMAT")
    perform(request, lambda: services.hold_week(site=site, by=request.user),
            errors=services.UpdateRefused,
            error_text=lambda _exc: _("This week's update can no longer be skipped: it has "
                                      "already started."),
            success=_("The update of %(site)s on %(day)s will be skipped; the next one runs "
                      "as usual.") % {"site": site.url, "day": day})
    return redirect("updates_portal:index")


@client_view
@require_POST
def portal_release(request, customer, site_id: int):
    site = _found(selectors.site_for_customer(customer=customer, site_id=site_id))
    services.hold_release(site=site, by=request.user)
    messages.success(request, _("The update of %(site)s will run as planned.") % {
        "site": site.url})
    return redirect("updates_portal:index")


# ---------------------------------------------------------------- console

@agent_required
@require_GET
def console_runs(request):
    state = request.GET.get("state", "")
    return render(request, "updates/console_runs.html", {
        "runs": selectors.runs_recent(state=state if state in RunState.values else ""),
        "upcoming": selectors.schedules_upcoming(), "states": RunState.choices,
        "state": state, "policy_tz": policy_active().calendar.tz, "nav": "updates"})


@agent_required
@require_GET
def console_run(request, pk: int):
    return _report(request, get_object_or_404(
        UpdateRun.objects.select_related("site", "ticket", "job"), pk=pk), "agent")


@agent_required
@require_GET
def console_image(request, pk: int):
    return _image(UpdateCheck.objects.filter(pk=pk).first())


@agent_required
@require_GET
def console_site(request, site_id: int):
    site = get_object_or_404(Site.objects.select_related("customer", "server"), pk=site_id)
    return render(request, "updates/console_site.html", {
        "site": site, "settings": services.site_settings(site),
        "choices": OnFailure.choices,
        "schedule": getattr(site, "updates_schedule", None),
        "held": selectors.next_run_held(site),
        "versions": HeldVersion.objects.filter(site=site, released_at__isnull=True),
        "runs": site.update_runs.select_related("ticket")[:30],
        "policy_tz": policy_active().calendar.tz, "nav": "updates"})


@agent_required
@require_POST
def console_run_now(request, site_id: int):
    site = get_object_or_404(Site, pk=site_id)
    started: list[UpdateRun] = []
    if perform(request, lambda: started.append(services.run_start(site=site, by=request.user)),
               errors=services.UpdateRefused, error_text=str,
               success=_("Update run queued on the site's node.")):
        return redirect("updates_console:run", started[0].pk)
    return redirect("updates_console:site", site.pk)


@agent_required
@require_POST
def console_settings(request, site_id: int):
    site = get_object_or_404(Site, pk=site_id)
    form = request.POST

    def save():
        try:
            threshold = float(form.get("visual_threshold", "").replace(",", "."))
        except ValueError:
            raise services.UpdateRefused(
                _("The visual threshold is a number such as 0.02.")) from None
        services.settings_save(
            site=site, on_failure=form.get("on_failure", ""), pages=form.get("pages", "").split(),
            visual_threshold=threshold, source=form.get("source", ""), by=request.user,
            keywords=services.keywords_parse(form.get("keywords", "").splitlines()))

    perform(request, save, errors=services.UpdateRefused, error_text=str,
            success=_("Update settings saved."))
    return redirect("updates_console:site", site.pk)


@agent_required
@require_POST
def console_release(request, pk: int):
    held = get_object_or_404(HeldVersion.objects.select_related("site"), pk=pk)
    services.held_version_release(held=held, by=request.user)
    messages.success(request, _("The next run will try this version again."))
    return redirect("updates_console:site", held.site_id)
