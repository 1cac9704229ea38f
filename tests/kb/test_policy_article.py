"""The published policy is rendered from the active policy data, in Spanish and English."""

import pytest

from xuala.policy.loader import default_policy_text

URL_ES = "/kb/politicas-de-asistencia-tecnica/"
URL_EN = "/en/kb/politicas-de-asistencia-tecnica/"


def test_it_publishes_every_clause_in_spanish(client):
    response = client.get(URL_ES)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Políticas de Asistencia Técnica</h1>" in html
    for clause in ["1", "2", "3", "4", "5", "6", "6.1", "6.2", "6.3", "6.3.1", "6.3.2",
                   "6.3.3", "6.3.4", "6.3.5", "6.3.6"]:
        assert f'id="s{clause}"' in html, clause
    assert "de lunes a viernes de 9:00 a 20:00" in html
    assert "72 horas" in html and "24 horas" in html
    assert "asistencia@modo3.net" in html
    assert "99,7 %" in html and "0,3 %" in html and "129,6 minutos" in html
    assert "IVA (21 %)" in html
    assert "Online Sentry®" in html and "cada martes" in html
    assert "48 horas" in html  # the priority plan's hard limit


def test_it_publishes_the_same_promises_in_english(client):
    response = client.get(URL_EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Technical Support Policy</h1>" in html
    assert "Monday to Friday from 9:00 to 20:00" in html
    assert "72 hours" in html
    assert "99.7 %" in html
    assert 'lang="en"' in html


def test_changing_the_policy_file_changes_the_published_promise(client, settings, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text()
                    .replace('due = "72h"', 'due = "96h"')
                    .replace('friday = ["09:00-20:00"]', 'friday = ["09:00-15:00"]')
                    .replace("asistencia@modo3.net", "soporte@modo3.net"))
    settings.XUALA_POLICY = str(path)
    html = client.get(URL_ES).content.decode()
    assert "96 horas" in html and "72 horas" not in html
    assert "de lunes a jueves de 9:00 a 20:00; viernes de 9:00 a 15:00" in html
    assert "soporte@modo3.net" in html and "asistencia@modo3.net" not in html


@pytest.mark.parametrize("url", [URL_ES, URL_EN])
def test_it_escapes_policy_text(client, settings, tmp_path, url):
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text().replace(
        'description = { es = "Sus consultas pasan',
        'description = { es = "<script>alert(1)</script> Sus consultas pasan'))
    settings.XUALA_POLICY = str(path)
    html = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in html


def test_the_spanish_article_addresses_the_reader_as_usted_throughout(client):
    """One form of address: "utilice su Área de Cliente", never "utilices tu Área de Cliente"."""
    import re

    html = client.get(URL_ES).content.decode()
    text = re.sub(r"<[^>]+>", " ", html.split('id="policy-article"', 1)[1])
    assert "utilice el formulario de tickets de su Área de Cliente" in text
    assert "no nos llame directamente" in text and "le enviaremos" in text
    tu_forms = re.findall(r"\b(tu|tus|te|ti|utilices|envías|deseas|llames|envíanos|solicites|"
                          r"aceptes|deberás|puedes|quieres|tienes)\b", text, flags=re.IGNORECASE)
    assert tu_forms == []
