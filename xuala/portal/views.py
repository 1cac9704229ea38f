"""The client area: thin views over the desk's services and selectors, scoped to one customer."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from xuala.customers.selectors import (
    customer_coverage,
    customer_for_user,
    customer_services,
    customer_sites,
)
from xuala.desk.errors import AttachmentRejected, CoverageRefused, InvalidTransition
from xuala.desk.models import DONE_STATUSES, Channel
from xuala.desk.selectors import (
    acknowledgement_promise,
    response_clock_running,
    ticket_of_customer,
    tickets_of_customer,
)
from xuala.desk.services import Opened, ticket_client_message, ticket_open
from xuala.desk.texts import local_time
from xuala.policy.selectors import policy_active
from xuala.portal.forms import LoginForm, ReplyForm, TicketForm, as_uploads
from xuala.portal.selectors import attachment_of_customer, contracts_active
from xuala.web.access import client_view, console_url, language_of

TICKETS_PER_PAGE = 25
HELD_MAIL_SHOWN = 20


# ---------------------------------------------------------------- language

def _in_language(url: str, language: str) -> str:
    """``url`` (a path of this site) as it reads in ``language``.

    translate_url() resolves the path under the active language, so it is resolved under
    the language of its own prefix first (a bare path is the default language).
    """
    source = translation.get_language_from_path(urlsplit(url).path) or settings.LANGUAGE_CODE
    with translation.override(source):
        return translate_url(url, language)


def _remember_language(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response


# ---------------------------------------------------------------- sign-in

def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: "foo" is no address (redirect() would take it for a view name).
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return ""


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _next_url(request)
    if request.user.is_authenticated and customer_for_user(request.user) is not None:
        # A path, never a view name: redirect("foo") would try to reverse it and fail.
        return HttpResponseRedirect(next_url or reverse("portal:dashboard"))
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.user
        if user.is_agent:
            # The client area is not the agents' door: they sign in to the console.
            messages.info(request, _("This is the Client Area. Agents work in the console."))
            return redirect(console_url(user))
        auth_login(request, user)
        language = language_of(user)
        with translation.override(language):
            target = _in_language(next_url, language) if next_url else reverse("portal:dashboard")
        return _remember_language(HttpResponseRedirect(target), language)
    return render(request, "portal/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    auth_logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:login")


# ---------------------------------------------------------------- dashboard

def _closed_notice(now) -> str:
    """The out-of-hours notice, or "" while support is open."""
    loaded = policy_active()
    calendar = loaded.calendar
    if calendar.is_open(now):
        return ""
    return _("Support is closed now; requests are accepted and will be attended from "
             "%(when)s. Web-service emergencies are attended at any time.") % {
        "when": local_time(calendar.next_opening(now), loaded)}


@require_http_methods(["GET", "HEAD"])
@client_view
def dashboard(request, customer):
    now = timezone.now()
    loaded = policy_active()
    today = now.astimezone(loaded.calendar.tz).date()
    coverage = customer_coverage(customer=customer, on=today)
    language = translation.get_language()
    contracts = []
    for contract in contracts_active(customer=customer, on=today):
        try:
            plan_name = loaded.policy.plan(contract.plan_key).name.get(language)
        except KeyError:
            plan_name = contract.plan_key
        contracts.append({"contract": contract, "plan_name": plan_name,
                          "sites": list(contract.sites.all())})
    sites = [{"site": site, "covered": coverage.covers_site(site.pk)}
             for site in customer_sites(customer=customer)]
    page = Paginator(tickets_of_customer(customer=customer), TICKETS_PER_PAGE) \
        .get_page(request.GET.get("page"))
    from xuala.customers.delivery import site_services

    return render(request, "portal/dashboard.html", {
        "customer": customer,
        "plan_services": site_services(customer=customer, on=today, language=language),
        "policy_tz": loaded.calendar.tz,
        "services": customer_services(customer=customer),
        "sites": sites,
        "contracts": contracts,
        "tickets": page,
        "closed_notice": _closed_notice(now),
        "held_mail": _held_mail(request.user),
    })


def _held_mail(user) -> list:
    """Mail in this user's name held until they confirm it (issue 11, section 5)."""
    from xuala.intake.selectors import inbound_awaiting_confirmation

    return list(inbound_awaiting_confirmation(user=user)
                .only("pk", "subject", "received_at", "confirm_token")[:HELD_MAIL_SHOWN])


# ---------------------------------------------------------------- new request

