"""parse_message over the corpus: every fixture parses, and each family reads as a person would."""

from datetime import datetime

import pytest

from tests.intake.corpus import (
    EML_DIR,
    TAGS,
    UNPARSEABLE,
    all_fixtures,
    fixture_bytes,
    fixtures_tagged,
    parseable_fixtures,
)
from xuala.intake.parse import (
    DsnInfo,
    ParsedMail,
    UnparseableMail,
    decode_base64,
    decode_bytes,
    extract_message_id,
    html_to_text,
    parse_message,
    safe_filename,
    unflow,
)

MIB = 1024 * 1024


def parse(name: str, limit: int = 5 * MIB) -> ParsedMail:
    return parse_message(fixture_bytes(name), max_attachment_bytes=limit)


def raw(headers: str, body: str = "Hola.\n") -> bytes:
    return (headers.strip("\n") + "\n\n" + body).encode("utf-8")


# ------------------------------------------------------------------------------ the corpus


def test_it_has_a_corpus_of_at_least_45_tagged_and_documented_fixtures():
    names = all_fixtures()
    readme = (EML_DIR / "README.md").read_text()
    assert len(names) >= 45
    assert set(names) == set(TAGS)
    assert [name for name in names if f"`{name}`" not in readme] == []


def _clean(value: str) -> bool:
    """No NUL and no lone surrogate (neither can be stored in PostgreSQL text)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


@pytest.mark.parametrize("name", parseable_fixtures())
def test_it_parses_every_fixture_into_clean_values(name):
    """No NUL or surrogate survives, addresses are lower-case, dates are aware, file names
    are safe, and extract_message_id agrees with the full parse."""
    mail = parse(name)
    assert isinstance(mail, ParsedMail)
    for value in (mail.subject, mail.from_name, mail.text, mail.new_text, mail.html,
                  *mail.headers_defects, *mail.authentication_results):
        assert _clean(value)
    for address in (mail.from_address, *mail.to, *mail.cc, *mail.delivered_to):
        assert address == address.lower() and " " not in address
    assert mail.date is None or mail.date.utcoffset() is not None
    assert "\r" not in mail.text and "\n" not in mail.subject
    for attachment in mail.attachments:
        assert 0 < len(attachment.filename) <= 150
        assert not set(attachment.filename) & set('/\\<>:"|?*\x00\t\n')
        assert attachment.content_type.count("/") == 1
    assert mail.message_id == extract_message_id(fixture_bytes(name))
    if mail.text.strip():
        assert mail.new_text.strip()


@pytest.mark.parametrize("name", sorted(UNPARSEABLE))
def test_it_raises_unparseable_mail_for_the_fixtures_built_to_be_unusable(name):
    with pytest.raises(UnparseableMail):
        parse(name)
    assert extract_message_id(fixture_bytes(name)) is None


@pytest.mark.parametrize("value", [b"", b"   \r\n\r\n", "", None, 12])
def test_it_raises_unparseable_mail_for_empty_or_non_byte_input(value):
    with pytest.raises(UnparseableMail):
        parse_message(value, max_attachment_bytes=MIB)


def test_it_accepts_text_and_bytearray_input():
    message = "From: Ana <ana@cliente-demo.es>\nSubject: Año\n\nHola\n"
    assert parse_message(message, max_attachment_bytes=MIB).subject == "Año"
    assert parse_message(bytearray(message.encode()), max_attachment_bytes=MIB).text == "Hola"


# ------------------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("name", "subject", "address", "display"),
    [
        ("gmail_es_new_request.eml", "La web de la tienda da error 500 desde esta mañana",
         "ana@cliente-demo.es", "Ana Martínez"),
        ("outlook_en_new_request.eml", "Emails to our domain are bouncing",
         "oliver@acme.co.uk", "Oliver Smith"),
        ("call_request_es.eml", "¿Podéis llamarme?", "ana@cliente-demo.es", "Ana Martínez"),
        ("latin1_qp_encoded_headers.eml", "Cambio de contraseña del correo",
         "jose@cliente-demo.es", "José Ibáñez"),
        ("cp1252_curly_quotes.eml", "Error “Acceso denegado” en el FTP",
         "jose@cliente-demo.es", "José Ibáñez"),
        ("utf8_encoded_words_emoji.eml", "🚀 Migración urgente: ñandú y pingüino",
         "jurgen@acme.co.uk", "Jürgen Müller"),
        ("malformed_8bit_headers.eml", "Consulta sobre el dominio del año 2026 — urgente",
         "jose@cliente-demo.es", "José Ibáñez"),
        ("malformed_bad_charset_utf8x.eml", "Migración del dominio", "luis@sinplan-demo.es",
         "Luis Gómez"),
        ("malformed_broken_encoded_words.eml",
         "Factura pendiente de pagocafé =?iso-8859-1?q?a=F1o", "maria@cliente-demo.es",
         "María López"),
        ("spam_html_scripts.eml", "¡¡Has ganado!! Reclama tu premio",
         "sorteo.premios2026@gmail.com", "Premios 🎁"),
        ("outlook_mac_es_header_block.eml", "Re: [#57] Copia de seguridad",
         "luis@sinplan-demo.es", "Luis Gómez"),
        ("malformed_nul_bytes.eml", "Con bytes nulos", "ana@cliente-demo.es", "Ana Martinez"),
        ("bounce_postfix_dsn.eml", "Undelivered Mail Returned to Sender",
         "mailer-daemon@mx.modo3.net", ""),
        ("bounce_exchange_ndr_es.eml", "No se puede entregar: [#42] Error 500 en la tienda",
         "microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@cliente-demo.es",
         "Microsoft Outlook"),
    ],
)
def test_it_decodes_subject_and_sender_exactly(name, subject, address, display):
    """RFC 2047 words (also split mid-character, unknown charsets, inside quotes), raw 8-bit
    headers and mixed-case addresses."""
    mail = parse(name)
    assert (mail.subject, mail.from_address, mail.from_name) == (subject, address, display)


def test_it_reads_recipients_reply_to_and_delivery_addresses():
    mail = parse("utf8_encoded_words_emoji.eml")
    assert mail.to == ["asistencia@modo3.net"]
    assert mail.cc == ["oliver@acme.co.uk", "emma@acme.co.uk"]
    assert parse("wrong_channel_staff_forwarded.eml").delivered_to == ["juan@modo3.net"]
    assert parse("wrong_channel_ventas.eml").to == ["ventas@modo3.net"]
    assert parse("calendar_invite.eml").reply_to == "oliver@acme.co.uk"
    assert parse("gmail_es_new_request.eml").reply_to is None


def test_it_reads_the_date_as_an_aware_datetime():
    assert parse("gmail_es_new_request.eml").date == datetime.fromisoformat(
        "2026-11-25T09:12:44+01:00")
    bad = parse_message(raw("From: a@b.es\nDate: the day after tomorrow"),
                        max_attachment_bytes=MIB)
    assert bad.date is None
    assert "unparseable Date header" in bad.headers_defects
    far = parse_message(raw("From: a@b.es\nDate: Fri, 31 Dec 9999 23:59:59 -1200"),
                        max_attachment_bytes=MIB)
    assert far.date is None and "implausible Date header" in far.headers_defects
    no_zone = parse_message(raw("From: a@b.es\nDate: Wed, 25 Nov 2026 10:00:00 -0000"),
                            max_attachment_bytes=MIB)
    assert no_zone.date == datetime.fromisoformat("2026-11-25T10:00:00+00:00")


@pytest.mark.parametrize(
    "name",
    fixtures_tagged("reply", "client"),
)
def test_it_reads_the_threading_headers_of_replies(name):
    mail = parse(name)
    if "subject-token" in TAGS[name]:
        assert (mail.in_reply_to, mail.references) == ([], [])
        assert mail.subject == "Re: [#42] Error 500 en la tienda"
    else:
        assert mail.in_reply_to == ["<abc123@modo3.net>"]
        assert mail.references[-1] == "<abc123@modo3.net>"


def test_it_keeps_the_order_of_references():
    assert parse("gmail_en_reply_quoted.eml").references == ["<first0@modo3.net>",
                                                              "<abc123@modo3.net>"]


def test_it_keeps_authentication_results_and_received_spf_in_order():
    mail = parse("spoofed_client_dmarc_fail.eml")
    assert len(mail.authentication_results) == 1
    assert mail.authentication_results[0].startswith("mx.modo3.net;")
    assert "dmarc=fail" in mail.authentication_results[0]
    assert mail.received_spf[0].startswith("Fail (mailfrom)")
    assert "dmarc=pass" in parse("gmail_es_new_request.eml").authentication_results[0]


# ------------------------------------------------------------------------------ bodies


@pytest.mark.parametrize(
    ("name", "in_text"),
    [
        ("cp1252_curly_quotes.eml",
         "sale “Acceso denegado” y el programa dice ‘revise sus credenciales’ – pero son las "
         "de siempre…\nMe cobrasteis 30 € por la ampliación"),
        ("latin1_declared_cp1252_bytes.eml",
         "La web va lentísima, el aviso dice “Tiempo de espera agotado”."),
        ("latin1_qp_encoded_headers.eml", "Necesito cambiar la contraseña del buzón"),
        ("thunderbird_es_reply_latin9.eml",
         "La factura es de 120 € pero el presupuesto decía 100 €. ¿Podéis revisarlo?"),
        ("utf8_encoded_words_emoji.eml", "migrar la web ñandú.acme.co.uk antes del lunes 🙏"),
        ("outlook_es_reply_mensaje_original.eml",
         "ahora sale el mensaje “Error de conexión con la base de datos”"),
        ("malformed_bad_charset_utf8x.eml", "¿Qué pasos hay que seguir?"),
        ("malformed_8bit_headers.eml", "Hola, ¿cuándo caduca el dominio cliente-demo.es?"),
        ("nonclient_gmail_new.eml", "se me\nha quedado la pantalla en blanco"),
        ("malformed_qp_errors.eml", "escapes inv=ZZlidos, un = bueno, una línea partida"),
        ("malformed_broken_base64.eml", "Hola, el correo de prueba llega roto.Adiós."),
        ("malformed_missing_boundary_param.eml", "una parte sin boundary declarado"),
        ("malformed_wrong_boundary.eml", "Texto con un boundary distinto del declarado."),
        ("malformed_no_closing_boundary.eml", "Adjunto el registro de errores de PHP."),
        ("malformed_mixed_line_endings.eml",
         "Primera linea con CRLF.\nSegunda linea con LF.\nTercera con CR suelto.\n"
         "Cuarta tras el CR."),
        ("malformed_nul_bytes.eml", "El fichero que subo se corta."),
        ("malformed_huge_header_count.eml", "Un mensaje con 5000 cabeceras X-Spam-Check."),
        ("lapsed_client_new.eml", "Ya no puedo entrar al panel de control"),
    ],
)
def test_it_decodes_body_text_in_every_charset(name, in_text):
    """Declared charsets, Latin-1 labels carrying Windows-1252, unknown labels, raw 8-bit,
    broken QP and base64, lost boundaries, mixed line endings and NUL bytes."""
    assert in_text in parse(name).text


def test_it_prefers_text_plain_and_keeps_the_html_as_received():
    mail = parse("gmail_es_new_request.eml")
    assert mail.text.startswith("Hola:\n\nDesde esta mañana la tienda online")
    assert mail.html.startswith('<div dir="ltr"><div>Hola:</div>')


def test_it_derives_text_from_html_only_mail_with_quotes_marked():
    mail = parse("gmail_html_only_reply.eml")
    assert mail.text.startswith("Perfecto, la restauráis a las 20:00 entonces.\n\nLuis")
    assert "> Podemos restaurar la copia de anoche." in mail.text
    assert "<div" in mail.html


def test_it_derives_readable_text_from_hostile_html():
    """Script, style, title and iframe content never reach the text; the raw HTML is left
    for the desk's sanitiser."""
    mail = parse("spam_html_scripts.eml")
    assert mail.text.startswith("¡Enhorabuena!\nHas ganado un iPhone. Reclámalo aquí o aquí")
    for leaked in ("document.cookie", "alert(", "no soy texto", "PREMIO", "iframe fallback",
                   "javascript:"):
        assert leaked not in mail.text
    assert "<script>" in mail.html and "onload=" in mail.html


