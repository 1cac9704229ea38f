"""Texts of quotes in the reader's language: amounts, labels, and the mails quotes send."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xuala.core.links import public_url
from xuala.desk.texts import local_time
from xuala.policy.selectors import company_name as policy_company_name
from xuala.policy.selectors import policy_active
from xuala.quotes import money
from xuala.quotes.errors import QuoteError, QuoteInvalid, QuoteNotEditable
from xuala.quotes.models import QuoteStatus

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}

RECURRENCE_TOTAL_LABELS = {
    money.ONE_OFF: gettext_lazy("One-off"),
    money.MONTHLY: gettext_lazy("Monthly, recurring"),
    money.ANNUAL: gettext_lazy("Annual, recurring"),
}


def amount_text(value: Decimal, currency: str, *, symbol: bool = True, places: int = 2) -> str:
    """``value`` in the active language's number format with its currency ("1.234,50 €")."""
    number = formats.number_format(value, places, use_l10n=True, force_grouping=True)
    sign = CURRENCY_SYMBOLS.get(currency, currency) if symbol else currency
    if (translation.get_language() or "").startswith("en") and sign != currency:
        return f"{sign}{number}"
    return f"{number}\u00a0{sign}"


def rate_text(value: Decimal) -> str:
    """A percentage without needless decimals: "21 %", "12,5 %"."""
    places = max(0, -value.normalize().as_tuple().exponent)
    return f"{formats.number_format(value, places, use_l10n=True)}\u00a0%"


