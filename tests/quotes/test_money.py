"""Quote arithmetic: Decimal, rounded per line half-up to the cent, totals summing the lines."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xuala.quotes.money import (
    ANNUAL,
    MONTHLY,
    ONE_OFF,
    LineInput,
    line_amounts,
    percent_of,
    quote_totals,
    round_cent,
)

D = Decimal


def test_it_rounds_three_times_19_995_half_up_to_59_99():
    line = line_amounts(LineInput(D("3"), D("19.995")), discount_rate=D(0), tax_rate=D(0))
    assert line.amount == D("59.99")  # 59.985 → 59.99, not the banker's 59.98


def test_it_rounds_21_percent_of_five_cents_up_to_one_cent():
    assert percent_of(D("0.05"), D("21")) == D("0.01")  # 0.0105
    line = line_amounts(LineInput(D("1"), D("0.05")), discount_rate=D(0), tax_rate=D("21"))
    assert (line.net, line.tax, line.total) == (D("0.05"), D("0.01"), D("0.06"))


def test_it_takes_10_percent_off_33_33_leaving_30_00():
    line = line_amounts(LineInput(D("1"), D("33.33")), discount_rate=D("10"), tax_rate=D(0))
    assert (line.amount, line.discount, line.net) == (D("33.33"), D("3.33"), D("30.00"))


def test_it_applies_discount_then_tax_per_line_and_sums_the_rounded_lines():
    """Two lines of 0.125 × 1 each: rounded per line (0.13 + 0.13), not on the sum (0.25)."""
    totals = quote_totals([LineInput(D("1"), D("0.125")), LineInput(D("1"), D("0.125"))],
                          discount_rate=D(0), tax_rate=D("21"))
    assert [line.amount for line in totals.lines] == [D("0.13"), D("0.13")]
    assert totals.overall.amount == D("0.26")
    # 21 % of 0.13 = 0.0273 → 0.03 per line.
    assert totals.overall.tax == D("0.06")
    assert totals.overall.total == D("0.32")


def test_it_keeps_one_off_monthly_and_annual_subtotals_apart():
    totals = quote_totals([
        LineInput(D("2"), D("150"), ONE_OFF),
        LineInput(D("1"), D("9.99"), MONTHLY),
        LineInput(D("1"), D("99"), ANNUAL),
        LineInput(D("3"), D("1.50"), MONTHLY),
    ], discount_rate=D("10"), tax_rate=D("21"))
    one_off, monthly, annual = (totals.by_recurrence[k] for k in (ONE_OFF, MONTHLY, ANNUAL))
    # 300.00 − 30.00 = 270.00; IVA 56.70; 326.70
    assert (one_off.net, one_off.tax, one_off.total) == (D("270.00"), D("56.70"), D("326.70"))
    # 9.99 − 1.00 = 8.99 (IVA 1.89) and 4.50 − 0.45 = 4.05 (IVA 0.85)
    assert (monthly.net, monthly.tax, monthly.total) == (D("13.04"), D("2.74"), D("15.78"))
    assert monthly.lines == 2
    # 99.00 − 9.90 = 89.10; IVA 18.711 → 18.71
    assert (annual.net, annual.tax, annual.total) == (D("89.10"), D("18.71"), D("107.81"))
    assert totals.overall.total == D("326.70") + D("15.78") + D("107.81")
    assert totals.recurrences_present == [ONE_OFF, MONTHLY, ANNUAL]


def test_it_leaves_recurrences_without_lines_out_of_the_present_ones():
    totals = quote_totals([LineInput(D("1"), D("5"), MONTHLY)], discount_rate=D(0),
                          tax_rate=D("21"))
    assert totals.recurrences_present == [MONTHLY]
    assert totals.by_recurrence[ONE_OFF].total == D("0")


@pytest.mark.parametrize(("quantity", "price", "discount", "tax"), [
    (D("-1"), D("1"), D(0), D(21)),
    (D("1"), D("-0.01"), D(0), D(21)),
    (D("1"), D("1"), D("100.01"), D(21)),
    (D("1"), D("1"), D(0), D("-1")),
    (D("1"), D("NaN"), D(0), D(21)),
])
def test_it_refuses_negative_or_impossible_figures(quantity, price, discount, tax):
    with pytest.raises(ValueError):
        line_amounts(LineInput(quantity, price), discount_rate=discount, tax_rate=tax)


# ---------------------------------------------------------------- properties

quantities = st.decimals(min_value=D("0.001"), max_value=D("10000"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=4)
rates = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
recurrences = st.sampled_from([ONE_OFF, MONTHLY, ANNUAL])
lines_strategy = st.lists(st.builds(LineInput, quantities, prices, recurrences), max_size=12)


def half_up_cents(value: Fraction) -> Decimal:
    """Reference rounding on exact fractions: floor(x·100 + ½) / 100 for x ≥ 0."""
    scaled = value * 100 + Fraction(1, 2)
    return D(scaled.numerator // scaled.denominator) / 100


@given(lines_strategy, rates, rates)
def test_totals_are_the_sums_of_the_rounded_lines(lines, discount, tax):
    totals = quote_totals(lines, discount_rate=discount, tax_rate=tax)
    for field in ("amount", "discount", "net", "tax", "total"):
        assert getattr(totals.overall, field) == sum(
            (getattr(line, field) for line in totals.lines), D("0"))
        assert getattr(totals.overall, field) == sum(
            (getattr(part, field) for part in totals.by_recurrence.values()), D("0"))
    for line in totals.lines:
        assert line.net == line.amount - line.discount
        assert line.total == line.net + line.tax


@given(lines_strategy, rates, rates)
def test_no_figure_is_ever_negative_or_finer_than_a_cent(lines, discount, tax):
    totals = quote_totals(lines, discount_rate=discount, tax_rate=tax)
    for line in totals.lines:
        for value in (line.amount, line.discount, line.net, line.tax, line.total):
            assert value >= 0
            assert value == value.quantize(D("0.01"))


@given(quantities, prices, rates, rates)
def test_each_line_figure_is_the_exact_value_rounded_half_up(quantity, price, discount, tax):
    line = line_amounts(LineInput(quantity, price), discount_rate=discount, tax_rate=tax)
    exact_amount = Fraction(quantity) * Fraction(price)
    assert line.amount == half_up_cents(exact_amount)
    assert line.discount == half_up_cents(Fraction(line.amount) * Fraction(discount) / 100)
    assert line.tax == half_up_cents(Fraction(line.net) * Fraction(tax) / 100)


@given(st.integers(min_value=0, max_value=10**9))
def test_a_half_cent_always_rounds_up(cents):
    value = D(cents) / 100 + D("0.005")
    assert round_cent(value) == D(cents + 1) / 100
    assert round_cent(value) == value.quantize(D("0.01"), rounding=ROUND_HALF_UP)