def test_it_joins_format_flowed_lines():
    assert "¿Podéis revisarlo?" in parse("thunderbird_es_reply_latin9.eml").text
    assert unflow("one \ntwo\n> a \n> b\n-- \nsig") == "one two\n> a b\n-- \nsig"
    assert unflow("ab\ncd \nef", delsp=True) == "ab\ncdef"


def test_it_keeps_a_long_line_whole():
    text = parse("malformed_long_line.eml").text
    assert ("0123456789abcdef" * 20000) in text


def test_it_parses_a_message_with_headers_only():
    mail = parse("malformed_header_only.eml")
    assert mail.subject == "Llamadme cuando podais"
    assert mail.message_id == "<hdr-only-0001@cliente-demo.es>"
    assert (mail.text, mail.new_text, mail.attachments) == ("", "", [])


def test_it_survives_a_mime_bomb_and_says_so():
    mail = parse("malformed_deep_nesting.eml")
    assert mail.subject == "Anidado"
    assert "MIME nesting too deep; inner parts ignored" in mail.headers_defects


def test_it_reads_crlf_mail_without_carriage_returns_in_the_text():
    data = fixture_bytes("outlook_en_new_request.eml")
    assert b"\r\n" in data
    mail = parse("outlook_en_new_request.eml")
    assert mail.text.startswith("Hello,\n\nSince yesterday evening")
    assert "\r" not in mail.text and "\r" not in mail.html


