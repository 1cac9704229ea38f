"""Console pages of meetings: requests to handle, one request, and the agent's availability."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from xuala.core.actions import Actions, perform
from xuala.desk.errors import DeskError, InvalidTransition
from xuala.desk.selectors import ticket_for_agent
from xuala.meetings import selectors, services
from xuala.meetings.errors import (
    AvailabilityInvalid,
    NoFreeSlots,
    OutsideOpeningHours,
    SlotTaken,
)
from xuala.meetings.forms import (
    CancelForm,
    ExceptionForm,
    OfferForm,
    TimeForm,
    TimezoneForm,
    WindowForm,
)
from xuala.meetings.models import (
    BOOKED_REQUEST_STATUSES,
    Meeting,
    MeetingRequest,
    MeetingStatus,
)
from xuala.meetings.texts import slot_label
from xuala.policy.selectors import policy_active
from xuala.web.access import agent_required


def _perform(request, action, *, success: str) -> bool:
    """``perform`` with the desk's errors and the meetings' texts for them."""
    return perform(request, action, errors=DeskError, error_text=error_text, success=success)


def error_text(exc: DeskError) -> str:
    if isinstance(exc, NoFreeSlots):
        return _("No agent has a free slot in the coming weeks. Add availability, or fix a "
                 "time by hand.")
    if isinstance(exc, OutsideOpeningHours):
        return _("That time is outside the opening hours or on a holiday (policy clause "
                 "%(clause)s).") % {"clause": exc.clause}
    if isinstance(exc, SlotTaken):
        if exc.code == "past":
            return _("That time has already passed.")
        return _("The agent already has a meeting at that time, or is not available then.")
    if isinstance(exc, AvailabilityInvalid):
        if exc.code == "overlap":
            return _("That window overlaps another one of the same day.")
        return _("That availability cannot be stored: %(reason)s") % {"reason": exc}
    if isinstance(exc, InvalidTransition):
        if exc.code == "meeting_status":
            return _("This meeting request is no longer in a state that allows that.")
        if exc.code == "not_started":
            return _("The meeting has not started yet.")
        if exc.code == "transition":
            return _("The ticket's status does not allow a meeting now; reopen it first.")
    return _("That could not be done: %(reason)s") % {"reason": exc}


# ---------------------------------------------------------------- lists

@agent_required
def index_view(request):
    now = timezone.now()
    return render(request, "meetings/console_index.html", {
        "to_handle": list(selectors.requests_to_handle()[:200]),
        "upcoming": list(selectors.meetings_upcoming(now=now)[:200]),
        "to_close": list(selectors.meetings_to_close(now=now)[:200]),
        "policy_tz": policy_active().calendar.tz, "nav": "meetings",
        "clause": policy_active().policy.meetings.clause,
    })


# ---------------------------------------------------------------- one request

def _request_page(request, pk: int, *, time_form=None, reschedule_form=None, status=200):
    meeting_request = selectors.request_for_agent(pk=pk)
    agents = list(selectors.agents_all())
    meeting = selectors.meeting_current(meeting_request)
    tz = policy_active().calendar.tz
    proposals = list(meeting_request.proposals.all())
    return render(request, "meetings/console_request.html", {
        "meeting_request": meeting_request, "ticket": meeting_request.ticket,
        "meeting": meeting,
        "booked": meeting is not None and meeting.status == MeetingStatus.CONFIRMED
        and meeting_request.status in BOOKED_REQUEST_STATUSES,
        "slots": [(s, slot_label(s.starts_at, s.ends_at, tz)) for s in meeting_request.slots.all()],
        "proposals": proposals,
        "offer_form": OfferForm(agents=agents),
        "time_form": time_form or TimeForm(agents=agents,
                                           initial={"agent": str(request.user.pk)}),
        "reschedule_form": reschedule_form or TimeForm(
            agents=agents, prefix="move",
            initial={"agent": str(meeting.agent_id) if meeting else str(request.user.pk)}),
        "cancel_form": CancelForm(),
        "policy_tz": tz, "now": timezone.now(), "nav": "meetings",
    }, status=status)


@agent_required
def request_view(request, pk: int):
    return _request_page(request, pk)


@agent_required
@require_POST
def ticket_offer_view(request, ticket_pk: int):
    """From a ticket: open its meeting request (if needed) and offer the next free slots."""
    ticket = ticket_for_agent(pk=ticket_pk)
    try:
        meeting_request = services.meeting_request_open(ticket=ticket, actor=request.user,
                                                        offer=False)
    except DeskError as exc:
        messages.error(request, error_text(exc))
        return redirect("console:ticket", pk=ticket.pk)
    if meeting_request.is_open:
        _offer(request, meeting_request, agent=None)
    return redirect("meetings_console:request", pk=meeting_request.pk)


def _offer(request, meeting_request, *, agent) -> None:
    try:
        rows = services.meeting_offer(request=meeting_request, agent=agent, actor=request.user)
    except DeskError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, ngettext(
            "%(count)d time was offered to the client by e-mail.",
            "%(count)d times were offered to the client by e-mail.", len(rows))
            % {"count": len(rows)})


@agent_required
@require_POST
def offer_view(request, pk: int):
    meeting_request = selectors.request_for_agent(pk=pk)
    form = OfferForm(request.POST, agents=list(selectors.agents_all()))
    agent = form.cleaned_data["agent"] if form.is_valid() else None
    _offer(request, meeting_request, agent=agent)
    return redirect("meetings_console:request", pk=pk)


def _set_time(slot: str, prefix: str | None = None) -> dict:
    """``Actions.post``'s form for a time and an agent (``prefix``: its field names' prefix);
    when invalid, the request's page again with the form in ``slot`` showing the errors."""
    return {"form": lambda request, _obj: TimeForm(request.POST, prefix=prefix,
                                                   agents=list(selectors.agents_all())),
            "invalid": lambda request, obj, form: _request_page(
                request, obj.request_id if isinstance(obj, Meeting) else obj.pk, status=400,
                **{slot: form})}


