"""`parse_message` on the byte patterns real mailers send: raw 8-bit headers in other
charsets, ISO-2022-JP beyond its strict table, broken folding, missing senders, forwards,
encoded words where none may be, and line breaks smuggled into subjects and names.

Every message here is synthetic and written byte by byte for the pattern it stands for.
"""

from __future__ import annotations

import base64

import pytest

from xuala.intake.parse import parse_message

MIB = 1024 * 1024

CHINESE = "服务器无法访问，网站显示错误，请尽快处理。"
JAPANESE = "サーバーが停止しました。至急確認してください。"


def parse(data: bytes):
    return parse_message(data, max_attachment_bytes=MIB)


def message(headers: bytes, body: bytes = b"Hola.\r\n") -> bytes:
    return headers.rstrip(b"\r\n") + b"\r\n\r\n" + body


HEAD = (b"From: Ana <ana@cliente-demo.es>\r\nTo: asistencia@modo3.net\r\n"
        b"Message-ID: <rw-1@cliente-demo.es>\r\n")


# ---------------------------------------------------------------- charsets


def test_a_raw_gb2312_subject_is_read_in_the_charset_the_body_declares():
    data = message(HEAD + b"Subject: " + "服务器问题".encode("gb2312") + b"\r\n"
                   b"Content-Type: text/plain; charset=gb2312\r\n",
                   "请帮忙".encode("gb2312") + b"\r\n")
    mail = parse(data)
    assert mail.subject == "服务器问题"
    assert mail.text == "请帮忙"


def test_a_raw_shift_jis_subject_is_read_in_the_charset_the_body_declares():
    data = message(HEAD + b"Subject: " + "お問い合わせ".encode("shift_jis") + b"\r\n"
                   b"Content-Type: text/plain; charset=Shift_JIS\r\n",
                   "よろしく".encode("shift_jis") + b"\r\n")
    assert parse(data).subject == "お問い合わせ"


def test_a_raw_gb2312_subject_nothing_declares_is_detected():
    data = message(HEAD + b"Subject: " + CHINESE.encode("gb2312") + b"\r\n")
    mail = parse(data)
    assert mail.subject == CHINESE
    assert "\ufffd" not in mail.subject