# ------------------------------------------------------------------------------ new_text


@pytest.mark.parametrize(
    ("name", "new_text"),
    [
        ("gmail_en_reply_quoted.eml",
         "Thanks, the restore worked and the shop is back online.\n\nOliver"),
        ("gmail_es_reply_wrapped_attribution.eml",
         "Ya funciona, muchísimas gracias por la rapidez.\n\nAna"),
        ("gmail_html_only_reply.eml", "Perfecto, la restauráis a las 20:00 entonces.\n\nLuis"),
        ("outlook_es_reply_mensaje_original.eml",
         "Hola,\n\nSigue fallando, ahora sale el mensaje “Error de conexión con la base de "
         "datos”. Os adjunto lo que veo en pantalla más tarde.\n\nUn saludo,\nAna"),
        ("outlook_en_reply_underscore.eml",
         "Hi,\n\nCould you also restore the database from the same night? The orders table "
         "is missing two days.\n\nThanks,\nOliver"),
        ("outlook_mac_es_header_block.eml",
         "Mejor mañana a primera hora, si puede ser antes de las 9.\n\nLuis"),
        ("thunderbird_es_reply_latin9.eml",
         "La factura es de 120 € pero el presupuesto decía 100 €. ¿Podéis revisarlo?\n\nAna"),
        ("applemail_es_reply.eml", "Perfecto, ya carga el carrito. Gracias por todo.\n\nAna"),
        ("applemail_en_reply.eml", "All good now, you can close the ticket.\n\nOliver"),
        ("ios_es_reply.eml", "Vale, lo miro esta tarde desde el ordenador."),
        ("android_gmail_es_reply.eml", "Ok, adelante con la restauración."),
        ("roundcube_es_reply_signature.eml", "Todo correcto, gracias."),
        ("yahoo_en_reply.eml", "OK, how do I become a client then?"),
        ("protonmail_es_reply_nested.eml",
         "Sí, ya funciona todo. Os envío el registro por si os sirve."),
        ("reply_subject_token_only.eml",
         "Vuelve a fallar desde las 9:30. Os escribo desde otro ordenador, sin el hilo\n"
         "original.\n\nAna"),
    ],
)
def test_it_strips_the_quoted_conversation_from_replies(name, new_text):
    mail = parse(name)
    assert mail.new_text == new_text
    assert len(mail.text) > len(mail.new_text) or "subject-token" in TAGS[name]


