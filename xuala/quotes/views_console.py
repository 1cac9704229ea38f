"""Quotes in the agent console: the list, drafting from a ticket, editing lines, sending."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xuala.core.actions import Actions, perform
from xuala.desk.selectors import ticket_for_agent
from xuala.policy.selectors import policy_active
from xuala.quotes import pdf, selectors, services
from xuala.quotes.errors import QuoteError
from xuala.quotes.forms import LineForm, NewQuoteForm, QuoteFilterForm, QuoteForm, TicketChoiceForm
from xuala.quotes.models import Quote, QuoteLine, QuoteStatus
from xuala.quotes.texts import error_text
from xuala.web.access import agent_required

PAGE_SIZE = 50


def _back(quote: Quote, anchor: str = ""):
    response = redirect("quotes_console:detail", number=quote.number)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@agent_required
@require_http_methods(["GET", "HEAD"])
def quote_list(request):
    form = QuoteFilterForm(request.GET or None)
    data: dict = {}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
    quotes = selectors.quotes_for_agents(status=data.get("status") or None,
                                         search=(data.get("q") or "").strip() or None,
                                         ticket_id=data.get("ticket"))
    page = Paginator(quotes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "quotes/console_list.html",
                  {"form": form, "page": page, "nav": "quotes"})


@agent_required
@require_http_methods(["GET", "HEAD", "POST"])
def quote_new(request):
    """Draft a quote for a ticket (?ticket=<id>) or for a customer chosen here."""
    ticket_field = TicketChoiceForm(request.GET if "ticket" in request.GET else request.POST)
    ticket_id = ticket_field.cleaned_data.get("ticket") if ticket_field.is_valid() else None
    ticket = ticket_for_agent(pk=ticket_id) if ticket_id else None
    form = None
    if ticket is None:
        form = NewQuoteForm(request.POST if request.method == "POST" else None,
                            customers=selectors.customers_to_quote())
    if request.method == "POST":
        customer = None
        if form is not None:
            if not form.is_valid():
                return render(request, "quotes/console_new.html",
                              {"form": form, "nav": "quotes"}, status=400)
            customer = selectors.customer_for_agent(pk=form.cleaned_data["customer"])
        try:
            quote = services.quote_draft(created_by=request.user, ticket=ticket,
                                         customer=customer)
        except QuoteError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Quote %(number)s drafted. Add its lines, then send it.")
                             % {"number": quote.number})
            return _back(quote)
    existing = (list(selectors.quotes_for_agents(ticket_id=ticket.pk)) if ticket is not None
                else [])
    return render(request, "quotes/console_new.html",
                  {"ticket": ticket, "form": form, "existing": existing, "nav": "quotes"})


def _detail(request, quote: Quote, *, quote_form=None, line_form=None, status: int = 200):
    lines = list(quote.lines.all())
    totals = quote.totals(lines)
    editing = quote.status == QuoteStatus.DRAFT
    return render(request, "quotes/console_detail.html", {
        "quote": quote, "totals": totals, "editing": editing,
        "lines_with_amounts": list(zip(lines, totals.lines, strict=True)),
        "policy_tz": policy_active().calendar.tz,
        "line_rows": [(line, LineForm(initial={
            "description": line.description, "kind": line.kind, "recurrence": line.recurrence,
            "quantity": line.quantity.normalize(), "unit_price": line.unit_price.normalize()},
            prefix=f"line{line.pk}")) for line in lines] if editing else [],
        "quote_form": quote_form or QuoteForm(initial={
            "discount": quote.discount, "valid_until": quote.valid_until,
            "language": quote.language, "terms": quote.terms}),
        "line_form": line_form or LineForm(),
        "can_withdraw": quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT),
        "nav": "quotes",
    }, status=status)


@agent_required
@require_http_methods(["GET", "HEAD"])
def quote_detail(request, number: str):
    return _detail(request, selectors.quote_for_agent(number=number))


def _page_again(slot: str):
    """Where an invalid form of the quote's page goes: the page again (400), the form in
    ``slot`` showing its errors."""
    return lambda request, quote, form: _detail(
        request, selectors.quote_for_agent(number=quote.number), status=400, **{slot: form})


def _line_again(request, line, form):
    messages.error(request, _("Check the line: every field is needed, with a quantity over 0 and "
                              "a price of 0 or more."))
    return _back(line.quote, "lines")


# The agent's changes to a draft, its lines, and its sending or withdrawal.
on_quote = Actions(access=agent_required, load=selectors.quote_for_action, back=_back,
                   errors=QuoteError, error_text=error_text)
on_line = Actions(access=agent_required, load=selectors.quote_line_for_action,
                  back=lambda line, _anchor: _back(line.quote, "lines"),
                  errors=QuoteError, error_text=error_text)


@on_quote.post(form=QuoteForm, invalid=_page_again("quote_form"))
def quote_edit(request, quote: Quote, data: dict):
    services.quote_update(quote=quote, actor=request.user, **data)
    return _("Quote saved.")


@on_quote.post(form=LineForm, invalid=_page_again("line_form"), anchor="lines")
def quote_line_add(request, quote: Quote, data: dict):
    services.quote_line_add(quote=quote, actor=request.user, **data)
    return _("Line added.")


@on_line.post(form=lambda request, line: LineForm(request.POST, prefix=f"line{line.pk}"),
              invalid=_line_again)
def quote_line_edit(request, line: QuoteLine, data: dict):
    services.quote_line_update(line=line, actor=request.user, **data)
    return _("Line saved.")


@on_line.post()
def quote_line_remove(request, line: QuoteLine):
    services.quote_line_remove(line=line, actor=request.user)
    return _("Line removed.")


@on_quote.post()
def quote_send(request, quote: Quote):
    services.quote_send(quote=quote, actor=request.user)
    return _("Quote %(number)s was sent to the client; the ticket waits on it with its clock "
             "paused.") % {"number": quote.number}


@on_quote.post()
def quote_withdraw(request, quote: Quote):
    services.quote_withdraw(quote=quote, actor=request.user,
                            reason=request.POST.get("reason", ""))
    return _("Quote %(number)s was withdrawn.") % {"number": quote.number}


@agent_required
@require_POST
def ticket_quote_withdraw(request, pk: int):
    """End a ticket's wait on a quote (§5): its quotes are withdrawn, with the reason."""
    ticket = ticket_for_agent(pk=pk)
    reason = request.POST.get("reason", "")
    perform(request, lambda: services.ticket_quote_withdraw(ticket=ticket, actor=request.user,
                                                            reason=reason),
            errors=QuoteError, error_text=error_text,
            success=_("The quote was withdrawn; the ticket is open again."))
    return redirect("console:ticket", pk=ticket.pk)


@agent_required
@require_http_methods(["GET", "HEAD"])
def quote_pdf(request, number: str):
    quote = selectors.quote_for_agent(number=number)
    response = HttpResponse(pdf.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
    return response

