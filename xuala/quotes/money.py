"""Quote arithmetic in Decimal, rounded per line half-up to the cent as Spanish invoices are.

Pure: no Django. Each line is rounded on its own (amount, discount, tax), and every total
is the sum of the rounded line figures, so the totals printed on a quote always add up
to the lines printed above them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

ONE_OFF = "one_off"
MONTHLY = "monthly"
ANNUAL = "annual"
RECURRENCES = (ONE_OFF, MONTHLY, ANNUAL)


def round_cent(value: Decimal) -> Decimal:
    """``value`` rounded half-up (away from zero on a tie) to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    """``rate`` % of ``amount``, rounded half-up to the cent."""
    return round_cent(Decimal(amount) * Decimal(rate) / HUNDRED)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    recurrence: str = ONE_OFF


@dataclass(frozen=True)
class LineAmounts:
    """One line's figures, each already rounded to the cent."""

    recurrence: str
    amount: Decimal  # quantity × unit price
    discount: Decimal  # the discount taken off the amount
    net: Decimal  # amount − discount: the tax base
    tax: Decimal
    total: Decimal  # net + tax


@dataclass(frozen=True)
class Subtotal:
    """Sums of rounded line figures (one recurrence, or all of them)."""

    amount: Decimal = ZERO
    discount: Decimal = ZERO
    net: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO
    lines: int = 0

    def plus(self, line: LineAmounts) -> Subtotal:
        return Subtotal(amount=self.amount + line.amount, discount=self.discount + line.discount,
                        net=self.net + line.net, tax=self.tax + line.tax,
                        total=self.total + line.total, lines=self.lines + 1)


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmounts, ...]
    by_recurrence: dict[str, Subtotal]  # one_off, monthly, annual (always all three keys)
    overall: Subtotal  # every line, whatever its recurrence

    @property
    def recurrences_present(self) -> list[str]:
        return [key for key in RECURRENCES if self.by_recurrence[key].lines]

    @property
    def present(self) -> list[tuple[str, Subtotal]]:
        """(recurrence, subtotal) for each recurrence that has lines, in a fixed order."""
        return [(key, self.by_recurrence[key]) for key in self.recurrences_present]


def _check(name: str, value: Decimal, *, upper: Decimal | None = None) -> Decimal:
    value = Decimal(value)
    if not value.is_finite() or value < 0 or (upper is not None and value > upper):
        limit = f" and at most {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be a number of at least 0{limit}, not {value}")
    return value


def line_amounts(line: LineInput, *, discount_rate: Decimal, tax_rate: Decimal) -> LineAmounts:
    """The rounded figures of one line: amount, then discount, then tax, each to the cent."""
    if line.recurrence not in RECURRENCES:
        raise ValueError(f"unknown recurrence {line.recurrence!r}")
    quantity = _check("quantity", line.quantity)
    unit_price = _check("unit price", line.unit_price)
    discount_rate = _check("discount", discount_rate, upper=HUNDRED)
    tax_rate = _check("tax rate", tax_rate, upper=HUNDRED)
    amount = round_cent(quantity * unit_price)
    discount = percent_of(amount, discount_rate)
    net = amount - discount
    tax = percent_of(net, tax_rate)
    return LineAmounts(recurrence=line.recurrence, amount=amount, discount=discount, net=net,
                       tax=tax, total=net + tax)


def quote_totals(lines: Iterable[LineInput], *, discount_rate: Decimal,
                 tax_rate: Decimal) -> Totals:
    """Every line's figures and their sums, per recurrence and overall."""
    computed = tuple(line_amounts(line, discount_rate=discount_rate, tax_rate=tax_rate)
                     for line in lines)
    by_recurrence = {key: Subtotal() for key in RECURRENCES}
    overall = Subtotal()
    for line in computed:
        by_recurrence[line.recurrence] = by_recurrence[line.recurrence].plus(line)
        overall = overall.plus(line)
    return Totals(lines=computed, by_recurrence=by_recurrence, overall=overall)