def test_it_keeps_interleaved_answers_and_drops_the_signature():
    mail = parse("thunderbird_en_bottom_post_signature.eml")
    assert "Yes, confirmed: please overwrite them." in mail.new_text
    assert mail.new_text.endswith("No, only the website files.")
    assert "Acme Ltd | +44" in mail.text and "Acme Ltd" not in mail.new_text


def test_it_keeps_forwarded_content_in_new_text():
    """A forward ("Fwd:") shows what the client wants read: nothing is stripped."""
    mail = parse("gmail_forward_inline.eml")
    assert mail.new_text == mail.text
    assert "ha superado el 95% del espacio en disco" in mail.new_text


# ------------------------------------------------------------------------------ attachments


def names(mail: ParsedMail) -> list[tuple[str, str, int]]:
    return [(a.filename, a.content_type, len(a.content)) for a in mail.attachments]


def test_it_reads_a_pdf_attachment():
    mail = parse("attachment_pdf.eml")
    assert names(mail) == [("factura-2026-11.pdf", "application/pdf", 1785)]
    assert mail.attachments[0].content.startswith(b"%PDF-1.4")
    assert mail.attachments[0].content.endswith(b"%%EOF\n")
    assert mail.text == "Os adjunto la factura: el IVA aplicado es del 10% y debería ser del 21%."


def test_it_reads_an_inline_image_of_a_related_html_body():
    mail = parse("inline_image_related.eml")
    assert names(mail) == [("captura.png", "image/png", 73)]
    assert mail.attachments[0].content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "cid:7F6E5D4C-3B2A-4190-8F7E-6D5C4B3A2918" in mail.html
    assert mail.text.startswith("Os mando la captura del error:")


def test_it_decodes_encoded_word_and_rfc2231_file_names():
    docx = parse("attachment_docx_outlook.eml")
    assert names(docx) == [("Informe de incidencias – noviembre 2026.docx",
                            "application/vnd.openxmlformats-officedocument."
                            "wordprocessingml.document", 569)]
    assert docx.attachments[0].content.startswith(b"PK\x03\x04")
    rfc2231 = parse("attachment_rfc2231_filenames.eml")
    assert [a.filename for a in rfc2231.attachments] == [
        "presupuesto_año_2026.pdf", "contrato de mantenimiento año 2026 firmado.pdf",
        "señal.txt"]
    assert rfc2231.attachments[2].content == "Nota: la señal del router es débil.".encode(
        "latin-1")


def test_it_makes_hostile_file_names_safe():
    mail = parse("attachment_hostile_names.eml")
    filenames = [a.filename for a in mail.attachments]
    assert filenames[:4] == ["passwd", "hosts", "_CON.txt", "facturafdp.exe"]
    assert len(filenames[4]) == 150 and filenames[4].endswith("_muy_larg.pdf")
    assert filenames[5:] == ["bellandtab.txt", "attachment.bin"]
    assert mail.attachments[0].content == b"root:x:0:0:root:/root:/bin/bash"


def test_it_keeps_winmail_dat_as_an_attachment():
    mail = parse("outlook_winmail_dat.eml")
    assert names(mail) == [("winmail.dat", "application/ms-tnef", 85)]
    assert mail.attachments[0].content.startswith(b"\x78\x9f\x3e\x22")


