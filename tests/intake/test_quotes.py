"""strip_quoted: the new part of a reply, per mail client, in Spanish and English."""

import pytest

from xuala.intake.quotes import strip_quoted

GMAIL_ES = """Perfecto, gracias.

El mié, 25 nov 2026 a las 10:00, Asistencia Modo3 <asistencia@modo3.net> escribió:

> Hola Ana:
>
> ¿Nos confirmas si ya funciona?
"""

GMAIL_EN = """Thanks, it works.

On Wed, Nov 25, 2026 at 10:00 AM Asistencia Modo3 <asistencia@modo3.net> wrote:

> Hello Oliver,
> can you confirm?
"""

GMAIL_ES_WRAPPED = """Ya funciona.

El mié, 25 nov 2026 a las 10:00, Asistencia Modo3 (<asistencia@modo3.net>)
escribió:

> Hola Ana:
"""

GMAIL_EN_WRAPPED_IN_ADDRESS = """Done, thanks.

On Wed, Nov 25, 2026 at 10:00 AM Asistencia Modo3 <
asistencia@modo3.net> wrote:

> Hello Oliver,
"""

GMAIL_EN_WRAPPED_THREE_LINES = """Works now.

On Wed, Nov 25, 2026 at 10:00 AM Departamento de Asistencia
Técnica de Modo3 Hosting y Dominios <asistencia@modo3.net>
wrote:

> Hello,
"""

OUTLOOK_ES_ORIGINAL = """Sigue fallando.

Ana

-----Mensaje original-----
De: Asistencia Modo3 [mailto:asistencia@modo3.net]
Enviado el: miércoles, 25 de noviembre de 2026 10:00
Para: Ana Martínez
Asunto: [#42] Error 500

Hola Ana: hemos reiniciado PHP.
"""

OUTLOOK_EN_ORIGINAL = """Still broken.

-----Original Message-----
From: Asistencia Modo3 [mailto:asistencia@modo3.net]
Sent: Wednesday, November 25, 2026 10:00 AM
To: Oliver Smith
Subject: [#42] Backup

Hello Oliver, we restarted PHP.
"""

OUTLOOK_EN_UNDERSCORES = """Could you also restore the database?

________________________________
From: Asistencia Modo3 <asistencia@modo3.net>
Sent: Wednesday, November 25, 2026 10:00 AM
To: Oliver Smith <oliver@acme.co.uk>
Subject: [#42] Backup

Hello Oliver,
"""

OUTLOOK_ES_UNDERSCORES = """¿Podéis restaurar también la base de datos?

________________________________
De: Asistencia Modo3 <asistencia@modo3.net>
Enviado: miércoles, 25 de noviembre de 2026 10:00
Para: Ana Martínez <ana@cliente-demo.es>
Asunto: [#42] Copia

Hola Ana,
"""

OUTLOOK_ES_HEADER_BLOCK = """Mejor mañana a primera hora.

Luis

De: Asistencia Modo3 <asistencia@modo3.net>
Fecha: miércoles, 25 de noviembre de 2026, 10:00
Para: Luis Gómez <luis@sinplan-demo.es>
Asunto: [#57] Copia de seguridad

Hola Luis:
"""

OUTLOOK_EN_BOLD_HEADER_BLOCK = """Tomorrow morning is fine.

*From:* Asistencia Modo3 <asistencia@modo3.net>
*Sent:* Wednesday, November 25, 2026 10:00 AM
*To:* Oliver Smith
*Subject:* [#42] Backup
"""

THUNDERBIRD_ES = """La factura no me cuadra.

El 25/11/26 a las 10:00, Asistencia Modo3 escribió:
> Hola Ana:
> Te adjuntamos la factura.
"""

THUNDERBIRD_EN = """The invoice is wrong.

On 11/25/26 10:00 AM, Asistencia Modo3 wrote:
> Hello Oliver,
> please find the invoice attached.
"""

APPLE_ES = """Perfecto, ya carga.

El 25 nov 2026, a las 10:00, Asistencia Modo3 <asistencia@modo3.net> escribió:

Hola Ana:

Hemos vaciado la caché.
"""