def date_text(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def portal_url(quote, language: str) -> str:
    with translation.override(language):
        return public_url(reverse("quotes_portal:detail", args=[quote.number]))


def totals_lines(quote, totals: money.Totals) -> list[str]:
    """One line per recurrence present: base, tax and total (for mails)."""
    out = []
    for key in totals.recurrences_present:
        part = totals.by_recurrence[key]
        out.append(_("%(label)s: %(net)s + %(tax_name)s (%(rate)s) %(tax)s = %(total)s") % {
            "label": RECURRENCE_TOTAL_LABELS[key], "net": amount_text(part.net, quote.currency),
            "tax_name": quote.tax_name, "rate": rate_text(quote.tax_rate),
            "tax": amount_text(part.tax, quote.currency),
            "total": amount_text(part.total, quote.currency)})
    return out


def company_name() -> str:
    return policy_company_name()


def sent_mail(quote, totals: money.Totals) -> tuple[str, str]:
    """Subject and text of the mail that hands a quote to the client."""
    with translation.override(quote.language):
        if quote.ticket_id:
            subject = _("[%(ref)s] Quote %(number)s: %(subject)s") % {
                "ref": quote.ticket.reference, "number": quote.number,
                "subject": quote.ticket.subject}
            about = _("We have prepared quote %(number)s for your request %(ref)s, "
                      "“%(subject)s”.") % {"number": quote.number,
                                           "ref": quote.ticket.reference,
                                           "subject": quote.ticket.subject}
        else:
            subject = _("Quote %(number)s") % {"number": quote.number}
            about = _("We have prepared quote %(number)s for you.") % {"number": quote.number}
        lines = [_("Hello,"), "", about, "", *totals_lines(quote, totals), "",
                 _("It is valid until %(date)s.") % {"date": date_text(quote.valid_until)},
                 "",
                 _("You can read it, download it as a PDF, and accept or reject it in your "
                   "Client Area:"),
                 portal_url(quote, quote.language), "",
                 _("The work starts only once you accept the quote (Technical Support Policy, "
                   "clause %(clause)s).") % {"clause": quote.clause},
                 "", company_name()]
    return subject, "\n".join(lines)


def _agent_language(agent) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    language = getattr(agent, "language", "") or ""
    return language if language in codes else settings.LANGUAGE_CODE


def console_url(quote, language: str) -> str:
    with translation.override(language):
        return public_url(reverse("quotes_console:detail", args=[quote.number]))


def decision_mail_to_agent(quote, *, agent, decision: str) -> tuple[str, str]:
    """Subject and text telling the agent (or the team) what the client decided."""
    language = _agent_language(agent)
    with translation.override(language):
        ref = quote.ticket.reference if quote.ticket_id else ""
        values = {"number": quote.number, "customer": quote.customer.name, "ref": ref}
        if decision == "accepted":
            subject = _("Quote %(number)s accepted by %(customer)s") % values
            lead = (_("%(customer)s accepted quote %(number)s. Ticket %(ref)s is open again: "
                      "the work can start.") if ref else
                    _("%(customer)s accepted quote %(number)s: the work can start.")) % values
        elif decision == "rejected":
            subject = _("Quote %(number)s rejected by %(customer)s") % values
            lead = _("%(customer)s rejected quote %(number)s.") % values
        else:
            subject = _("Quote %(number)s has expired") % values
            lead = (_("Quote %(number)s for %(customer)s expired without an answer. Ticket "
                      "%(ref)s is open again.") if ref else
                    _("Quote %(number)s for %(customer)s expired without an answer.")) % values
        if ref:
            subject = f"[{ref}] {subject}"
        lines = [lead]
        if decision == "rejected" and quote.rejection_reason:
            lines += ["", _("Reason given:"), quote.rejection_reason]
        lines += ["", console_url(quote, language)]
    return subject, "\n".join(lines)


def acceptance_receipt(quote) -> tuple[str, str]:
    """The client's receipt of an acceptance: what was accepted, when, from where."""
    with translation.override(quote.language):
        subject = _("You have accepted quote %(number)s") % {"number": quote.number}
        lines = [
            _("Hello,"), "",
            _("We have recorded your acceptance of quote %(number)s on %(when)s, from the "
              "address %(ip)s.") % {"number": quote.number,
                                    "when": local_time(quote.decided_at, policy_active()),
                                    "ip": quote.decided_ip or "-"},
            _("We will now start the work and keep you informed."), "",
            portal_url(quote, quote.language), "", company_name(),
        ]
    return subject, "\n".join(lines)


def withdrawn_mail(quote) -> tuple[str, str]:
    with translation.override(quote.language):
        subject = _("Quote %(number)s has been withdrawn") % {"number": quote.number}
        lines = [_("Hello,"), "",
                 _("We have withdrawn quote %(number)s; it can no longer be accepted. If "
                   "needed, we will send you a new one.") % {"number": quote.number},
                 "", company_name()]
    return subject, "\n".join(lines)


def rejection_answer(quote) -> str:
    """The courteous public answer that closes the change request after a rejection."""
    with translation.override(quote.language):
        return _("Thank you for letting us know. You have rejected quote %(number)s, so we "
                 "have closed this change request without doing the work, as extra-cost work "
                 "only starts after a quote is accepted (Technical Support Policy, clause "
                 "%(clause)s). If you change your mind or need something else, just write to "
                 "us.") % {"number": quote.number, "clause": quote.clause}


_INVALID_TEXTS = {
    "no_lines": gettext_lazy("A quote needs at least one line before it is sent."),
    "valid_until": gettext_lazy("The validity date has passed; choose a later one."),
    "no_contact": gettext_lazy("The customer has no contact to send the quote to."),
    "description": gettext_lazy("A line needs a description of at most 500 characters."),
    "quantity": gettext_lazy("The quantity must be more than 0, with at most 3 decimals."),
    "unit_price": gettext_lazy("The unit price must be 0 or more, with at most 4 decimals."),
    "discount": gettext_lazy("The discount is a percentage from 0 to 100."),
    "reason": gettext_lazy("Say why the quote is withdrawn: the client is told and the "
                           "ticket's history keeps it."),
    "not_waiting": gettext_lazy("This ticket is not waiting on a quote any more."),
}


def error_text(exc: QuoteError) -> str:
    """What the console tells an agent whose change to a quote a service refused."""
    if isinstance(exc, QuoteNotEditable):
        return _("Only a draft can be changed or sent.")
    if isinstance(exc, QuoteInvalid) and exc.code in _INVALID_TEXTS:
        return str(_INVALID_TEXTS[exc.code])
    if exc.code == "withdrawn" or exc.code in QuoteStatus.values:
        return _("This quote has already been decided or withdrawn.")
    return _("That could not be done: %(reason)s") % {"reason": exc}
