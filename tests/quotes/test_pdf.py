"""The quote as a PDF: a real PDF in the quote's language with the company, lines and totals."""

from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from tests.quotes.conftest import add_standard_lines
from xuala.quotes.pdf import CORE_FONTS, default_fonts, quote_pdf
from xuala.quotes.services import quote_draft, quote_line_add, quote_update


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_it_is_a_pdf_with_the_number_company_lines_and_totals_in_spanish(draft):
    data = quote_pdf(draft)
    assert data.startswith(b"%PDF-")
    text = text_of(data)
    assert draft.number in text
    assert "Xuala Cloud" in text and "asistencia@modo3.net" in text
    assert "PRESUPUESTO" in text and "Válido hasta: 23 Dic 2026" in text
    assert "Migración de la tienda" in text and "Ampliación a 50 GB de disco" in text
    assert "19,995 €" in text.replace("\u00a0", " ")  # a unit price keeps its fraction of a cent
    flat = text.replace("\u00a0", " ")
    assert "59,99 €" in flat and "12,60 €" in flat and "72,59 €" in flat  # one-off
    assert "15,13 €" in flat  # monthly
    assert "IVA 21 %" in flat
    assert "Sin Plan SL" in text and "cláusula 5" in text


def test_it_uses_a_unicode_font_so_the_euro_sign_and_enye_survive(draft, agent_user):
    quote_line_add(quote=draft, actor=agent_user, description="Diseño “a medida” — 2ª fase",
                   quantity=Decimal("1"), unit_price=Decimal("100"))
    assert default_fonts().unicode
    text = text_of(quote_pdf(draft))
    assert "Diseño “a medida” — 2ª fase" in text
    assert "100,00 €" in text.replace("\u00a0", " ")


def test_it_takes_the_company_name_from_the_policy_and_its_details_from_settings(
        draft, settings, tmp_path):
    from xuala.policy.loader import default_policy_text

    policy = tmp_path / "policy.toml"
    policy.write_text(default_policy_text().replace('company = "Xuala Cloud"',
                                                    'company = "Modo Tres Soluciones SL"', 1))
    settings.XUALA_POLICY = str(policy)
    settings.XUALA_COMPANY_TAX_ID = "B12345678"
    settings.XUALA_COMPANY_ADDRESS = "Calle Mayor 1\n28013 Madrid"
    settings.XUALA_COMPANY_EMAIL = "facturas@modo3.net"
    text = text_of(quote_pdf(draft))
    assert "Modo Tres Soluciones SL" in text and "NIF: B12345678" in text
    assert "Calle Mayor 1" in text and "28013 Madrid" in text
    assert "facturas@modo3.net" in text


def test_it_shows_the_discount_and_the_tax_base_when_there_is_a_discount(draft, agent_user):
    quote_update(quote=draft, actor=agent_user, discount="10")
    draft.refresh_from_db()
    flat = text_of(quote_pdf(draft)).replace("\u00a0", " ")
    assert "Descuento 10 %" in flat and "Base imponible" in flat
    assert "53,99 €" in flat and "65,33 €" in flat  # 59.99 − 6.00, + IVA 11.34


def test_it_is_labelled_in_english_for_an_english_quote(english_customer, agent_user, clock):
    quote = quote_draft(customer=english_customer, created_by=agent_user)
    add_standard_lines(quote, agent_user)
    text = text_of(quote_pdf(quote))
    assert "QUOTE" in text and "Unit price" in text and "Valid until: 23 Dec 2026" in text
    assert "€72.59" in text


def test_without_a_unicode_font_it_falls_back_to_helvetica_and_writes_eur(draft):
    data = quote_pdf(draft, fonts=CORE_FONTS)
    assert data.startswith(b"%PDF-")
    flat = text_of(data).replace("\u00a0", " ")
    assert "72,59 EUR" in flat and "€" not in flat
    assert draft.number in flat and "Migración de la tienda" in flat  # Latin-1 keeps "ó"


@pytest.mark.parametrize("count", [40])
def test_a_long_quote_flows_onto_more_pages(draft, agent_user, count):
    for n in range(count):
        quote_line_add(quote=draft, actor=agent_user, description=f"Tarea adicional {n}",
                       quantity=Decimal("1"), unit_price=Decimal("10"))
    reader = PdfReader(BytesIO(quote_pdf(draft)))
    assert len(reader.pages) >= 2
    assert "Tarea adicional 39" in text_of(quote_pdf(draft))


def test_making_a_pdf_logs_no_font_subsetting_chatter(draft, caplog):
    import logging

    with caplog.at_level(logging.INFO):
        quote_pdf(draft)
    assert [r for r in caplog.records if r.name.startswith("fontTools")] == []