def test_it_keeps_a_forwarded_message_as_an_eml_attachment():
    mail = parse("forward_as_attachment.eml")
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.content_type) == (
        "Su dominio cliente-demo.es caduca pronto.eml", "message/rfc822")
    inner = parse_message(attachment.content, max_attachment_bytes=MIB)
    assert inner.message_id == "<aviso-99812@registrador-demo.com>"
    assert inner.text.startswith("Su dominio cliente-demo.es caduca el 30/11/2026. Renuévelo")
    assert mail.new_text.startswith("Me ha llegado este aviso.")


def test_it_keeps_calendar_parts_as_attachments():
    mail = parse("calendar_invite.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("invite.ics", "text/calendar"), ("invite.ics", "application/ics")]
    assert mail.attachments[0].content.startswith(b"BEGIN:VCALENDAR")
    assert "BEGIN:VCALENDAR" not in mail.text
    assert mail.text.startswith("You have been invited to the following event.")


def test_it_keeps_attachments_of_a_nested_alternative():
    mail = parse("protonmail_es_reply_nested.eml")
    assert names(mail) == [("backup.log", "text/plain", 74)]
    assert "backup finished OK" not in mail.text


@pytest.mark.parametrize(
    ("limit", "kept", "oversized"),
    [(MIB, [], ["copia_web.zip"]),
     (2 * MIB - 1, [], ["copia_web.zip"]),
     (2 * MIB, [("copia_web.zip", "application/zip", 2 * MIB)], []),
     (5 * MIB, [("copia_web.zip", "application/zip", 2 * MIB)], [])],
)
def test_it_lists_attachments_over_the_limit_instead_of_loading_them(limit, kept, oversized):
    mail = parse("attachment_2mb.eml", limit=limit)
    assert (names(mail), mail.oversized_attachments) == (kept, oversized)
    assert mail.text == "Os paso la copia de la web comprimida (2 MB)."


def test_it_salvages_damaged_attachments():
    broken = parse("malformed_broken_base64.eml")
    assert [a.filename for a in broken.attachments] == ["roto.png"]
    assert broken.attachments[0].content.startswith(b"\x89PNG")
    assert "damaged base64 content" in broken.headers_defects
    truncated = parse("malformed_no_closing_boundary.eml")
    assert truncated.attachments[0].filename == "error_log"
    assert truncated.attachments[0].content.startswith(b"[25-Nov-2026 09:00:01] PHP Fatal")
    assert "CloseBoundaryNotFoundDefect" in truncated.headers_defects
    recovered = parse("malformed_missing_boundary_param.eml")
    assert [a.filename for a in recovered.attachments] == ["parte.pdf"]
    assert "multipart boundary recovered from the body" in recovered.headers_defects


# ------------------------------------------------------------------------------ automatic mail


@pytest.mark.parametrize(
    ("name", "auto_submitted", "precedence"),
    [
        ("autoreply_outlook_oof_es.eml", "auto-generated", None),
        ("autoreply_outlook_oof_en_suppress_only.eml", None, None),
        ("autoreply_gmail_vacation.eml", "auto-replied", "bulk"),
        ("autoreply_cpanel_autorespond.eml", None, None),
        ("mailing_list_message.eml", None, "list"),
        ("read_receipt_mdn.eml", None, None),
    ],
)
def test_it_recognises_automatic_mail(name, auto_submitted, precedence):
    mail = parse(name)
    assert mail.is_auto_reply
    assert (mail.auto_submitted, mail.precedence) == (auto_submitted, precedence)
    assert not mail.is_from_mailer_daemon and mail.dsn is None


HUMAN = [name for name in parseable_fixtures()
         if not TAGS[name] & {"auto-reply", "list", "bounce"}]


@pytest.mark.parametrize("name", HUMAN)
def test_it_does_not_flag_mail_written_by_people(name):
    """Including Outlook's X-Auto-Response-Suppress: All on ordinary mail."""
    mail = parse(name)
    assert (mail.is_auto_reply, mail.is_from_mailer_daemon, mail.dsn) == (False, False, None)


@pytest.mark.parametrize(
    ("headers", "auto"),
    [
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: auto-generated; owner-email=x@y.es", True),
        ("Auto-Submitted: No", False),
        ("Precedence: junk", True),
        ("Precedence: auto_reply", True),
        ("Precedence: first-class", False),
        ("X-Autoreply: yes", True),
        ("X-Autorespond: Re: hola", True),
        ("X-Autoreply: no", False),
        ("List-Unsubscribe: <mailto:leave@lists.example>", True),
        ("List-Id: <status.lists.example>", True),
        ("Return-Path: <>", True),
        ("X-Auto-Response-Suppress: All", False),
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\nSubject: Problema con el DNS",
         False),
        ("X-Auto-Response-Suppress: OOF\nSubject: Fuera de la oficina hasta el lunes", True),
        ("X-Auto-Response-Suppress: All\nSubject: Out of Office", True),
        ("Subject: Respuesta automática: no funciona en mi buzón", False),
        ("Subject: Respuesta automática: no funciona\nIn-Reply-To: <abc123@modo3.net>", True),
        ("Subject: Automatic reply: [#42] Backup\nReferences: <abc123@modo3.net>", True),
        ("Subject: Re: Automatic reply: [#42] Backup\nIn-Reply-To: <abc123@modo3.net>",
         False),
        ("Subject: Out of office\nIn-Reply-To: <abc123@modo3.net>", True),
    ],
)
def test_it_applies_rfc_3834_and_the_auto_reply_heuristics(headers, auto):
    """A subject alone never makes mail automatic: a hosting client may ask about their own
    auto-reply. It counts on a reply or with Outlook's suppress hint."""
    message = raw(f"From: Ana <ana@cliente-demo.es>\nTo: asistencia@modo3.net\n{headers}")
    assert parse_message(message, max_attachment_bytes=MIB).is_auto_reply is auto


