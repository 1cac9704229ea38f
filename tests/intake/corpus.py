"""The inbound-mail fixture corpus: real-world-shaped .eml files in tests/intake/fixtures/eml.

Other tests load them with ``from tests.intake.corpus import fixture_bytes, all_fixtures``.
Every file carries tags (listed in the folder's README.md) so a test can pick a family:
``fixtures_tagged("bounce")``.
"""

from __future__ import annotations

from pathlib import Path

EML_DIR = Path(__file__).resolve().parent / "fixtures" / "eml"


def _tags(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Tags: who writes (client, non-client, spoofed), what it is (new, reply, forward, auto-reply,
# list, bounce, dsn, calendar, spam, call-request, wrong-channel, subject-token), the client
# (gmail, outlook, thunderbird, applemail, ios, android, roundcube, yahoo, protonmail), the
# language (es, en), the shape (plain, alternative, html-only, nested, attachment, crlf …),
# and malformed / unparseable for the broken ones.
TAGS: dict[str, frozenset[str]] = {
    "gmail_es_new_request.eml": _tags("client new gmail es alternative"),
    "outlook_en_new_request.eml": _tags("client new outlook en alternative crlf"),
    "call_request_es.eml": _tags("client new gmail es plain call-request"),
    "lapsed_client_new.eml": _tags("client new thunderbird es plain"),
    "nonclient_gmail_new.eml": _tags("non-client new gmail es alternative"),
    "wrong_channel_ventas.eml": _tags("client wrong-channel gmail es plain"),
    "wrong_channel_info_en.eml": _tags("client wrong-channel outlook en plain crlf"),
    "wrong_channel_staff_forwarded.eml": _tags("client wrong-channel gmail es plain"),
    "spoofed_client_dmarc_fail.eml": _tags("client spoofed es plain"),
    "gmail_en_reply_quoted.eml": _tags("client reply gmail en alternative"),
    "gmail_es_reply_wrapped_attribution.eml":
        _tags("client reply gmail es plain wrapped-attribution"),
    "gmail_html_only_reply.eml": _tags("client reply gmail es html-only"),
    "outlook_es_reply_mensaje_original.eml":
        _tags("client reply outlook es alternative crlf windows-1252"),
    "outlook_en_reply_underscore.eml": _tags("client reply outlook en alternative crlf"),
    "outlook_mac_es_header_block.eml": _tags("client reply outlook es html-only crlf"),
    "thunderbird_es_reply_latin9.eml": _tags("client reply thunderbird es plain iso-8859-15"),
    "thunderbird_en_bottom_post_signature.eml":
        _tags("client reply thunderbird en plain signature"),
    "applemail_es_reply.eml": _tags("client reply applemail es alternative"),
    "applemail_en_reply.eml": _tags("client reply applemail en plain"),
    "ios_es_reply.eml": _tags("client reply ios es plain"),
    "android_gmail_es_reply.eml": _tags("client reply android es alternative wrapped-attribution"),
    "roundcube_es_reply_signature.eml": _tags("client reply roundcube es plain signature"),
    "yahoo_en_reply.eml": _tags("non-client reply yahoo en alternative"),
    "protonmail_es_reply_nested.eml":
        _tags("client reply protonmail es alternative nested attachment"),
    "reply_subject_token_only.eml": _tags("client reply gmail es plain subject-token"),
    "latin1_qp_encoded_headers.eml": _tags("client new es plain iso-8859-1"),
    "cp1252_curly_quotes.eml": _tags("client new es plain windows-1252"),
    "latin1_declared_cp1252_bytes.eml": _tags("client new es plain iso-8859-1 windows-1252"),
    "utf8_encoded_words_emoji.eml": _tags("client new en plain utf-8"),
    "attachment_pdf.eml": _tags("client new gmail es attachment nested"),
    "inline_image_related.eml": _tags("client new applemail es attachment inline-image nested"),
    "attachment_docx_outlook.eml": _tags("client new outlook en attachment crlf"),
    "attachment_rfc2231_filenames.eml": _tags("client new thunderbird es attachment rfc2231"),
    "attachment_hostile_names.eml": _tags("non-client attachment hostile-names"),
    "outlook_winmail_dat.eml": _tags("client new outlook es attachment tnef crlf"),
    "forward_as_attachment.eml": _tags("client new thunderbird es attachment forward rfc822"),
    "gmail_forward_inline.eml": _tags("client new gmail es plain forward"),
    "attachment_2mb.eml": _tags("client new es attachment large"),
    "calendar_invite.eml": _tags("client new gmail en calendar attachment"),
    "spam_html_scripts.eml": _tags("non-client new spam html-only"),
    "autoreply_outlook_oof_es.eml": _tags("client auto-reply outlook es plain crlf"),
    "autoreply_outlook_oof_en_suppress_only.eml": _tags("client auto-reply outlook en plain crlf"),
    "autoreply_gmail_vacation.eml": _tags("client auto-reply gmail es plain"),
    "autoreply_cpanel_autorespond.eml": _tags("client auto-reply es plain"),
    "mailing_list_message.eml": _tags("list es plain"),
    "read_receipt_mdn.eml": _tags("client auto-reply es report"),
    "bounce_postfix_dsn.eml": _tags("bounce dsn postfix en report"),
    "bounce_postfix_delayed.eml": _tags("bounce dsn postfix en report"),
    "bounce_exim_plain.eml": _tags("bounce exim en plain"),
    "bounce_gmail_mailer_daemon.eml": _tags("bounce dsn gmail en report nested"),
    "bounce_exchange_ndr_es.eml": _tags("bounce dsn outlook es report"),
    "malformed_no_closing_boundary.eml": _tags("client malformed es attachment"),
    "malformed_broken_base64.eml": _tags("client malformed es attachment"),
    "malformed_bad_charset_utf8x.eml": _tags("client malformed es plain"),
    "malformed_8bit_headers.eml": _tags("client malformed es plain"),
    "malformed_header_only.eml": _tags("client malformed es"),
    "malformed_mixed_line_endings.eml": _tags("client malformed es plain"),
    "malformed_nul_bytes.eml": _tags("client malformed es plain"),
    "malformed_duplicate_message_id.eml": _tags("client malformed es plain"),
    "malformed_missing_message_id.eml": _tags("client malformed es plain"),
    "malformed_missing_from.eml": _tags("malformed es plain"),
    "malformed_missing_boundary_param.eml": _tags("client malformed es attachment"),
    "malformed_wrong_boundary.eml": _tags("client malformed es alternative"),
    "malformed_qp_errors.eml": _tags("client malformed es plain"),
    "malformed_huge_header_count.eml": _tags("client malformed es plain"),
    "malformed_long_line.eml": _tags("client malformed es plain"),
    "malformed_broken_encoded_words.eml": _tags("client malformed es plain"),
    "malformed_deep_nesting.eml": _tags("client malformed es"),
    "unparseable_empty.eml": _tags("unparseable malformed"),
    "unparseable_no_headers.eml": _tags("unparseable malformed"),
}

UNPARSEABLE: frozenset[str] = frozenset(
    name for name, tags in TAGS.items() if "unparseable" in tags)


def all_fixtures() -> list[str]:
    """The names of every .eml fixture, sorted."""
    return sorted(path.name for path in EML_DIR.glob("*.eml"))


def fixture_path(name: str) -> Path:
    """The path of a fixture by file name (".eml" may be left out)."""
    if not name.endswith(".eml"):
        name += ".eml"
    path = EML_DIR / name
    if path.parent != EML_DIR or not path.is_file():
        raise FileNotFoundError(f"no mail fixture named {name!r} in {EML_DIR}")
    return path


def fixture_bytes(name: str) -> bytes:
    """The raw bytes of a fixture, exactly as stored (line endings untouched)."""
    return fixture_path(name).read_bytes()


def fixtures_tagged(*tags: str) -> list[str]:
    """The names of the fixtures carrying all of ``tags``, sorted."""
    wanted = set(tags)
    return sorted(name for name, have in TAGS.items() if wanted <= have)


def parseable_fixtures() -> list[str]:
    """Every fixture except the ones built to be unparseable."""
    return [name for name in all_fixtures() if name not in UNPARSEABLE]
