"""The quote as a PDF (fpdf2, pure Python), in the quote's language, with the company's details.

Fonts: a Unicode TrueType font so that "€", "ñ" and typographic quotes render. The first
found of: the ttf-opensans package (Open Sans, Apache 2.0, pip-installable), Debian's
DejaVu Sans; failing both, the PDF core font Helvetica, where text is reduced to Latin-1
and amounts read "EUR" instead of "€".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from xuala.policy.selectors import policy_active
from xuala.quotes import texts
from xuala.quotes.models import Quote, QuoteLine

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "QuoteSans"
GREY = (90, 90, 90)
LINE_GREY = (200, 200, 200)


@dataclass(frozen=True)
class PdfFonts:
    """TrueType files for regular and bold text; both None means the core Helvetica."""

    regular: Path | None = None
    bold: Path | None = None

    @property
    def unicode(self) -> bool:
        return self.regular is not None and self.bold is not None


CORE_FONTS = PdfFonts()


@lru_cache(maxsize=1)
def default_fonts() -> PdfFonts:
    try:
        import ttf_opensans
    except ImportError:
        pass
    else:
        regular = Path(ttf_opensans.OPENSANS_REGULAR.path)
        bold = Path(ttf_opensans.OPENSANS_BOLD.path)
        if regular.is_file() and bold.is_file():
            return PdfFonts(regular=regular, bold=bold)
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        return PdfFonts(regular=regular, bold=bold)
    return CORE_FONTS


@dataclass(frozen=True)
class Company:
    name: str
    tax_id: str
    address: tuple[str, ...]
    email: str


def company() -> Company:
    """The issuer's details from settings (read when a PDF is made, never at import)."""
    address = settings.XUALA_COMPANY_ADDRESS
    if isinstance(address, str):
        address = address.replace("\\n", "\n").splitlines()
    email = (settings.XUALA_COMPANY_EMAIL
             or policy_active().policy.channels.support_address)
    return Company(name=texts.company_name(),
                   tax_id=settings.XUALA_COMPANY_TAX_ID,
                   address=tuple(part.strip() for part in address if part.strip()),
                   email=email)


_LATIN1_SUBSTITUTES = str.maketrans({"€": "EUR", "“": '"', "”": '"', "‘": "'", "’": "'",
                                     "–": "-", "—": "-", "…": "...", "\u202f": " "})


class _QuotePdf(FPDF):
    def __init__(self, *, fonts: PdfFonts, footer_text: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.quote_fonts = fonts
        self.footer_text = footer_text
        if fonts.unicode:
            self.add_font(FAMILY, "", str(fonts.regular))
            self.add_font(FAMILY, "B", str(fonts.bold))
            self.quote_family = FAMILY
        else:
            self.quote_family = "Helvetica"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def text_of(self, value: str) -> str:
        """Text the font can draw: anything for a TrueType font, Latin-1 for Helvetica."""
        if self.quote_fonts.unicode:
            return value
        return value.translate(_LATIN1_SUBSTITUTES).encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float, *, bold: bool = False, grey: bool = False) -> None:
        self.set_font(self.quote_family, "B" if bold else "", size)
        self.set_text_color(*(GREY if grey else (0, 0, 0)))

    def line_text(self, value: str, *, h: float = 5, align: str = "L", width: float = 0) -> None:
        self.multi_cell(width, h, self.text_of(value), align=align,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-14)
        self.use(8, grey=True)
        self.cell(0, 5, self.text_of(f"{self.footer_text} · {self.page_no()}/{{nb}}"),
                  align="C")


def _money(pdf: _QuotePdf, value: Decimal, currency: str) -> str:
    return texts.amount_text(value, currency, symbol=pdf.quote_fonts.unicode)


def quote_pdf(quote: Quote, *, lines: list[QuoteLine] | None = None,
              fonts: PdfFonts | None = None, generated_at: datetime | None = None) -> bytes:
    """The quote as PDF bytes, labelled in the quote's language."""
    lines = list(quote.lines.all()) if lines is None else lines
    fonts = default_fonts() if fonts is None else fonts
    issuer = company()
    totals = quote.totals(lines)
    with translation.override(quote.language):
        footer = _("Quote %(number)s · %(company)s") % {"number": quote.number,
                                                       "company": issuer.name}
        pdf = _QuotePdf(fonts=fonts, footer_text=footer)
        pdf.set_title(pdf.text_of(_("Quote %(number)s") % {"number": quote.number}))
        pdf.set_author(pdf.text_of(issuer.name))
        pdf.set_creation_date(generated_at or timezone.now())
        pdf.add_page()
        _header(pdf, quote, issuer)
        _parties(pdf, quote)
        _lines_table(pdf, quote, lines, totals)
        _totals(pdf, quote, totals)
        _closing(pdf, quote)
    return bytes(pdf.output())


