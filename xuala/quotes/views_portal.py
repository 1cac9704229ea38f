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


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:500]


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


@require_POST
@client_view
def quote_accept(request, customer, number: str):
    quote = quote_of_customer(customer=customer, number=number)
    form = AcceptForm(request.POST)
    ticked = form.is_valid() and form.cleaned_data["terms"]
    try:
        services.quote_accept(quote=quote, user=request.user, terms_accepted=ticked,
                              ip=client_ip(request), user_agent=_user_agent(request))
    except QuoteNotYours:
        raise Http404("no such quote") from None
    except TermsNotAccepted:
        form.add_error("terms", _("Tick the box to accept the terms of the quote."))
        return _page(request, quote, accept_form=form, status=400)
    except (QuoteExpired, QuoteAlreadyDecided) as exc:
        _refused(request, quote, exc)
    else:
        messages.success(request, _("You have accepted quote %(number)s. We will start the work "
                                    "and keep you informed.") % {"number": quote.number})
    return redirect("quotes_portal:detail", number=quote.number)


@require_POST
@client_view
def quote_reject(request, customer, number: str):
    quote = quote_of_customer(customer=customer, number=number)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _page(request, quote, reject_form=form, status=400)
    try:
        services.quote_reject(quote=quote, user=request.user, reason=form.cleaned_data["reason"],
                              ip=client_ip(request), user_agent=_user_agent(request))
    except QuoteNotYours:
        raise Http404("no such quote") from None
    except QuoteInvalid:
        form.add_error("reason", _("Please tell us why you reject the quote."))
        return _page(request, quote, reject_form=form, status=400)
    except (QuoteExpired, QuoteAlreadyDecided) as exc:
        _refused(request, quote, exc)
    else:
        messages.success(request, _("You have rejected quote %(number)s. Thank you for letting "
                                    "us know.") % {"number": quote.number})
    return redirect("quotes_portal:detail", number=quote.number)
