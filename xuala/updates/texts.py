"""What a run says: to the client (the report mail, the urgent ticket, the client area) in
her language, and to the agents (the evidence note) in plain technical English."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from xuala.core.links import public_url
from xuala.desk.services import UrgentWords
from xuala.policy.selectors import company_name, policy_active
from xuala.updates.models import ComponentStatus, UpdateComponent, UpdateRun


def when_text(instant) -> str:
    """An instant in the policy's time zone, in the active language."""
    zone = policy_active().calendar.tz
    return f"{formats.date_format(instant.astimezone(zone), 'DATETIME_FORMAT')} ({zone.key})"


def component_words(component: UpdateComponent) -> str:
    """Why a component was not updated, for the client: no internals, no paths."""
    reason = component.reason.lower()
    if component.status == ComponentStatus.HELD_BACK:
        return _("this version failed on your site before; we will try the next one")
    if component.status != ComponentStatus.ROLLED_BACK:
        return ""
    if "visual" in reason:
        return _("your pages looked different after it, so we put the previous version back")
    if "fatal" in reason or "error" in reason or "status" in reason:
        return _("your site showed errors after it, so we put the previous version back")
    return _("our checks failed after it, so we put the previous version back")


def component_line(component: UpdateComponent) -> str:
    name = component.name or component.slug
    if component.status == ComponentStatus.UPDATED:
        return _("%(name)s: updated from %(old)s to %(new)s") % {
            "name": name, "old": component.from_version, "new": component.to_version}
    if component.status == ComponentStatus.UNCHANGED:
        return _("%(name)s %(version)s: already up to date") % {
            "name": name, "version": component.from_version}
    return _("%(name)s: stays at %(old)s (%(new)s %(why)s)") % {
        "name": name, "old": component.from_version, "new": component.to_version,
        "why": component_words(component)}


def portal_link(run: UpdateRun, language: str) -> str:
    with translation.override(language):
        return public_url(reverse("updates_portal:run", args=[run.pk]))


def report_mail(run: UpdateRun, language: str) -> tuple[str, str]:
    """The subject and text of the report mailed to the client after a run."""
    components = list(run.components.all())
    with translation.override(language):
        changed = [c for c in components if c.status == ComponentStatus.UPDATED]
        kept = [c for c in components if c.status in (ComponentStatus.ROLLED_BACK,
                                                       ComponentStatus.HELD_BACK)]
        if kept:
            subject = _("Weekly update of %(site)s: some components were not updated") % {
                "site": run.site.url}
        else:
            subject = _("Weekly update of %(site)s: done") % {"site": run.site.url}
        lines = [_("Hello,"), "",
                 _("We have carried out the weekly update of %(site)s (%(when)s).") % {
                     "site": run.site.url, "when": when_text(run.finished_at)}, ""]
        if changed:
            lines += [_("Updated:")] + [f"- {component_line(c)}" for c in changed] + [""]
        if kept:
            lines += [_("Not updated, to keep your site working:")]
            lines += [f"- {component_line(c)}" for c in kept] + [""]
        if not changed and not kept:
            lines += [_("Everything was already up to date."), ""]
        if run.ticket_id:
            lines += [_("Our technicians are reviewing it as an emergency in request "
                        "%(ref)s.") % {"ref": run.ticket.reference}, ""]
        lines += [_("A copy of your site was kept before the update, so that any change "
                    "can be undone."),
                  _("The full report, with screenshots, is in your Client Area:"),
                  portal_link(run, language), "", company_name()]
    return subject, "\n".join(lines)


def failed_words(run: UpdateRun):
    """The words of the urgent ticket a failed run opens or joins, in a given language."""

    def words(language: str) -> UrgentWords:
        with translation.override(language):
            kept = [c for c in run.components.all() if c.status == ComponentStatus.ROLLED_BACK]
            if kept:
                what = _("These components broke your site and were rolled back to their "
                         "previous version, files and database, so it works as before:")
                what += "\n" + "\n".join(f"- {component_line(c)}" for c in kept)
            elif run.error:
                what = _("The update could not be carried out; nothing on your site was "
                         "changed.")
            else:
                what = _("Some pages of your site do not pass our checks after the update.")
            subject = _("The weekly update of %(site)s needs a review") % {"site": run.site.url}
            opened = "\n\n".join([
                _("Hello,"), _("During the weekly update of %(site)s we found a problem.") % {
                    "site": run.site.url}, what,
                _("Our technicians are reviewing it as an emergency and will write to you "
                  "here. The full report is in your Client Area:") + "\n"
                + portal_link(run, language), company_name()])
            joined = "\n\n".join([
                _("Another update of %(site)s has found a problem.") % {"site": run.site.url},
                what, portal_link(run, language)])
        return UrgentWords(subject=subject, opened=opened, joined=joined)

    return words


def evidence(run: UpdateRun) -> str:
    """The technical report for the agents' note on the urgent ticket."""
    with translation.override("en"):
        console = public_url(reverse("updates_console:run", args=[run.pk]))
    lines = [f"Update run {run.pk} of {run.site.url} ({run.trigger}), ok={run.ok}",
             f"Core: {run.core_from or '?'} -> {run.core_to or '?'}"]
    if run.error:
        lines.append(f"Error: {run.error}")
    for c in run.components.all():
        lines.append(f"- {c.type} {c.slug} {c.from_version} -> {c.to_version}: {c.status}"
                     + (f" ({c.reason})" if c.reason else ""))
    failing = [check for check in run.checks.all() if not check.ok]
    if failing:
        lines.append("Failing checks:")
        lines += [f"- {check.phase} {check.page}: status {check.status}, "
                  f"{'; '.join(map(str, check.problems)) or 'no detail'}"
                  + (f", diff {check.diff:.1%}" if check.diff is not None else "")
                  for check in failing]
    if run.log:
        lines += ["Log (last lines):"] + [f"  {line}" for line in run.log[-20:]]
    lines.append(f"Report: {console}")
    return "\n".join(lines)
