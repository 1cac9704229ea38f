"""The desk's side of `xuala wsa`: audit now, suspend, resume (faces over xuala.wsa.services)."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone, translation


def _site(url: str):
    from xuala.customers.models import Site

    sites = [s for s in Site.objects.filter(url__startswith=url.rstrip("/"))
             if s.url.rstrip("/") == url.rstrip("/")]
    if len(sites) != 1:
        raise CommandError(f"{'no' if not sites else 'more than one'} site with URL {url}")
    return sites[0]


def _instant(text: str) -> datetime:
    from xuala.policy.selectors import policy_active

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until: not an ISO date or date-time: {text!r}") from None
    if len(text) <= 10:
        from xuala.wsa.services import suspension_end

        return suspension_end(value.date())
    if timezone.is_naive(value):
        value = value.replace(tzinfo=policy_active().calendar.tz)
    return value


def desk_action(command, action: str, options: dict) -> None:
    from xuala.wsa import services
    from xuala.wsa.models import Suspension

    site = _site(options["site_url"])
    if action == "audit":
        if not hasattr(site, "root"):
            raise CommandError(f"{site.url} has no document root: xuala sites attach first")
        audit = services.audit_start(site=site)
        command.stdout.write(f"audit {audit.pk} queued (job {audit.job_id}) for {site.url}")
    elif action == "suspend":
        try:
            with translation.override(None):  # the command speaks English, like its help
                suspension = services.site_suspend(site=site, until=_instant(options["until"]),
                                                   reason=options["reason"])
        except services.SuspensionRefused as exc:
            raise CommandError(str(exc)) from None
        command.stdout.write(f"{site.url} suspended until {suspension.ends_at.isoformat()}")
    else:
        active = list(Suspension.objects.filter(site=site, is_active=True))
        for suspension in active:
            services.site_resume(suspension=suspension)
        command.stdout.write(f"{site.url}: {len(active)} suspension(s) lifted")
