"""Fuzzing the mail parser: 10,000 mutated corpus messages, and hypothesis soup.

parse_message must return a ParsedMail with clean text or raise UnparseableMail; nothing
else, whatever the bytes. The mutations are seeded, so a failure names a reproducible case.
"""

import random
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.intake.corpus import all_fixtures, fixture_bytes
from xuala.intake.parse import ParsedMail, UnparseableMail, parse_message
from xuala.intake.quotes import strip_quoted

SEED = 20261125
COUNT = 10_000
LIMIT = 256 * 1024
# The 2 MiB fixture costs ~150 ms to parse; its copy keeps the head and the tail (headers,
# parts, closing boundary) so the run stays well under a minute without dropping mutations.
MAX_BASE = 192 * 1024

settings.register_profile(
    "xuala-intake-parse",
    max_examples=300,
    derandomize=True,  # the same examples on every run and machine
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("xuala-intake-parse")

NASTY_HEADERS = [
    b'Content-Type: multipart/mixed; boundary=""',
    b"Content-Type: multipart/alternative",
    b"Content-Type: multipart/report; report-type=delivery-status",
    b"Content-Type: message/rfc822",
    b"Content-Type: message/delivery-status",
    b"Content-Type: text/html",
    b"Content-Type: text/plain; charset=\"\x00\"",
    b"Content-Type: ",
    b"Content-Type: /",
    b"Content-Type: text/plain; format=flowed; delsp=yes",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Transfer-Encoding: x-uuencode",
    b"Content-Transfer-Encoding: \xff\xfe",
    b"Content-Disposition: attachment; filename*0*=utf-8''%FF%FE; filename*1=../../x",
    b"Content-Disposition: attachment; filename*=bogus''%E2%80%AE.exe",
    b"Content-Disposition: inline; filename=\"=?utf-8?B?Li4vLi4vZXRjL3Bhc3N3ZA==?=\"",
    b"Subject: =?utf-8?B?8J+agA?= =?utf-8?q?=E2=80?=",
    b"Subject: =?\xff?Q?x?=",
    b"Subject: " + b"=?utf-8?q?a?=" * 500,
    b'From: "',
    b"From: <@>",
    b"From: " + b"a" * 5000 + b"@example.com",
    b"From: =?utf8x?q?Jos=C3=A9?= <jose@cliente-demo.es>",
    b"From: Jos\xe9 <\xff@\xfe>",
    b"From: MAILER-DAEMON@mx.modo3.net",
    b"To: undisclosed-recipients:;",
    b"To: ,,,,<>,@,",
    b"Message-ID: <",
    b"Message-ID: \x00\xff<x@y>",
    b"Date: Mon, 99 Foo 99999 99:99:99 +9999",
    b"Date: Thu, 01 Jan 10000 00:00:00 +0000",
    b"Date: -0000",
    b"Auto-Submitted: \xff",
    b"Precedence: \x00bulk",
    b"X-Auto-Response-Suppress: All, OOF",
    b"X-Failed-Recipients: <>",
    b"In-Reply-To: <<<>>>",
    b"References: " + b"<a@b> " * 2000,
    b" folded continuation line",
    b"\tanother continuation",
    b"X-Header-Without-Value:",
    b": no name",
    b"Return-Path: <>",
]
CHARSETS = [b"utf8x", b"x-unknown", b"iso-8859-99", b"", b"utf-16", b"utf-32", b"utf-7",
            b"rot13", b"base64", b"idna", b"punycode", b"unicode-1-1-utf-7", b"\xff\xfe",
            b"ks_c_5601-1987", b"windows-1252", b"iso-8859-15", b"ascii", b"latin-9",
            b"cp037", b"zlib", b'"utf-8', b"utf-8'en'x", b"a" * 300]
_CHARSET_PARAM = re.compile(rb"charset\s*=\s*\"?[^\";\s]*\"?", re.IGNORECASE)
_BOUNDARY_PARAM = re.compile(rb"boundary\s*=\s*\"?([^\";\r\n]+)\"?", re.IGNORECASE)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def flip_bytes(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    buffer = bytearray(data or b"x")
    for _ in range(rng.randint(1, 16)):
        buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def truncate(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def duplicate_lines(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 8)):
        line = lines[rng.randrange(len(lines))]
        lines.insert(rng.randrange(len(lines) + 1), line)
    return b"".join(lines)


def remove_lines(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    lines = _lines(data)
    for _ in range(min(len(lines), rng.randint(1, 8))):
        del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def damage_boundary(rng: random.Random, data: bytes, bases: list[bytes]) -> bytes:
    boundaries = _BOUNDARY_PARAM.findall(data)
    if not boundaries:
        return flip_bytes(rng, data, bases)
    boundary = rng.choice(boundaries)
    choice = rng.randrange(5)
    if choice == 0:  # drop every closing delimiter
        return data.replace(b"--" + boundary + b"--", b"")
    if choice == 1:  # the declared value no longer matches the body
        return data.replace(b"boundary=\"" + boundary, b"boundary=\"x" + boundary, 1)
    if choice == 2:  # no boundary parameter at all
        return _BOUNDARY_PARAM.sub(b"", data, count=1)
    if choice == 3:  # one delimiter line damaged
        occurrences = [m.start() for m in re.finditer(re.escape(b"\n--" + boundary), data)]
        if occurrences:
            at = rng.choice(occurrences) + 3 + rng.randrange(len(boundary))
            return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
        return data
    return data.replace(b"--" + boundary, b"--" + boundary[: len(boundary) // 2])


def inject_header(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    lines = _lines(data)
    header = rng.choice(NASTY_HEADERS) + rng.choice([b"\n", b"\r\n", b"\r", b""])
    lines.insert(rng.randrange(min(len(lines), 40) + 1), header)
    return b"".join(lines)


def random_charset(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    label = rng.choice(CHARSETS)
    if _CHARSET_PARAM.search(data):
        return _CHARSET_PARAM.sub(lambda _m: b"charset=" + label, data,
                                  count=rng.randint(0, 3))
    return data.replace(b"Content-Type: text/plain", b"Content-Type: text/plain; charset="
                        + label, 1)


def huge_line(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    unit = rng.choice([b"A", b"=", b"<", b" ", b">", b"=?utf-8?q?", b"=C3", b"\xc3", b"-- ",
                       b'<a b="', b"<div>", b"<blockquote>", b'"', b";", b"> "])
    line = unit * (rng.randint(10_000, 200_000) // len(unit)) + b"\n"
    lines = _lines(data)
    lines.insert(rng.randrange(len(lines) + 1), line)
    return b"".join(lines)


def line_endings(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    choice = rng.randrange(3)
    if choice == 0:
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if choice == 1:
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    return data.replace(b"\r", b"")


def splice(rng: random.Random, data: bytes, bases: list[bytes]) -> bytes:
    other = rng.choice(bases) or b"x"
    start = rng.randrange(len(other))
    chunk = other[start:start + rng.randint(1, 4096)]
    at = rng.randrange(len(data) + 1)
    return data[:at] + chunk + data[at:]


def nul_bytes(rng: random.Random, data: bytes, _bases: list[bytes]) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 10)):
        buffer.insert(rng.randrange(len(buffer) + 1), 0)
    return bytes(buffer)


MUTATORS = [flip_bytes, truncate, duplicate_lines, remove_lines, damage_boundary,
            inject_header, random_charset, huge_line, line_endings, splice, nul_bytes]


def _shrunk(data: bytes) -> bytes:
    if len(data) <= MAX_BASE:
        return data
    half = MAX_BASE // 2
    return data[:half] + data[-half:]


def _clean(value: str) -> bool:
    """No NUL and no lone surrogate (neither can be stored in PostgreSQL text)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _check(mail: ParsedMail) -> list[str]:
    """What is wrong with a result, if anything (values the desk would store)."""
    problems = []
    values = [mail.subject, mail.from_name, mail.from_address, mail.text, mail.new_text,
              mail.html, mail.message_id or "", *mail.to, *mail.cc, *mail.headers_defects,
              *(a.filename for a in mail.attachments), *mail.oversized_attachments]
    if not all(isinstance(value, str) and _clean(value) for value in values):
        problems.append("a value holds NUL or surrogate characters")
    if any(len(a.filename) > 150 or "/" in a.filename or "\\" in a.filename
           for a in mail.attachments):
        problems.append("an unsafe attachment name")
    if any(len(a.content) > LIMIT for a in mail.attachments):
        problems.append("an attachment over the limit was loaded")
    if mail.date is not None and mail.date.utcoffset() is None:
        problems.append("a naive date")
    return problems


def test_it_survives_ten_thousand_mutated_messages():
    """Every mutated message parses or raises UnparseableMail, and what parses is clean."""
    names = all_fixtures()
    bases = [_shrunk(fixture_bytes(name)) for name in names]
    rng = random.Random(SEED)
    failures: list[str] = []
    parsed = unparseable = 0
    for index in range(COUNT):
        base = rng.randrange(len(bases))
        data = bases[base]
        steps = [rng.choice(MUTATORS) for _ in range(rng.randint(1, 3))]
        for step in steps:
            data = step(rng, data, bases)
        label = f"#{index} {names[base]} {[s.__name__ for s in steps]}"
        try:
            mail = parse_message(data, max_attachment_bytes=LIMIT)
        except UnparseableMail:
            unparseable += 1
            continue
        except Exception as exc:  # the point of the test: nothing else may escape
            failures.append(f"{label}: {exc!r}")
            continue
        parsed += 1
        failures.extend(f"{label}: {problem}" for problem in _check(mail))
    assert failures == [], failures[:10]
    assert parsed + unparseable == COUNT
    assert parsed > COUNT * 0.9  # mutations damage messages; they rarely leave nothing


HEADER_NAMES = ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References",
                "Date", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
                "MIME-Version", "Auto-Submitted", "Precedence", "Return-Path", "List-Id",
                "X-Failed-Recipients", "Authentication-Results", "X-Auto-Response-Suppress"]
VALUE_PIECES = ["=?utf-8?q?", "=?", "?=", "?B?", "<", ">", "@", '"', ";", ",", ":",
                "multipart/mixed", "boundary=", "charset=", "filename*=", "'", "%C3%B1",
                "text/plain", "message/rfc822", "base64", "\t", " ", "ñ", "€", "\x00", "auto"]


@st.composite
def header_soup(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        name = draw(st.sampled_from(HEADER_NAMES) | st.text(min_size=0, max_size=8))
        value = "".join(draw(st.lists(st.sampled_from(VALUE_PIECES) | st.text(max_size=6),
                                      max_size=12)))
        lines.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    body = draw(st.binary(max_size=400))
    separator = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    return separator.join(lines) + separator + separator + body


@PROFILE
@given(header_soup())
def test_it_parses_header_soup_or_calls_it_unparseable(data):
    try:
        mail = parse_message(data, max_attachment_bytes=LIMIT)
    except UnparseableMail:
        return
    assert _check(mail) == []


@PROFILE
@given(st.binary(max_size=3000))
def test_it_parses_random_bytes_or_calls_them_unparseable(data):
    try:
        mail = parse_message(data, max_attachment_bytes=LIMIT)
    except UnparseableMail:
        return
    assert _check(mail) == []


QUOTE_PIECES = ["> ", ">", "-- ", "--", "On ", "El ", "wrote:", "escribió:", "25/11/26 ",
                "10:00", "2026", "-----Original Message-----", "________________________________",
                "From: x", "De: x", "Sent: y", "Enviado: y", "To: z", "Para: z", "Asunto: w",
                "Sent from my iPhone", "\n", "\n", "\n", "\r\n", " ", "texto", "text"]


@PROFILE
@given(st.lists(st.sampled_from(QUOTE_PIECES) | st.text(max_size=10), max_size=60))
def test_it_strips_quotes_without_losing_every_line(pieces):
    """strip_quoted never fails, never empties non-blank text, and only removes lines."""
    text = "".join(pieces)
    result = strip_quoted(text)
    if text.strip():
        assert result.strip()
    if result != text:
        original = {line.rstrip() for line in text.replace("\r\n", "\n")
                    .replace("\r", "\n").split("\n")}
        assert all(line.rstrip() in original for line in result.split("\n"))
