"""Views of the agent console: sign-in with a TOTP second step, the queue, a ticket and its
actions, what is about to breach, and canned replies. No business rules live here: every
read is a selector and every change a desk service."""

from __future__ import annotations

from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import auth, messages
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import match_token

from xuala.console import selectors
from xuala.console.access import (
    complete_sign_in,
    has_confirmed_device,
    pending_clear,
    pending_set,
    safe_next,
    second_step_user,
)
from xuala.console.display import QUEUE_FIELDS, queue_rows, queue_rows_html
from xuala.console.events import event_lines
from xuala.console.forms import (
    BREACH_WINDOWS,
    AssignForm,
    BreachWindowForm,
    CannedReplyForm,
    LoginForm,
    NoteForm,
    QueueFilterForm,
    ReplyForm,
    StatusForm,
    TokenForm,
)
from xuala.core.actions import perform
from xuala.desk import services
from xuala.desk.errors import AttachmentRejected, DeskError, InvalidTransition
from xuala.desk.models import Status, Ticket, TriageState
from xuala.desk.selectors import breaching_within, queue, ticket_for_agent
from xuala.policy.selectors import policy_active
from xuala.web.access import agent_required, forbidden

PAGE_SIZE = 50
BREACH_LIMIT = 200
DEFAULT_BREACH_HOURS = 4


def _policy_tz():
    return policy_active().calendar.tz