@pytest.mark.parametrize(
    ("sender", "daemon"),
    [
        ("MAILER-DAEMON@mx.example.com", True),
        ("Mail Delivery System <bounces@mx.example.com>", True),
        ("postmaster@cliente-demo.es", True),
        ("MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@cliente-demo.es", True),
        ("Ana <ana@cliente-demo.es>", False),
        ("mailer@cliente-demo.es", False),
    ],
)
def test_it_recognises_mailer_daemons(sender, daemon):
    message = raw(f"From: {sender}\nSubject: Hola")
    assert parse_message(message, max_attachment_bytes=MIB).is_from_mailer_daemon is daemon


# ------------------------------------------------------------------------------ bounces


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bounce_postfix_dsn.eml", DsnInfo(
            "<7f3c9e2a1b@modo3.net>", "failed", "5.1.1", "ana.old@cliente-demo.es",
            "550 5.1.1 <ana.old@cliente-demo.es>: Recipient address rejected: User unknown "
            "in virtual mailbox table")),
        ("bounce_postfix_delayed.eml", DsnInfo(
            "<abc123@modo3.net>", "delayed", "4.4.1", "oliver@acme.co.uk",
            "connect to mail.acme.co.uk[81.2.69.160]:25: Connection timed out")),
        ("bounce_exim_plain.eml", DsnInfo(
            "<d41d8cd98f@modo3.net>", "failed", "5.1.1", "luis.viejo@sinplan-demo.es",
            "SMTP error from remote mail server after RCPT TO:<luis.viejo@sinplan-demo.es>: "
            "550 5.1.1 <luis.viejo@sinplan-demo.es>: Recipient address rejected: User "
            "unknown")),
        ("bounce_gmail_mailer_daemon.eml", DsnInfo(
            "<e5f6a7b8c9@modo3.net>", "failed", "5.1.1", "no.existe.123@gmail.com",
            "550-5.1.1 The email account that you tried to reach does not exist. "
            "https://support.google.com/mail/?p=NoSuchUser")),
        ("bounce_exchange_ndr_es.eml", DsnInfo(
            "<abc123@modo3.net>", "failed", "5.1.10", "contabilidad@cliente-demo.es",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient "
            "contabilidad@cliente-demo.es not found by SMTP address lookup")),
    ],
)
def test_it_reads_delivery_status_notifications(name, expected):
    mail = parse(name)
    assert mail.dsn == expected
    assert mail.is_from_mailer_daemon and mail.is_auto_reply


def test_it_reads_a_plain_bounce_without_a_report_or_a_copy():
    message = raw(
        "From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\n"
        "In-Reply-To: <abc123@modo3.net>",
        "Hi. This is the qmail-send program.\n\n<nadie@example.net>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n")
    dsn = parse_message(message, max_attachment_bytes=MIB).dsn
    assert dsn == DsnInfo("<abc123@modo3.net>", "failed", "5.1.1", "nadie@example.net",
                          "Sorry, no mailbox here by that name. (#5.1.1)")


def test_it_does_not_take_a_client_quoting_an_error_code_for_a_bounce():
    message = raw("From: Ana <ana@cliente-demo.es>\nSubject: Undeliverable: me rebotan",
                  "Me sale 550 5.1.1 User unknown al escribir a un cliente.\n")
    mail = parse_message(message, max_attachment_bytes=MIB)
    assert (mail.dsn, mail.is_auto_reply) == (None, False)


def test_it_attaches_the_status_report_and_the_returned_message():
    mail = parse("bounce_postfix_dsn.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("delivery-status.txt", "message/delivery-status"),
        ("[#42] Error 500 en la tienda.eml", "message/rfc822")]
    assert b"Final-Recipient: rfc822; ana.old@cliente-demo.es" in mail.attachments[0].content


# ------------------------------------------------------------------------------ malformed


def test_it_takes_the_first_of_duplicate_message_ids():
    mail = parse("malformed_duplicate_message_id.eml")
    assert mail.message_id == "<dup-first@cliente-demo.es>"
    assert "duplicate Message-ID headers; the first is used" in mail.headers_defects