APPLE_EN = """All good now.

On 25 Nov 2026, at 10:00, Asistencia Modo3 <asistencia@modo3.net> wrote:

Hello Oliver,

The restore is finished.
"""

IOS_ES = """Vale, lo miro.

Enviado desde mi iPhone

> El 25 nov 2026, a las 10:00, Asistencia Modo3 <asistencia@modo3.net> escribió:
>
> Hola Ana:
"""

IOS_EN = """OK, will check tonight.

Sent from my iPhone

> On 25 Nov 2026, at 10:00, Asistencia Modo3 <asistencia@modo3.net> wrote:
>
> Hello Oliver,
"""

ROUNDCUBE_ES = """Todo correcto.

El 2026-11-25 10:00, Asistencia Modo3 escribió:
> La restauración ha terminado.
"""

YAHOO_EN = """ OK, how do I become a client?

    On Wednesday, November 25, 2026, 10:00:00 AM GMT+1, Modo3 <asistencia@modo3.net> wrote:

 Hello, support is for clients.
"""

PROTON_ES = """Sí, ya funciona.

Enviado con el correo electrónico seguro de Proton Mail.

------- Original Message -------
El miércoles, 25 de noviembre de 2026 a las 10:00, Asistencia Modo3 <asistencia@modo3.net> escribió:

> ¿Sigue fallando?
"""


@pytest.mark.parametrize(
    ("style", "text", "expected"),
    [
        ("Gmail es", GMAIL_ES, "Perfecto, gracias."),
        ("Gmail en", GMAIL_EN, "Thanks, it works."),
        ("Gmail es, attribution wrapped before 'escribió:'", GMAIL_ES_WRAPPED, "Ya funciona."),
        ("Gmail en, attribution wrapped inside the address", GMAIL_EN_WRAPPED_IN_ADDRESS,
         "Done, thanks."),
        ("Gmail en, attribution over three lines", GMAIL_EN_WRAPPED_THREE_LINES, "Works now."),
        ("Outlook es, Mensaje original", OUTLOOK_ES_ORIGINAL, "Sigue fallando.\n\nAna"),
        ("Outlook en, Original Message", OUTLOOK_EN_ORIGINAL, "Still broken."),
        ("Outlook en, underscores", OUTLOOK_EN_UNDERSCORES,
         "Could you also restore the database?"),
        ("Outlook es, underscores", OUTLOOK_ES_UNDERSCORES,
         "¿Podéis restaurar también la base de datos?"),
        ("Outlook es, De:/Fecha:/Para:/Asunto: block", OUTLOOK_ES_HEADER_BLOCK,
         "Mejor mañana a primera hora.\n\nLuis"),
        ("Outlook en, bold header block from HTML", OUTLOOK_EN_BOLD_HEADER_BLOCK,
         "Tomorrow morning is fine."),
        ("Thunderbird es", THUNDERBIRD_ES, "La factura no me cuadra."),
        ("Thunderbird en", THUNDERBIRD_EN, "The invoice is wrong."),
        ("Apple Mail es, unquoted copy", APPLE_ES, "Perfecto, ya carga."),
        ("Apple Mail en, unquoted copy", APPLE_EN, "All good now."),
        ("iOS es, quoted attribution and mobile signature", IOS_ES, "Vale, lo miro."),
        ("iOS en, quoted attribution and mobile signature", IOS_EN, "OK, will check tonight."),
        ("Roundcube es", ROUNDCUBE_ES, "Todo correcto."),
        ("Yahoo en, indented attribution", YAHOO_EN, "OK, how do I become a client?"),
        ("Proton es, Original Message and mobile signature", PROTON_ES, "Sí, ya funciona."),
    ],
)
def test_it_keeps_only_the_answer_for_each_client_style(style, text, expected):
    """The attribution, the quoted message and the client's footer are removed."""
    assert strip_quoted(text) == expected, style


def test_it_removes_the_signature_after_the_dash_dash_space_separator():
    text = "Todo correcto, gracias.\n\n-- \nLuis Gómez\nSin Plan SL\n"
    assert strip_quoted(text) == "Todo correcto, gracias."