def _with_next(url: str, request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return f"{url}?{urlencode({'next': target})}" if target else url


# ---------------------------------------------------------------- sign-in

@require_http_methods(["GET", "POST"])
def login_view(request):
    user = request.user
    if user.is_authenticated and getattr(user, "is_agent", False) and user.is_verified():
        return redirect(safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        found = auth.authenticate(request=request, username=form.cleaned_data["username"],
                                  password=form.cleaned_data["password"])
        if found is None:
            form.add_error(None, _("That e-mail address and password do not match an account."))
        elif not found.is_agent:
            return forbidden(request)
        else:
            pending_set(request, found)
            step = "console:otp" if has_confirmed_device(found) else "console:otp_setup"
            return redirect(_with_next(reverse(step), request))
    return render(request, "console/login.html", {
        "form": form, "next": request.POST.get("next") or request.GET.get("next", "")})


def _second_step(view):
    """A page of the second sign-in step: ``view(request, user)`` for the agent who passed the
    first step; anyone else is sent to the first step (or refused, when signed in already)."""
    @wraps(view)
    @require_http_methods(["GET", "POST"])
    def step(request):
        user = second_step_user(request)
        if user is not None:
            return view(request, user)
        if request.user.is_authenticated:
            return forbidden(request)
        return redirect(_with_next(reverse("console:login"), request))
    return step


@_second_step
def otp_view(request, user):
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(safe_next(request))
    if not has_confirmed_device(user):
        return redirect(_with_next(reverse("console:otp_setup"), request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("That code is not valid. Wait for the next one and try "
                                      "again."))
        else:
            complete_sign_in(request, user, device)
            return redirect(safe_next(request))
    return render(request, "console/otp.html", {
        "form": form, "next": request.POST.get("next") or request.GET.get("next", ""),
        "agent": user})


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@_second_step
def otp_setup_view(request, user):
    if has_confirmed_device(user):
        return redirect(_with_next(reverse("console:otp"), request))
    device = services.totp_device_pending(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(device=device, token=form.cleaned_data["token"]):
            complete_sign_in(request, user, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(safe_next(request))
        form.add_error("token", _("That code is not valid. Check the clock of your phone and "
                                  "try the next code."))
    return render(request, "console/otp_setup.html", {
        "form": form, "next": request.POST.get("next") or request.GET.get("next", ""),
        "agent": user, "qr_svg": _qr_svg(device.config_url),
        "secret": b32encode(device.bin_key).decode("ascii")})


@require_POST
def logout_view(request):
    pending_clear(request)
    auth.logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("console:login")


# ---------------------------------------------------------------- queue

def _page_url(request, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return f"{request.path}?{params.urlencode()}"


@agent_required
def queue_view(request):
    form = QueueFilterForm(request.GET or None)
    data: dict = {}
    if form.is_bound:
        form.is_valid()  # invalid fields drop out of cleaned_data; the valid ones still filter
        data = form.cleaned_data
    assignee = data.get("assignee") or "all"
    tickets = queue(status=data.get("status") or None,
                    ticket_class=data.get("ticket_class") or None,
                    assignee_id=request.user.pk if assignee == "me" else None,
                    unassigned=assignee == "unassigned",
                    search=(data.get("q") or "").strip() or None)
    page = data.get("page") or 1
    offset = (page - 1) * PAGE_SIZE
    # One row more than a page tells whether a next page exists, without counting.
    rows = list(tickets.values(*QUEUE_FIELDS)[offset:offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    now = timezone.now()
    ticket_url = reverse("console:ticket", args=[0]).replace("/0/", "/{pk}/")
    context = {
        "form": form, "page": page, "nav": "queue",
        "tickets": rows[:PAGE_SIZE],
        "rows_html": queue_rows_html(queue_rows(rows[:PAGE_SIZE], now=now, tz=_policy_tz(),
                                                ticket_url=ticket_url)),
        "next_url": _page_url(request, page + 1) if has_next else "",
        "prev_url": _page_url(request, page - 1) if page > 1 else "",
        "now": now, "policy_tz": _policy_tz(),
    }
    if request.htmx and request.htmx.target == "queue-results":
        return render(request, "console/_queue_results.html", context)
    return render(request, "console/queue.html", context)


@agent_required
def breaching_view(request):
    form = BreachWindowForm(request.GET or None)
    hours = DEFAULT_BREACH_HOURS
    if form.is_bound and form.is_valid() and form.cleaned_data.get("hours"):
        hours = form.cleaned_data["hours"]
    now = timezone.now()
    rows = list(breaching_within(hours=hours, now=now)[:BREACH_LIMIT + 1])
    return render(request, "console/breaching.html", {
        "tickets": rows[:BREACH_LIMIT], "more": len(rows) > BREACH_LIMIT, "hours": hours,
        "windows": BREACH_WINDOWS, "now": now, "policy_tz": _policy_tz(), "nav": "breaching"})


# ---------------------------------------------------------------- ticket

def _reachable_statuses(ticket: Ticket) -> list[str]:
    return services.statuses_reachable(ticket.status)


def _last_event(ticket: Ticket, wanted):
    """The ticket's latest event that ``wanted`` accepts (events are prefetched), or None."""
    return next((e for e in reversed(ticket.events.all()) if wanted(e)), None)


def _ticket_page(request, ticket: Ticket, *, reply_form: ReplyForm | None = None,
                 note_form: NoteForm | None = None):
    reachable = _reachable_statuses(ticket)
    canned = list(selectors.canned_replies(language=ticket.language))
    if reply_form is None:
        initial = {"status": Status.WAITING_CLIENT.value
                   if Status.WAITING_CLIENT.value in reachable else ""}
        chosen = request.GET.get("canned", "")
        if chosen.isascii() and chosen.isdigit():
            initial["body"] = next((c.body for c in canned if str(c.pk) == chosen), "")
        reply_form = ReplyForm(initial=initial, statuses=reachable)
    agents = list(selectors.agents())
    events = event_lines(ticket.events.all(),  # prefetched with their actors
                         people={agent.pk: str(agent) for agent in agents}, tz=_policy_tz())
    labels = dict(Status.choices)
    return render(request, "console/ticket.html", {
        "ticket": ticket, "conversation": list(ticket.messages.all()), "events": events,
        "pauses": ticket.pause_list, "canned": canned,
        "reply_form": reply_form, "note_form": note_form or NoteForm(),
        "assign_form": AssignForm(agents=agents, initial={
            "assignee": str(ticket.assignee_id) if ticket.assignee_id else ""}),
        "status_options": [(value, labels[value]) for value in reachable],
        "emergency_check": _last_event(ticket, lambda e: e.key == "sentry.emergency_checked"),
        "triage_basis": _last_event(ticket, lambda e: e.key.startswith("triage.")
                                    and "probability" in (e.data or {})),
        "proposal": ticket.triage_state == TriageState.PROPOSED,
        "prepared_answer": services.triage_prepared_answer(ticket)
        if ticket.triage_state == TriageState.PROPOSED else "",
        "triage_rules": services.triage_rule_choices(ticket)
        if ticket.triage_state in (TriageState.PROPOSED, TriageState.APPLIED) else [],
        "now": timezone.now(), "policy_tz": _policy_tz(), "nav": "queue",
    })


def _perform(request, ticket: Ticket, action, *, success: str, wanted: str = "") -> bool:
    """``perform`` on a ticket: the desk's errors, told as ``_error_text`` tells them."""
    return perform(request, action, errors=DeskError, success=success,
                   error_text=lambda exc: _error_text(exc, ticket, wanted))


_TRANSITION_TEXTS = {
    "quote_pending": gettext_lazy(
        "This ticket waits on a quote (§5): it moves on only when the client accepts or "
        "rejects the quote, or when the quote is withdrawn."),
    "not_agent": gettext_lazy("Only agents can be assigned tickets."),
    "no_proposal": gettext_lazy("This ticket has no triage proposal waiting any more."),
    "not_applied": gettext_lazy("This ticket has no applied triage decision to correct."),
    "same_rule": gettext_lazy("That is already the ticket's rule."),
    "unknown_rule": gettext_lazy("Choose one of the policy's rules."),
}


def _error_text(exc: DeskError, ticket: Ticket | None = None, wanted: str = "") -> str:
    labels = dict(Status.choices)
    if isinstance(exc, InvalidTransition):
        if exc.code == "transition" and ticket is not None:
            return _("A ticket cannot go from “%(old)s” to “%(new)s”.") % {
                "old": labels.get(ticket.status, ticket.status),
                "new": labels.get(wanted, wanted)}
        if exc.code in _TRANSITION_TEXTS:
            return str(_TRANSITION_TEXTS[exc.code])
    if isinstance(exc, AttachmentRejected):
        if exc.code == "too_many":
            return _("You can attach at most %(count)s files.") % {
                "count": settings.XUALA_MAX_ATTACHMENTS}
        if exc.code == "too_large":
            return _("A file is over the limit of %(mb)s MB.") % {
                "mb": settings.XUALA_MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        if exc.code == "quota":
            return _("This customer's attachments have reached their storage quota of "
                     "%(mb)s MB; send it without the files.") % {
                "mb": settings.XUALA_ATTACHMENT_QUOTA_BYTES // (1024 * 1024)}
    return _("That could not be done: %(reason)s") % {"reason": exc}


def _uploads(request) -> list[services.Upload]:
    return [services.Upload(filename=f.name, content=f.read(),
                            content_type=f.content_type or "application/octet-stream")
            for f in request.FILES.getlist("attachments")]


def _back_to(ticket: Ticket, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("console:ticket", args=[ticket.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@agent_required
def ticket_view(request, pk: int):
    return _ticket_page(request, ticket_for_agent(pk=pk))


def _post_message(request, ticket: Ticket, form, post, *, slot: str, success: str,
                  wanted: str = ""):
    """Post the reply or note of ``form`` with ``post(ticket=…, author=…, body_text=…,
    uploads=…)``: back to the conversation when it went out, else the ticket's page again with
    the form (``slot``: ``reply_form`` or ``note_form``) and its errors."""
    if form.is_valid() and _perform(
            request, ticket, lambda: post(ticket=ticket, author=request.user,
                                          body_text=form.cleaned_data["body"],
                                          uploads=_uploads(request)),
            success=success, wanted=wanted):
        return _back_to(ticket, "conversation")
    return _ticket_page(request, ticket_for_agent(pk=ticket.pk), **{slot: form})


@agent_required
@require_POST
def ticket_reply_view(request, pk: int):
    ticket = selectors.ticket_for_action(pk=pk)
    form = ReplyForm(request.POST, statuses=_reachable_statuses(ticket))
    wanted = form.cleaned_data["status"] if form.is_valid() else ""
    return _post_message(request, ticket, form,
                         lambda **message: services.ticket_reply(status=wanted or None, **message),
                         slot="reply_form", success=_("Your reply was sent to the client."),
                         wanted=wanted)


@agent_required
@require_POST
def ticket_note_view(request, pk: int):
    ticket = selectors.ticket_for_action(pk=pk)
    return _post_message(request, ticket, NoteForm(request.POST), services.ticket_note,
                         slot="note_form", success=_("Internal note added."))


@agent_required
@require_POST
def ticket_assign_view(request, pk: int):
    ticket = selectors.ticket_for_action(pk=pk)
    agents = list(selectors.agents())
    form = AssignForm(request.POST, agents=agents)
    if not form.is_valid():
        messages.error(request, _("Choose an agent to assign."))
        return _back_to(ticket)
    value = form.cleaned_data["assignee"]
    assignee = (request.user if value == "me" else None if not value
                else next(agent for agent in agents if str(agent.pk) == value))
    _perform(request, ticket,
             lambda: services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user),
             success=(_("The ticket is now unassigned.") if assignee is None
                      else _("Assigned to %(agent)s.") % {"agent": assignee}))
    return _back_to(ticket)


@agent_required
@require_POST
def ticket_status_view(request, pk: int):
    ticket = selectors.ticket_for_action(pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return _back_to(ticket)
    wanted = form.cleaned_data["status"]
    old = ticket.status
    try:
        services.ticket_set_status(ticket=ticket, status=wanted, actor=request.user)
    except DeskError as exc:
        messages.error(request, _error_text(exc, ticket, wanted))
    else:
        if wanted != old:
            messages.success(request, _("Status changed to “%(status)s”.") % {
                "status": dict(Status.choices)[wanted]})
    return _back_to(ticket)


# The agent's answers to a triage proposal: the service each runs and what the agent is told.
TRIAGE_DECISIONS = {
    "apply": (services.ticket_triage_apply,
              gettext_lazy("The triage proposal was applied and the client answered.")),
    "dismiss": (services.ticket_triage_dismiss, gettext_lazy("The triage proposal was dismissed.")),
}


@agent_required
@require_POST
def ticket_triage_view(request, pk: int, decision: str):
    """Apply or dismiss the ticket's triage proposal (``decision``: a key of TRIAGE_DECISIONS,
    fixed by the URL)."""
    decide, success = TRIAGE_DECISIONS[decision]
    ticket = selectors.ticket_for_action(pk=pk)
    _perform(request, ticket, lambda: decide(ticket=ticket, actor=request.user),
             success=str(success))
    return _back_to(ticket)


# The agent's rule for a ticket's triage: a proposal changed to it (and carried out), or an
# applied decision corrected to it (nothing sent). Each is a labelled example.
TRIAGE_RULE_ACTIONS = {
    "change": (services.ticket_triage_change,
               gettext_lazy("The triage was changed to the rule you chose and carried out.")),
    "correct": (services.ticket_triage_correct,
                gettext_lazy("The triage rule was corrected. Nothing was sent to the client: "
                             "change the status or reply if the first decision needs "
                             "undoing.")),
}


@agent_required
@require_POST
def ticket_triage_rule_view(request, pk: int, how: str):
    """The agent picks the rule the request really falls under (``how``: a key of
    TRIAGE_RULE_ACTIONS, fixed by the URL)."""
    act, success = TRIAGE_RULE_ACTIONS[how]
    ticket = selectors.ticket_for_action(pk=pk)
    rule = request.POST.get("rule", "")
    _perform(request, ticket, lambda: act(ticket=ticket, actor=request.user, rule=rule),
             success=str(success))
    return _back_to(ticket)


@agent_required
def attachment_view(request, pk: int):
    attachment = selectors.attachment_for_agent(pk=pk)
    # Always a download: an uploaded HTML or SVG file must never render in our origin.
    return FileResponse(attachment.file.open("rb"), as_attachment=True,
                        filename=attachment.filename,
                        content_type=attachment.content_type or "application/octet-stream")


# ---------------------------------------------------------------- canned replies

@agent_required
def canned_list_view(request):
    return render(request, "console/canned_list.html", {
        "replies": list(selectors.canned_replies()), "nav": "canned"})


@agent_required
@require_http_methods(["GET", "POST"])
def canned_edit_view(request, pk: int | None = None):
    instance = selectors.canned_reply(pk=pk) if pk is not None else None
    form = CannedReplyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.canned_reply_save(reply=instance, actor=request.user, **{
            name: form.cleaned_data[name] for name in ("title", "language", "body")})
        messages.success(request, _("Canned reply saved."))
        return redirect("console:canned_list")
    return render(request, "console/canned_form.html", {
        "form": form, "reply": instance, "nav": "canned"})


@agent_required
@require_http_methods(["GET", "POST"])
def canned_delete_view(request, pk: int):
    reply = selectors.canned_reply(pk=pk)
    if request.method == "POST":
        services.canned_reply_delete(reply=reply, actor=request.user)
        messages.success(request, _("Canned reply deleted."))
        return redirect("console:canned_list")
    return render(request, "console/canned_delete.html", {"reply": reply, "nav": "canned"})
