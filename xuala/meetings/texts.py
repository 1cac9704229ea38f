"""Texts of meeting mails and invitations, in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from django.utils import formats, translation
from django.utils.translation import gettext as _

from xuala.policy.loader import LoadedPolicy


def when(instant: datetime, tz: tzinfo) -> str:
    """"jueves 26 noviembre 2026, 09:00 (CET)" in the active language."""
    local = instant.astimezone(tz)
    return f"{formats.date_format(local, 'l j F Y')}, {local:%H:%M} ({local.tzname()})"


def slot_label(starts_at: datetime, ends_at: datetime, tz: tzinfo) -> str:
    """"jueves 26 noviembre 2026, 09:00–09:30 (CET)" in the active language."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return (f"{formats.date_format(start, 'l j F Y')}, {start:%H:%M}–{end:%H:%M} "
            f"({start.tzname()})")


def minutes(length) -> int:
    return int(length.total_seconds() // 60)


def _sign_off(loaded: LoadedPolicy) -> list[str]:
    return ["", loaded.policy.policy.company]


def offer_mail(*, ticket, slots: Sequence, loaded: LoadedPolicy, url: str) -> tuple[str, str]:
    rules = loaded.policy.meetings
    tz = loaded.calendar.tz
    with translation.override(ticket.language):
        subject = _("[%(ref)s] Choose a time for your meeting") % {"ref": ticket.reference}
        lines = [
            _("Hello,"),
            "",
            _("For your request %(ref)s “%(subject)s” we offer you these times for a virtual "
              "meeting of %(minutes)d minutes:") % {
                "ref": ticket.reference, "subject": ticket.subject,
                "minutes": minutes(rules.length)},
            "",
            *(f"  - {slot_label(s.starts_at, s.ends_at, tz)}" for s in slots),
            "",
            _("Choose one in your Client Area: %(url)s") % {"url": url},
            _("If none suits you, you can propose other times on the same page."),
            _("Personal help is given in a virtual meeting, never by phone (Technical Support "
              "Policy, clause %(clause)s).") % {"clause": rules.clause},
            *_sign_off(loaded),
        ]
    return subject, "\n".join(lines)


def invitation_summary(*, ticket, loaded: LoadedPolicy, language: str) -> str:
    with translation.override(language):
        return _("%(company)s support meeting (%(ref)s)") % {
            "company": loaded.policy.policy.infrastructure, "ref": ticket.reference}


def invitation_description(*, ticket, room_url: str, loaded: LoadedPolicy,
                           language: str) -> str:
    with translation.override(language):
        return "\n".join([
            _("Virtual meeting about request %(ref)s “%(subject)s”.") % {
                "ref": ticket.reference, "subject": ticket.subject},
            _("Join the video call: %(url)s") % {"url": room_url},
            _("Personal help is given in a virtual meeting, never by phone (Technical Support "
              "Policy, clause %(clause)s).") % {"clause": loaded.policy.meetings.clause},
        ])


INVITATION_KINDS = ("confirmed", "rescheduled", "cancelled", "reminder", "withdrawn")


def invitation_mail(*, kind: str, meeting, ticket, language: str, tz: tzinfo,
                    loaded: LoadedPolicy, url: str, for_agent: bool) -> tuple[str, str]:
    """Subject and text of the mail that carries an invitation (or a reminder)."""
    if kind not in INVITATION_KINDS:
        raise ValueError(kind)
    with translation.override(language):
        at = when(meeting.starts_at, tz)
        ref = ticket.reference
        subject = {
            "confirmed": _("[%(ref)s] Meeting confirmed: %(when)s"),
            "rescheduled": _("[%(ref)s] Meeting moved to %(when)s"),
            "cancelled": _("[%(ref)s] Meeting cancelled: %(when)s"),
            "withdrawn": _("[%(ref)s] Meeting cancelled: %(when)s"),
            "reminder": _("[%(ref)s] Reminder: meeting at %(when)s"),
        }[kind] % {"ref": ref, "when": at}
        lead = {
            "confirmed": _("Your virtual meeting about request %(ref)s “%(subject)s” is "
                           "confirmed."),
            "rescheduled": _("Your virtual meeting about request %(ref)s “%(subject)s” has "
                             "been moved to a new time."),
            "cancelled": _("Your virtual meeting about request %(ref)s “%(subject)s” has been "
                           "cancelled."),
            "withdrawn": _("You no longer take part in the virtual meeting about request "
                           "%(ref)s “%(subject)s”."),
            "reminder": _("This is a reminder of your virtual meeting about request %(ref)s "
                          "“%(subject)s”."),
        }[kind] % {"ref": ref, "subject": ticket.subject}
        lines = [_("Hello,"), "", lead, "", _("When: %(when)s") % {"when": at}]
        if kind in ("confirmed", "rescheduled", "reminder"):
            lines += [
                _("Length: %(minutes)d minutes") % {
                    "minutes": minutes(meeting.ends_at - meeting.starts_at)},
                _("Video call: %(url)s") % {"url": meeting.room_url},
                "",
                _("The call opens in your web browser; you need no account and no phone."),
            ]
        if for_agent:
            lines += ["", _("Customer: %(customer)s") % {"customer": ticket.customer}]
        lines += ["", _("Details: %(url)s") % {"url": url}]
        if kind != "reminder":
            lines.append(_("The calendar invitation is attached (%(file)s).") % {
                "file": "invite.ics"})
        lines += _sign_off(loaded)
    return subject, "\n".join(lines)


def proposal_mail(*, request, proposal, loaded: LoadedPolicy, language: str,
                  url: str) -> tuple[str, str]:
    """To the agents: the client proposes other times."""
    ticket = request.ticket
    tz = loaded.calendar.tz
    with translation.override(language):
        subject = _("[%(ref)s] The client proposes meeting times") % {"ref": ticket.reference}
        lines = [
            _("%(customer)s proposes other times for the meeting about request %(ref)s "
              "“%(subject)s”:") % {"customer": ticket.customer, "ref": ticket.reference,
                                   "subject": ticket.subject},
            "",
            proposal.text,
        ]
        times = proposal.instants
        if times:
            lines += ["", *(f"  - {when(t, tz)}" for t in times)]
        lines += ["", _("Confirm a time in the console: %(url)s") % {"url": url}]
    return subject, "\n".join(lines)