def _header(pdf: _QuotePdf, quote: Quote, issuer: Company) -> None:
    top = pdf.get_y()
    pdf.use(16, bold=True)
    pdf.line_text(issuer.name, h=8, width=100)
    pdf.use(9, grey=True)
    details = []
    if issuer.tax_id:
        details.append(_("Tax ID: %(id)s") % {"id": issuer.tax_id})
    details += [*issuer.address, issuer.email]
    for text in details:
        pdf.line_text(text, h=4.5, width=100)
    left_bottom = pdf.get_y()
    pdf.set_xy(120, top)
    pdf.use(18, bold=True)
    pdf.multi_cell(75, 9, pdf.text_of(_("QUOTE")), align="R", new_x=XPos.LEFT,
                   new_y=YPos.NEXT)
    pdf.use(11, bold=True)
    pdf.multi_cell(75, 6, pdf.text_of(quote.number), align="R", new_x=XPos.LEFT,
                   new_y=YPos.NEXT)
    pdf.use(9)
    issued = (quote.sent_at or quote.created_at).astimezone(policy_active().calendar.tz).date()
    for text in (_("Date: %(date)s") % {"date": texts.date_text(issued)},
                 _("Valid until: %(date)s") % {"date": texts.date_text(quote.valid_until)}):
        pdf.multi_cell(75, 5, pdf.text_of(text), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 6)


def _parties(pdf: _QuotePdf, quote: Quote) -> None:
    pdf.use(8, bold=True, grey=True)
    pdf.line_text(_("Customer").upper(), h=4)
    pdf.use(11, bold=True)
    pdf.line_text(quote.customer.name, h=6)
    pdf.use(9)
    if quote.customer.tax_id:
        pdf.line_text(_("Tax ID: %(id)s") % {"id": quote.customer.tax_id}, h=4.5)
    if quote.contact is not None:
        pdf.line_text(f"{quote.contact.get_full_name()} <{quote.contact.email}>", h=4.5)
    if quote.ticket_id:
        pdf.ln(2)
        pdf.line_text(_("About request %(ref)s: %(subject)s") % {
            "ref": quote.ticket.reference, "subject": quote.ticket.subject}, h=4.5)
    pdf.ln(5)


def _lines_table(pdf: _QuotePdf, quote: Quote, lines: list[QuoteLine], totals) -> None:
    pdf.use(9)
    pdf.set_draw_color(*LINE_GREY)
    with pdf.table(col_widths=(86, 20, 36, 38), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   borders_layout="HORIZONTAL_LINES", line_height=5,
                   padding=(1.5, 1, 1.5, 1)) as table:
        heading = table.row()
        for label in (_("Description"), _("Quantity"), _("Unit price"), _("Amount")):
            heading.cell(pdf.text_of(label))
        for line, amounts in zip(lines, totals.lines, strict=True):
            row = table.row()
            detail = f"{line.get_kind_display()} · {line.get_recurrence_display()}"
            row.cell(pdf.text_of(f"{line.description}\n{detail}"))
            row.cell(pdf.text_of(_quantity_text(line.quantity)))
            row.cell(pdf.text_of(_unit_price_text(pdf, line.unit_price, quote.currency)))
            row.cell(pdf.text_of(_money(pdf, amounts.amount, quote.currency)))
    pdf.ln(4)


def _places(value: Decimal, minimum: int) -> int:
    return max(minimum, -value.normalize().as_tuple().exponent)


def _quantity_text(quantity: Decimal) -> str:
    return formats.number_format(quantity, _places(quantity, 0), use_l10n=True,
                                 force_grouping=True)


def _unit_price_text(pdf: _QuotePdf, price: Decimal, currency: str) -> str:
    """A unit price keeps its fractions of a cent (19,995 €); amounts are to the cent."""
    return texts.amount_text(price, currency, symbol=pdf.quote_fonts.unicode,
                             places=_places(price, 2))


def _totals(pdf: _QuotePdf, quote: Quote, totals) -> None:
    label_x, label_w, value_w = 95.0, 62.0, 38.0
    rate = texts.rate_text(quote.tax_rate)
    for key in totals.recurrences_present:
        part = totals.by_recurrence[key]
        rows: list[tuple[str, Decimal, bool]] = [(_("Amount"), part.amount, False)]
        if part.discount:
            rows.append((_("Discount %(rate)s") % {"rate": texts.rate_text(quote.discount)},
                         -part.discount, False))
            rows.append((_("Tax base"), part.net, False))
        rows.append((f"{quote.tax_name} {rate}", part.tax, False))
        rows.append((_("Total"), part.total, True))
        if pdf.will_page_break(6 * (len(rows) + 1)):
            pdf.add_page()
        pdf.set_x(label_x)
        pdf.use(9, bold=True, grey=True)
        pdf.cell(label_w + value_w, 6, pdf.text_of(str(texts.RECURRENCE_TOTAL_LABELS[key])),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for label, value, strong in rows:
            pdf.set_x(label_x)
            pdf.use(10 if strong else 9, bold=strong)
            pdf.cell(label_w, 5.5, pdf.text_of(label))
            pdf.cell(value_w, 5.5, pdf.text_of(_money(pdf, value, quote.currency)), align="R",
                     new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)


def _closing(pdf: _QuotePdf, quote: Quote) -> None:
    pdf.ln(2)
    pdf.use(9, bold=True)
    pdf.line_text(_("Valid until: %(date)s") % {"date": texts.date_text(quote.valid_until)})
    if quote.terms:
        pdf.ln(2)
        pdf.use(9, bold=True)
        pdf.line_text(_("Terms"))
        pdf.use(9)
        pdf.line_text(quote.terms, h=4.5)
    pdf.ln(3)
    pdf.use(8, grey=True)
    pdf.line_text(_("The work starts only once you accept the quote (Technical Support Policy, "
                    "clause %(clause)s).") % {"clause": quote.clause}, h=4)