def test_it_removes_the_signature_and_the_quote_after_it():
    text = ("Todo correcto.\n-- \nLuis\n\nEl 2026-11-25 10:00, Asistencia Modo3 escribió:\n"
            "> Hola Luis\n")
    assert strip_quoted(text) == "Todo correcto."


def test_it_removes_a_trailing_quote_block_with_a_loose_attribution():
    """Without a date the attribution still goes when a quote block follows it at the end."""
    text = "Entendido.\n\nAsistencia Modo3 escribió:\n> Hola\n> adiós\n"
    assert strip_quoted(text) == "Entendido."


def test_it_removes_a_trailing_quote_block_without_any_attribution():
    text = "Sí, adelante.\n\n> ¿Restauramos la copia?\n>\n> Asistencia\n"
    assert strip_quoted(text) == "Sí, adelante."


def test_it_keeps_inline_answers_between_quotes():
    """Bottom-posted and interleaved replies keep their context; only the signature goes."""
    text = ("On 11/25/26 10:00 AM, Asistencia Modo3 wrote:\n> Can we overwrite?\n\nYes.\n\n"
            "> Mailboxes too?\n\nNo, only the website.\n\n-- \nOliver\n")
    assert strip_quoted(text) == (
        "On 11/25/26 10:00 AM, Asistencia Modo3 wrote:\n> Can we overwrite?\n\nYes.\n\n"
        "> Mailboxes too?\n\nNo, only the website.")


def test_it_returns_the_original_when_everything_is_quoted():
    text = "> Hola Ana:\n> ¿Nos confirmas?\n"
    assert strip_quoted(text) == text


def test_it_returns_the_original_when_only_an_attribution_and_quote_remain():
    text = ("El mié, 25 nov 2026 a las 10:00, Asistencia Modo3 <asistencia@modo3.net> "
            "escribió:\n> Hola\n")
    assert strip_quoted(text) == text


def test_it_returns_the_original_when_it_is_only_a_signature():
    text = "-- \nAna\n"
    assert strip_quoted(text) == text


def test_it_returns_empty_or_blank_text_unchanged():
    assert strip_quoted("") == ""
    assert strip_quoted("  \n ") == "  \n "


def test_it_keeps_a_forwarded_message_block():
    """A forward's header block is the content the client wants read, not an old reply."""
    text = ("Mirad esto:\n\n---------- Forwarded message ---------\nDe: Monitor <m@x.es>\n"
            "Date: jue, 26 nov 2026 a las 13:55\nSubject: Alerta\nTo: <luis@sinplan-demo.es>\n\n"
            "Disco al 95%.\n")
    assert "Disco al 95%." in strip_quoted(text)


@pytest.mark.parametrize(
    "text",
    [
        "El servidor se cayó y mi compañero escribió:\nque lo reiniciáramos.\n",
        "On the server I wrote:\nerror 500 everywhere\n",
        "From: my side everything works\nbut the shop fails\n",
        "El martes te escribí pero nadie contestó.\nSigue igual.\n",
        "On 25/11/2026 the backup failed, Juan wrote: see the log\nline 2\n",
        "De: lunes a viernes no hay problema.\nPara: el fin de semana, sí.\n",
    ],
)
def test_it_does_not_mistake_ordinary_sentences_for_quote_markers(text):
    """An attribution needs a date and a time and ends the line; a header block needs two
    header lines after From/De."""
    assert strip_quoted(text) == text


def test_it_accepts_crlf_line_endings():
    text = "Thanks.\r\n\r\nOn 11/25/26 10:00 AM, Modo3 wrote:\r\n> Hello\r\n"
    assert strip_quoted(text) == "Thanks."


def test_it_removes_trailing_mobile_signatures_in_both_languages():
    assert strip_quoted("Ok.\n\nEnviado desde mi Samsung Galaxy\n") == "Ok."
    assert strip_quoted("Ok.\n\nGet Outlook for Android\n") == "Ok."
    assert strip_quoted("Ok.\n\nSent from my iPhone") == "Ok."
