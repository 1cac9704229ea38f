"""Quotes in the client area: the customer's quotes, one quote, its PDF, accept or reject."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xuala.quotes import pdf, services, texts
from xuala.quotes.errors import (
    QuoteAlreadyDecided,
    QuoteError,
    QuoteExpired,
    QuoteInvalid,
    QuoteNotYours,
    TermsNotAccepted,
)
from xuala.quotes.forms import AcceptForm, RejectForm
from xuala.quotes.models import QuoteStatus
from xuala.quotes.selectors import quote_of_customer, quotes_of_customer
from xuala.web.access import client_view


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _page(request, quote, *, accept_form=None, reject_form=None, status: int = 200):
    lines = list(quote.lines.all())
    totals = quote.totals(lines)
    return render(request, "quotes/portal_detail.html", {
        "quote": quote, "totals": totals,
        "lines_with_amounts": list(zip(lines, totals.lines, strict=True)),
        "can_decide": quote.status == QuoteStatus.SENT,
        "accept_form": accept_form or AcceptForm(),
        "reject_form": reject_form or RejectForm(),
    }, status=status)


def _refused(request, quote, exc) -> None:
    if isinstance(exc, QuoteExpired):
        messages.error(request, _("Quote %(number)s expired on %(date)s and can no longer be "
                                  "accepted. We will contact you.") % {
            "number": quote.number, "date": texts.date_text(quote.valid_until)})
    elif isinstance(exc, QuoteAlreadyDecided):
        messages.error(request, _("Quote %(number)s is no longer waiting for an answer.")
                       % {"number": quote.number})


@require_http_methods(["GET", "HEAD"])
@client_view
def quote_list(request, customer):
    return render(request, "quotes/portal_list.html",
                  {"quotes": list(quotes_of_customer(customer=customer)[:200])})


@require_http_methods(["GET", "HEAD"])
@client_view
def quote_detail(request, customer, number: str):
    return _page(request, quote_of_customer(customer=customer, number=number))


@require_http_methods(["GET", "HEAD"])
@client_view
def quote_pdf(request, customer, number: str):
    quote = quote_of_customer(customer=customer, number=number)
    response = HttpResponse(pdf.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
    return response


def _decide(request, quote, decide, *, form, slot: str, refused: type[QuoteError], field: str,
            refused_text: str, success: str):
    """Run the client's decision ``decide(ip=…, user_agent=…)`` on ``quote``: a refusal that
    the form can explain goes back to the page with ``form`` (in the page's ``slot``) showing
    ``refused_text`` on ``field``; any other outcome is told as a message on the quote's page."""
    try:
        decide(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:500])
    except QuoteNotYours:
        raise Http404("no such quote") from None
    except refused:
        form.add_error(field, refused_text)
        return _page(request, quote, status=400, **{slot: form})
    except (QuoteExpired, QuoteAlreadyDecided) as exc:
        _refused(request, quote, exc)
    else:
        messages.success(request, success % {"number": quote.number})
    return redirect("quotes_portal:detail", number=quote.number)


@require_POST
@client_view
def quote_accept(request, customer, number: str):
    quote = quote_of_customer(customer=customer, number=number)
    form = AcceptForm(request.POST)
    ticked = form.is_valid() and form.cleaned_data["terms"]
    return _decide(request, quote, lambda **signed: services.quote_accept(
                       quote=quote, user=request.user, terms_accepted=ticked, **signed),
                   form=form, slot="accept_form", refused=TermsNotAccepted, field="terms",
                   refused_text=_("Tick the box to accept the terms of the quote."),
                   success=_("You have accepted quote %(number)s. We will start the work and "
                             "keep you informed."))


@require_POST
@client_view
def quote_reject(request, customer, number: str):
    quote = quote_of_customer(customer=customer, number=number)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _page(request, quote, reject_form=form, status=400)
    return _decide(request, quote, lambda **signed: services.quote_reject(
                       quote=quote, user=request.user, reason=form.cleaned_data["reason"],
                       **signed),
                   form=form, slot="reject_form", refused=QuoteInvalid, field="reason",
                   refused_text=_("Please tell us why you reject the quote."),
                   success=_("You have rejected quote %(number)s. Thank you for letting us "
                             "know."))