def test_it_reports_a_missing_message_id_and_a_missing_from():
    no_id = parse("malformed_missing_message_id.eml")
    assert no_id.message_id is None and "missing Message-ID" in no_id.headers_defects
    no_from = parse("malformed_missing_from.eml")
    # Without a From the sender is read from Return-Path (the last fallback), and said so.
    assert (no_from.from_address, no_from.from_header) == ("bounces@unknown.example",
                                                          "return-path")
    assert "missing From" in no_from.headers_defects
    assert no_from.text == "Este mensaje no lleva cabecera From."


def test_it_notes_charset_and_encoding_fallbacks_for_the_agent():
    assert "unknown charset 'utf8x' in body" in parse(
        "malformed_bad_charset_utf8x.eml").headers_defects
    assert "raw 8-bit Subject read as utf-8" in parse(
        "malformed_8bit_headers.eml").headers_defects
    assert "NUL bytes removed" in parse("malformed_nul_bytes.eml").headers_defects


def test_it_wraps_a_message_id_written_without_angle_brackets():
    mail = parse_message(raw("From: a@b.es\nMessage-ID: abc@b.es"), max_attachment_bytes=MIB)
    assert mail.message_id == "<abc@b.es>"


def test_it_skips_garbage_before_the_headers_and_an_mbox_from_line():
    garbage = parse_message(b"\x00garbage\r\nFrom: Ana <ana@cliente-demo.es>\r\n"
                            b"Subject: Hola\r\n\r\nTexto\r\n", max_attachment_bytes=MIB)
    assert (garbage.from_address, garbage.subject, garbage.text) == (
        "ana@cliente-demo.es", "Hola", "Texto")
    mbox = parse_message(b"From ana@cliente-demo.es Wed Nov 25 10:00:00 2026\n"
                         b"From: ana@cliente-demo.es\nSubject: Hola\n\nTexto\n",
                         max_attachment_bytes=MIB)
    assert (mbox.from_address, mbox.subject) == ("ana@cliente-demo.es", "Hola")


def test_it_keeps_a_from_address_that_the_display_name_tries_to_fake():
    mail = parse_message(raw('From: "ana@cliente-demo.es" <evil@example.com>'),
                         max_attachment_bytes=MIB)
    assert (mail.from_address, mail.from_name) == ("evil@example.com", "ana@cliente-demo.es")
    broken = parse_message(raw('From: "\nSubject: x'), max_attachment_bytes=MIB)
    assert broken.from_address == "" and "unreadable From" in broken.headers_defects


def test_it_notes_multiple_from_headers_and_uses_the_first():
    mail = parse_message(raw("From: ana@cliente-demo.es\nFrom: evil@example.com"),
                         max_attachment_bytes=MIB)
    assert mail.from_address == "ana@cliente-demo.es"
    assert "multiple From headers; the first is used" in mail.headers_defects


# ------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    ("name", "content_type", "safe"),
    [
        ("../../etc/passwd", "text/plain", "passwd"),
        ("C:\\Users\\ana\\factura.pdf", "application/pdf", "factura.pdf"),
        ("nul", "text/plain", "_nul"),
        ("LPT1.log", "text/plain", "_LPT1.log"),
        ("...", "application/pdf", "attachment.pdf"),
        ("", "text/calendar", "invite.ics"),
        (None, "application/x-unknown", "attachment.bin"),
        ("  informe   final .pdf ", "application/pdf", "informe final .pdf"),
        (".htaccess", "text/plain", "htaccess"),
        ("a:b*c?.txt", "text/plain", "a_b_c_.txt"),
        ("x" * 200, "application/octet-stream", "x" * 150),
        ("y" * 200 + ".tar.gz", "application/gzip", "y" * 147 + ".gz"),
    ],
)
def test_it_makes_file_names_safe(name, content_type, safe):
    assert safe_filename(name, content_type) == safe


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        ("año".encode("iso-8859-15"), "iso-8859-15", "año"),
        ("€".encode("iso-8859-15"), "latin-9", "€"),
        ("“hola”".encode("cp1252"), "iso-8859-1", "“hola”"),
        ("niño".encode(), "us-ascii", "niño"),
        ("niño".encode(), "utf8x", "niño"),
        ("niño".encode("latin-1"), "utf-8", "niño"),
        (b"caf\xc3\xa9 \xe2\x80", "utf-8", "café \ufffd"),
        (b"\x81\x8d", None, "\x81\x8d"),
    ],
)
def test_it_decodes_bytes_with_the_charset_fallback_chain(data, charset, text):
    """Declared charset, then UTF-8 (tolerating a few broken sequences), Windows-1252 and
    Latin-1: decoding never fails."""
    assert decode_bytes(data, charset) == text


