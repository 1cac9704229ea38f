"""Template helpers of quotes: amounts in the reader's format, and a ticket's quote."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

from xuala.quotes import texts
from xuala.quotes.selectors import quote_of_ticket_for_client

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "EUR") -> str:
    """An amount in the active language's format with its currency: "1.234,50 €"."""
    if value is None:
        return ""
    return texts.amount_text(value, currency)


@register.filter
def unit_money(value: Decimal | None, currency: str = "EUR") -> str:
    """A unit price, keeping fractions of a cent ("19,995 €")."""
    if value is None:
        return ""
    places = max(2, -value.normalize().as_tuple().exponent)
    return texts.amount_text(value, currency, places=places)


@register.filter
def percent(value: Decimal | None) -> str:
    return "" if value is None else texts.rate_text(value)


@register.filter
def quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    places = max(0, -value.normalize().as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


@register.filter
def recurrence_total_label(key: str) -> str:
    return str(texts.RECURRENCE_TOTAL_LABELS.get(key, key))


@register.simple_tag
def ticket_quote(ticket):
    """The newest quote of ``ticket`` its client may see (for the client's ticket page)."""
    return quote_of_ticket_for_client(ticket=ticket)