def test_undeclared_gb2312_lines_in_a_utf8_body_are_read_as_chinese():
    body = (b"Hola, adjunto el error:\r\n" + CHINESE.encode("gb2312") + b"\r\n"
            + "Gracias, año nuevo.\r\n".encode())
    data = message(HEAD + b"Subject: Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   b"Content-Transfer-Encoding: 8bit\r\n", body)
    assert parse(data).text == f"Hola, adjunto el error:\n{CHINESE}\nGracias, año nuevo."


def test_an_undeclared_gb2312_body_is_detected():
    data = message(HEAD + b"Subject: Error\r\n", CHINESE.encode("gb2312") * 2 + b"\r\n")
    assert parse(data).text == CHINESE * 2


def test_a_latin1_body_without_charset_is_still_read_as_latin():
    data = message(HEAD + b"Subject: Error\r\n", "El año pasado pagué la cuota.\r\n"
                   .encode("latin-1"))
    assert parse(data).text == "El año pasado pagué la cuota."


def _with_attachment(filename: bytes) -> bytes:
    return message(
        HEAD + b"Subject: Adjunto\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n',
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVer adjunto.\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="' + filename + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"%PDF-1.4 x") + b"\r\n--b1--\r\n")


@pytest.mark.parametrize(("filename", "expected"), [
    ("informe_técnico_daños.pdf".encode("latin-1"), "informe_técnico_daños.pdf"),
    ("presupuesto_año.pdf".encode(), "presupuesto_año.pdf"),
    ("見積書.pdf".encode(), "見積書.pdf"),
])
def test_a_raw_8bit_attachment_file_name_is_repaired(filename, expected):
    mail = parse(_with_attachment(filename))
    assert [a.filename for a in mail.attachments] == [expected]


ISO2022JP_WITH_NEC = b"\x1b$B-!\x1b(B " + "お問い合わせ".encode("iso2022_jp")  # ① (NEC row 13)


def test_an_iso_2022_jp_body_with_characters_outside_the_strict_table_is_read():
    data = message(HEAD + b"Subject: Error\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n",
                   ISO2022JP_WITH_NEC + b"\r\n")
    assert parse(data).text == "① お問い合わせ"


def test_an_iso_2022_jp_subject_with_characters_outside_the_strict_table_is_read():
    word = base64.b64encode(ISO2022JP_WITH_NEC).decode()
    data = message(HEAD + f"Subject: =?ISO-2022-JP?B?{word}?=\r\n".encode())
    assert parse(data).subject == "① お問い合わせ"


def test_an_iso_2022_jp_body_with_no_charset_declared_is_read():
    data = message(HEAD + b"Subject: Error\r\n", JAPANESE.encode("iso2022_jp") + b"\r\n")
    assert parse(data).text == JAPANESE


# ---------------------------------------------------------------- the header block


def test_a_header_folded_without_leading_white_space_continues_the_header_before_it():
    data = (b"Subject: Problema con el\r\nservidor de correo\r\n"
            b"From: Ana <ana@cliente-demo.es>\r\nMessage-ID: <fold@cliente-demo.es>\r\n"
            b"To: asistencia@modo3.net\r\n\r\nNo llega nada.\r\n")
    mail = parse(data)
    assert mail.subject == "Problema con el servidor de correo"
    assert mail.from_address == "ana@cliente-demo.es"
    assert mail.message_id == "<fold@cliente-demo.es>"
    assert mail.text == "No llega nada."


def test_headers_and_body_without_a_blank_line_between_keep_the_body():
    mail = parse(b"From: Ana <ana@cliente-demo.es>\r\nSubject: Hola\r\nNo llega nada.\r\n")
    assert (mail.from_address, mail.subject, mail.text) == (
        "ana@cliente-demo.es", "Hola", "No llega nada.")


@pytest.mark.parametrize("junk", [
    b"garbage before the headers",
    b">>> relayed by gateway 3 <<<",
    b"X-Junk with spaces: 1",
    b"   ",
])
def test_a_junk_first_line_does_not_lose_the_headers(junk):
    mail = parse(junk + b"\r\n" + HEAD + b"Subject: Hola\r\n\r\nNo llega nada.\r\n")
    assert mail.from_address == "ana@cliente-demo.es"
    assert mail.subject == "Hola" and mail.message_id == "<rw-1@cliente-demo.es>"
    assert mail.text == "No llega nada."


# ---------------------------------------------------------------- the sender


@pytest.mark.parametrize(("headers", "address", "header"), [
    (b"Reply-To: Ana <ana@cliente-demo.es>\r\nSender: bot@lists.example\r\n",
     "ana@cliente-demo.es", "reply-to"),
    (b"Sender: Ana <ana@cliente-demo.es>\r\nReturn-Path: <bounce@lists.example>\r\n",
     "ana@cliente-demo.es", "sender"),
    (b"Return-Path: <ana@cliente-demo.es>\r\n", "ana@cliente-demo.es", "return-path"),
    (b"From: \"Ana\r\nReply-To: ana@cliente-demo.es\r\n", "ana@cliente-demo.es", "reply-to"),
    (b"From: undisclosed\r\nSender: ana@cliente-demo.es\r\n", "ana@cliente-demo.es", "sender"),
])
def test_without_a_readable_from_the_sender_falls_back_and_says_where_from(headers, address,
                                                                           header):
    mail = parse(message(headers + b"To: asistencia@modo3.net\r\nSubject: Hola\r\n"))
    assert (mail.from_address, mail.from_header) == (address, header)
    assert f"sender taken from {header}" in mail.headers_defects


def test_a_null_return_path_is_no_sender():
    mail = parse(message(b"Return-Path: <>\r\nTo: asistencia@modo3.net\r\nSubject: Hola\r\n"))
    assert (mail.from_address, mail.from_header) == ("", "")


def test_a_readable_from_wins_over_the_fallbacks():
    mail = parse(message(HEAD + b"Reply-To: otro@example.org\r\nSubject: Hola\r\n"))
    assert (mail.from_address, mail.from_header) == ("ana@cliente-demo.es", "from")


@pytest.mark.parametrize("value", [
    b"=?utf-8?Q?agent?=@modo3.net",
    b"Agente <=?utf-8?Q?agent?=@modo3.net>",
    b"=?utf-8?B?YWdlbnQ=?=@modo3.net",
])
def test_an_encoded_word_in_the_local_part_is_not_decoded_into_another_address(value):
    mail = parse(message(b"From: " + value + b"\r\nSubject: Hola\r\n"))
    assert mail.from_address == ""
    assert "encoded word in a from address" in mail.headers_defects


def test_an_encoded_word_in_the_display_name_is_still_decoded():
    mail = parse(message(b"From: =?utf-8?Q?Ana_Mu=C3=B1oz?= <ana@cliente-demo.es>\r\n"))
    assert (mail.from_name, mail.from_address) == ("Ana Muñoz", "ana@cliente-demo.es")


# ---------------------------------------------------------------- forwards


FORWARDED = "No funciona la copia de seguridad desde el lunes."


@pytest.mark.parametrize("marker", [
    "----- Original Nachricht -----",
    "---------- Forwarded message ---------",
    "-------- Mensaje reenviado --------",
    "-------- Message d'origine --------",
])
def test_a_forwarded_message_is_the_request_not_a_quote_to_strip(marker):
    body = (f"Os reenvío lo que nos pasa.\r\n\r\n{marker}\r\n"
            "De: Luis <luis@cliente-demo.es>\r\nFecha: 3 dic 2026 10:00\r\n"
            "Para: Ana <ana@cliente-demo.es>\r\nAsunto: Copias\r\n\r\n"
            f"{FORWARDED}\r\n")
    mail = parse(message(HEAD + b"Subject: Copias\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\n", body.encode()))
    assert FORWARDED in mail.new_text
    assert mail.new_text.startswith("Os reenvío lo que nos pasa.")


def test_a_reply_still_loses_the_original_message_it_quotes():
    body = ("Ya funciona, gracias.\r\n\r\n-----Original Message-----\r\n"
            "From: Soporte <asistencia@modo3.net>\r\nSent: 3 Dec 2026 10:00\r\n"
            "To: ana@cliente-demo.es\r\nSubject: Copias\r\n\r\nHemos corregido el fallo.\r\n")
    mail = parse(message(HEAD + b"Subject: RE: Copias\r\nIn-Reply-To: <t1@modo3.net>\r\n",
                         body.encode()))
    assert mail.new_text == "Ya funciona, gracias."


def test_a_reply_threaded_by_its_subject_alone_still_loses_the_quote():
    body = ("Ya funciona.\r\n\r\n-----Mensaje original-----\r\n"
            "De: Soporte <asistencia@modo3.net>\r\nEnviado: 3 dic 2026 10:00\r\n"
            "Para: ana@cliente-demo.es\r\nAsunto: [#42] Copias\r\n\r\nCorregido.\r\n")
    mail = parse(message(HEAD + b"Subject: RE: [#42] Copias\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\n", body.encode()))
    assert mail.new_text == "Ya funciona."


# ---------------------------------------------------------------- line breaks


@pytest.mark.parametrize("subject", [
    b"=?utf-8?Q?Hola=0D=0ABcc:_otro@example.org?=",
    b"=?utf-8?B?" + base64.b64encode(b"Hola\r\nX-Injected: 1") + b"?=",
    b"=?utf-8?Q?Hola=E2=80=A8mundo=C2=85fin?=",
])
def test_line_breaks_never_reach_the_subject(subject):
    mail = parse(message(HEAD + b"Subject: " + subject + b"\r\n"))
    assert not any(ch in mail.subject for ch in "\r\n\u2028\u0085")
    assert mail.subject.startswith("Hola")


def test_line_breaks_never_reach_the_sender_name():
    mail = parse(message(b"From: =?utf-8?Q?Ana=0D=0AX-Evil=3A_1?= <ana@cliente-demo.es>\r\n"))
    assert mail.from_address == "ana@cliente-demo.es"
    assert "\r" not in mail.from_name and "\n" not in mail.from_name
    assert mail.from_name == "Ana X-Evil: 1"