def test_it_decodes_base64_strictly_or_salvages_the_pieces():
    assert decode_base64("aG9s\nYQ==\n") == b"hola"
    assert decode_base64("aG9sYQ\n***\nYWRpw7Nz\n") == "holaadiós".encode()


def test_it_renders_html_structure_as_text():
    html = ("<html><head><title>t</title><style>p{}</style></head><body><p>Uno</p>"
            "<ul><li>a</li><li>b</li></ul><p>Ver <a href='https://x.es/a'>enlace</a> y "
            "<a href='mailto:ana@cliente-demo.es'>ana@cliente-demo.es</a></p>"
            "<blockquote>cita<blockquote>doble</blockquote></blockquote>"
            "<pre>  code\n  more</pre></body></html>")
    assert html_to_text(html) == (
        "Uno\n- a\n- b\nVer enlace <https://x.es/a> y ana@cliente-demo.es\n> cita\n"
        "> > doble\n  code\n  more")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_it_keeps_headers_and_the_raw_body_when_the_mime_parser_gives_up(newline):
    """3,000 nested message/rfc822 parts exhaust the standard parser's recursion."""
    inner = "From: x@example.com\nSubject: dentro\n\ncuerpo\n"
    for _ in range(3000):
        inner = f"From: x@example.com\nContent-Type: message/rfc822\n\n{inner}"
    message = f"From: Ana <ana@cliente-demo.es>\nSubject: Anidado\n{inner}".replace(
        "\n", newline).encode()
    mail = parse_message(message, max_attachment_bytes=MIB)
    assert (mail.from_address, mail.subject) == ("ana@cliente-demo.es", "Anidado")
    assert "parsed in degraded mode (headers and raw body only)" in mail.headers_defects
    assert mail.text.startswith("From: x@example.com")


def test_it_reads_pathological_markup_and_headers_in_bounded_time():
    """html.parser and the default header registry go quadratic on such input (minutes for
    the first HTML below); the parser must stay linear (a quadratic one makes this test take
    minutes, which the suite's duration shows; no timing assertion here)."""
    for unit in ['<a b="', "<div>", "<blockquote>t", "<!--", "<a href='http://x'>t", "</"]:
        html_to_text(unit * 40_000)
    for value in ['"' * 7_900, "a," * 3_900, "\\" * 7_900]:
        parse_message(raw("\n".join(f"{name}: {value}" for name in
                                    ("From", "To", "Cc", "Reply-To", "Subject"))),
                      max_attachment_bytes=MIB)
    semicolons = ";" * 300_000
    parse_message(raw(f"From: a@b.es\nContent-Type: text/plain{semicolons}"),
                  max_attachment_bytes=MIB)


# ------------------------------------------------------------------------------ plain addresses

def _registry_pairs(value: str) -> list[tuple[str, str]]:
    from xuala.intake.parse.limits import POLICY_DEFAULT

    return [(a.display_name or "", a.addr_spec or "")
            for a in POLICY_DEFAULT.header_factory("from", value).addresses]


def _corpus_address_values() -> list[str]:
    import email
    import email.policy

    values = set()
    for name in all_fixtures():
        msg = email.message_from_bytes(fixture_bytes(name), policy=email.policy.compat32)
        for key, value in msg.items():
            if key.lower() in ("from", "to", "cc", "reply-to", "delivered-to", "sender"):
                values.add(str(value).replace("\r", "").replace("\n", ""))
    return sorted(values)


@pytest.mark.parametrize("value", [
    *_corpus_address_values(),
    "ana@cliente-demo.es", " ana@cliente-demo.es ", "<ana@cliente-demo.es>",
    "Ana <ana@x.es>", '"Ana" <ana@x.es>', '"Ana"<ana@x.es>', "Ana<ana@x.es>",
    "Ana  Perez <a@x.es>", "J. Smith <j@x.com>", '"J. Smith, Jr" <j@x.com>', '"a  b" <c@d.ef>',
    "O'Brien <o@x.ie>", "a..b@x.es", ".a@x.es", "a@x", "a@-x.es", "Ana Perez a@x.es",
    '"" <a@x.es>', "a@x.es, b@y.es", "Ana <a@x.es> (c)", "x <a%b@x.es>",
])
def test_plain_addresses_read_directly_give_what_the_header_registry_gives(value):
    """The fast path takes only headers on which it agrees with the registry."""
    from xuala.intake.parse.headers import _plain_address

    fast = _plain_address(value)
    if fast is not None:
        assert fast == _registry_pairs(value)


def test_the_plain_address_path_takes_the_usual_forms():
    from xuala.intake.parse.headers import _plain_address

    assert _plain_address("Ana Pérez <ana@x.es>") is None  # not ASCII: the registry reads it
    assert _plain_address("Ana Perez <ana@x.es>") == [("Ana Perez", "ana@x.es")]
    assert _plain_address('"Perez, Ana" <ana@x.es>') == [("Perez, Ana", "ana@x.es")]
    assert _plain_address("ana@x.es") == [("", "ana@x.es")]