def _opened_message(opened: Opened) -> str:
    """The acknowledgement shown after filing: the reference and what happens next."""
    ticket = opened.ticket
    loaded = policy_active()
    parts = [_("We have received your request and opened ticket %(ref)s.") % {
        "ref": ticket.reference}]
    promise = acknowledgement_promise(ticket=ticket, out_of_hours_from=opened.out_of_hours_from)
    if promise.state == "answered":
        parts.append(_("Our answer is below."))
    elif promise.state == "emergency":
        parts.append(_("It is being handled as a web-service emergency: the on-call team has "
                       "been alerted and will answer by %(due)s.") % {
            "due": local_time(promise.due_at, loaded)})
    elif promise.state == "waiting":
        parts.append(_("Please read our answer below about the next step."))
    elif promise.state == "due":
        parts.append(_("We will answer by %(due)s at the latest.") % {
            "due": local_time(promise.due_at, loaded)})
    if promise.attended_from:
        parts.append(_("Support is closed now; your request will be attended from %(when)s.")
                     % {"when": local_time(promise.attended_from, loaded)})
    return " ".join(parts)


@require_http_methods(["GET", "POST"])
@client_view
def ticket_new(request, customer):
    language = translation.get_language()
    posted = request.method == "POST"
    form = TicketForm(request.POST if posted else None, request.FILES if posted else None,
                      customer=customer, language=language)
    refusal = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            opened = ticket_open(
                customer=customer, contact=request.user, channel=Channel.PORTAL,
                subject=data["subject"], body_text=data["description"],
                category=data["category"], site=data["site"], service=data["service"],
                uploads=as_uploads(data["attachments"]))
        except CoverageRefused as exc:
            refusal = str(exc)
        except AttachmentRejected as exc:
            form.add_error("attachments", _attachments_refused(exc))
        except InvalidTransition:
            form.add_error(None, _("Please check the request: it needs a subject, a "
                                   "description, and one of your own services or sites."))
        else:
            messages.success(request, _opened_message(opened))
            return redirect("portal:ticket", pk=opened.ticket.pk)
    return render(request, "portal/ticket_new.html", {
        "form": form, "refusal": refusal,
        "files_lost": posted and bool(request.FILES) and not refusal,
        "closed_notice": _closed_notice(timezone.now()),
    })


def _attachments_refused(exc: AttachmentRejected) -> str:
    if exc.code == "quota":
        return _("Your company's attachments have reached their storage quota of %(mb)s MB. "
                 "Send the message without the files, or write to us to make room.") % {
            "mb": settings.XUALA_ATTACHMENT_QUOTA_BYTES // (1024 * 1024)}
    return _("The attachments exceed the allowed number or size.")


# ---------------------------------------------------------------- one ticket

@require_http_methods(["GET", "POST"])
@client_view
def ticket_detail(request, customer, pk: int):
    ticket = ticket_of_customer(customer=customer, pk=pk)
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None, request.FILES if posted else None)
    if form.is_valid():
        try:
            ticket_client_message(ticket=ticket, author=request.user,
                                  body_text=form.cleaned_data["body"],
                                  uploads=as_uploads(form.cleaned_data["attachments"]),
                                  channel=Channel.PORTAL)
        except AttachmentRejected as exc:
            form.add_error("attachments", _attachments_refused(exc))
        else:
            messages.success(request, _("Your message has been added to ticket %(ref)s.")
                             % {"ref": ticket.reference})
            return redirect("portal:ticket", pk=ticket.pk)
    done = ticket.status in DONE_STATUSES
    return render(request, "portal/ticket.html", {
        "ticket": ticket,
        "form": form,
        "done": done,
        "show_due": response_clock_running(ticket) and ticket.due_at,
        "files_lost": posted and bool(request.FILES),
    })


@require_http_methods(["GET", "HEAD"])
@client_view
def attachment_download(request, customer, pk: int):
    attachment = attachment_of_customer(customer=customer, pk=pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True,
                        filename=attachment.filename,
                        content_type=attachment.content_type or "application/octet-stream")


# ---------------------------------------------------------------- mail held for confirmation

@client_view
@require_http_methods(["GET", "POST"])
def mail_confirm(request, customer, token: str):
    """A message that claimed to come from this client but failed authentication (issue 4):
    the client says whether they sent it. Anyone else's token is a 404."""
    from django.http import Http404

    from xuala.intake.selectors import inbound_for_confirmation, inbound_preview
    from xuala.intake.services import inbound_confirm, inbound_reject

    message = inbound_for_confirmation(token=token, user=request.user)
    if message is None:
        raise Http404("no such message")
    if request.method == "POST":
        if request.POST.get("decision") == "confirm":
            processed = inbound_confirm(message=message, user=request.user)
            messages.success(request, _("Thank you: your message has been accepted."))
            if processed.ticket_id:
                return redirect("portal:ticket", processed.ticket_id)
        else:
            inbound_reject(message=message, user=request.user)
            messages.info(request, _("Understood: that message will not be acted upon."))
        return redirect("portal:dashboard")
    return render(request, "portal/mail_confirm.html", {
        "held": message, "preview": inbound_preview(message=message)})
