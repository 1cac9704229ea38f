"""Client area pages of a meeting request: pick an offered time or propose others."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xuala.desk.errors import DeskError, InvalidTransition
from xuala.meetings import ics, selectors, services
from xuala.meetings.errors import SlotTaken
from xuala.meetings.forms import PickForm, ProposeForm
from xuala.meetings.models import BOOKED_REQUEST_STATUSES, MeetingStatus, RequestStatus
from xuala.meetings.texts import minutes, slot_label
from xuala.policy.selectors import policy_active
from xuala.web.access import client_view


def error_text(exc: DeskError) -> str:
    """A client-facing message for a meeting error."""
    if isinstance(exc, SlotTaken):
        if exc.alternatives:
            tz = policy_active().calendar.tz
            listed = "; ".join(slot_label(s.starts_at, s.ends_at, tz) for s in exc.alternatives)
            return _("Sorry, that time has just been taken. These are the next free times: "
                     "%(times)s. Please choose one of them below.") % {"times": listed}
        return _("Sorry, that time has just been taken, and there is no other free time "
                 "right now. Please propose the times that suit you.")
    if isinstance(exc, InvalidTransition) and exc.code == "meeting_status":
        return _("This meeting request is no longer waiting for a time.")
    return _("That could not be done. Please try again.")


def _page(request, customer, pk: int, *, pick_form=None, propose_form=None, status=200):
    meeting_request = selectors.request_of_customer(customer=customer, pk=pk)
    slots = list(meeting_request.slots.all())
    loaded = policy_active()
    meeting = selectors.meeting_current(meeting_request)
    return render(request, "meetings/portal_request.html", {
        "meeting_request": meeting_request,
        "ticket": meeting_request.ticket,
        "meeting": meeting,
        "booked": meeting is not None and meeting.status == MeetingStatus.CONFIRMED
        and meeting_request.status in BOOKED_REQUEST_STATUSES,
        "cancelled": meeting_request.status == RequestStatus.CANCELLED,
        "open": meeting_request.is_open,
        "proposed": meeting_request.status == RequestStatus.PROPOSED_BY_CLIENT,
        "pick_form": pick_form or PickForm(slots=slots),
        "propose_form": propose_form or ProposeForm(),
        "slots": slots,
        "length_minutes": minutes(loaded.policy.meetings.length),
        "policy_zone": loaded.policy.timezone,
        "policy_tz": loaded.calendar.tz,
        "proposals": list(meeting_request.proposals.all()),
        "clause": loaded.policy.meetings.clause,
    }, status=status)


@require_http_methods(["GET", "HEAD"])
@client_view
def request_view(request, customer, pk: int):
    return _page(request, customer, pk)


@require_POST
@client_view
def pick_view(request, customer, pk: int):
    meeting_request = selectors.request_of_customer(customer=customer, pk=pk)
    form = PickForm(request.POST, slots=list(meeting_request.slots.all()))
    if not form.is_valid():
        return _page(request, customer, pk, pick_form=form, status=400)
    try:
        meeting = services.meeting_pick(request=meeting_request,
                                        slot_id=form.cleaned_data["slot"], by=request.user)
    except DeskError as exc:
        messages.error(request, error_text(exc))
        return redirect("meetings_portal:request", pk=pk)
    messages.success(request, _("Your meeting is confirmed for %(when)s. We have sent the "
                                "invitation to %(email)s.") % {
        "when": slot_label(meeting.starts_at, meeting.ends_at, policy_active().calendar.tz),
        "email": request.user.email})
    return redirect("meetings_portal:request", pk=pk)


@require_POST
@client_view
def propose_view(request, customer, pk: int):
    meeting_request = selectors.request_of_customer(customer=customer, pk=pk)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return _page(request, customer, pk, propose_form=form, status=400)
    try:
        services.meeting_propose(request=meeting_request, by=request.user,
                                 text=form.cleaned_data["text"], times=form.times())
    except DeskError as exc:
        messages.error(request, error_text(exc))
        return redirect("meetings_portal:request", pk=pk)
    messages.success(request, _("Thank you: we have received the times you propose. An agent "
                                "will confirm one of them by e-mail."))
    return redirect("meetings_portal:request", pk=pk)


@require_http_methods(["GET", "HEAD"])
@client_view
def invitation_view(request, customer, pk: int):
    """The confirmed meeting's invitation, to add it to a calendar by hand."""
    meeting_request = selectors.request_of_customer(customer=customer, pk=pk)
    meeting = selectors.meeting_current(meeting_request)
    if meeting is None:
        return redirect("meetings_portal:request", pk=pk)
    method = ics.METHOD_REQUEST if meeting.status == MeetingStatus.CONFIRMED \
        else ics.METHOD_CANCEL
    body = services.invitation_ics(meeting, method=method,
                                   language=meeting_request.ticket.language,
                                   now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response