# The agent's answers to a meeting request, and changes to its meeting: both go back to the
# request's page.
on_request = Actions(access=agent_required, load=selectors.request_for_agent,
                     back=lambda meeting_request, _anchor: redirect(
                         "meetings_console:request", pk=meeting_request.pk),
                     errors=DeskError, error_text=error_text)
on_meeting = Actions(access=agent_required, load=selectors.meeting_for_agent,
                     back=lambda meeting, _anchor: redirect(
                         "meetings_console:request", pk=meeting.request_id),
                     errors=DeskError, error_text=error_text)


@on_request.post()
def withdraw_view(request, meeting_request: MeetingRequest):
    services.meeting_request_cancel(request=meeting_request, actor=request.user)
    return _("The meeting request was withdrawn; the ticket is open again.")


@on_request.post(**_set_time("time_form"))
def confirm_view(request, meeting_request: MeetingRequest, data: dict):
    services.meeting_confirm(request=meeting_request, actor=request.user, **data)
    return _("The meeting is confirmed; both sides got the invitation.")


@on_meeting.post(**_set_time("reschedule_form", prefix="move"))
def reschedule_view(request, meeting: Meeting, data: dict):
    services.meeting_reschedule(meeting=meeting, actor=request.user, **data)
    return _("The meeting was moved; both sides got the updated invitation.")


@on_meeting.post()
def cancel_view(request, meeting: Meeting):
    form = CancelForm(request.POST)
    services.meeting_cancel(meeting=meeting, actor=request.user,
                            reason=form.cleaned_data["reason"] if form.is_valid() else "")
    return _("The meeting was cancelled; both sides got the cancellation.")


@on_meeting.post()
def done_view(request, meeting: Meeting):
    services.meeting_done(meeting=meeting, actor=request.user)
    return _("The meeting is marked as held; the ticket is open again for the follow-up.")


# ---------------------------------------------------------------- availability

def _availability_page(request, *, window_form=None, exception_form=None, status=200):
    agent = request.user
    windows, exceptions = selectors.availability_rows(agent)
    return render(request, "meetings/console_availability.html", {
        "windows": windows, "exceptions": exceptions,
        "window_form": window_form or WindowForm(initial={"weekday": [0, 1, 2, 3, 4]}),
        "exception_form": exception_form or ExceptionForm(),
        "timezone_form": TimezoneForm(initial={
            "timezone": selectors.agent_timezone(agent).key}),
        "agent_zone": selectors.agent_timezone(agent).key,
        "policy_zone": policy_active().policy.timezone,
        "nav": "meetings",
    }, status=status)


@agent_required
def availability_view(request):
    return _availability_page(request)


class _Part(NamedTuple):
    """One part of an agent's availability that the page edits."""

    form: type[forms.Form]
    slot: str  # the form's name on the page
    add: Callable  # add(agent=…, **the form's cleaned data)
    remove: Callable  # remove(agent=…, pk=…)
    added: str
    removed: str


# The parts, by the name their URLs give: weekly windows, and the exceptions of one date.
PARTS = {
    "window": _Part(WindowForm, "window_form",
                    lambda *, weekday, **times: services.availability_week_add(weekdays=weekday,
                                                                               **times),
                    services.availability_remove, gettext_lazy("Availability added."),
                    gettext_lazy("Availability removed.")),
    "exception": _Part(ExceptionForm, "exception_form", services.availability_exception_add,
                       services.availability_exception_remove, gettext_lazy("Exception added."),
                       gettext_lazy("Exception removed.")),
}


@agent_required
@require_POST
def availability_add_view(request, part: str):
    """Add a weekly window or a date exception (``part``, a key of PARTS fixed by the URL)."""
    part = PARTS[part]
    form = part.form(request.POST)
    if not form.is_valid():
        return _availability_page(request, status=400, **{part.slot: form})
    _perform(request, lambda: part.add(agent=request.user, **form.cleaned_data),
             success=str(part.added))
    return redirect("meetings_console:availability")


@agent_required
@require_POST
def availability_remove_view(request, pk: int, part: str):
    part = PARTS[part]
    part.remove(agent=request.user, pk=pk)
    messages.success(request, str(part.removed))
    return redirect("meetings_console:availability")


@agent_required
@require_POST
def timezone_view(request):
    form = TimezoneForm(request.POST)
    if form.is_valid():
        services.agent_timezone_set(agent=request.user,
                                    timezone_name=form.cleaned_data["timezone"])
        messages.success(request, _("Your time zone is now %(zone)s.") % {
            "zone": form.cleaned_data["timezone"]})
    else:
        messages.error(request, _("Choose a time zone from the list."))
    return redirect("meetings_console:availability")
