"""The HTTP/1.1 response reader of a check (an asyncio protocol).

It understands Content-Length, chunked encoding, 1xx interim answers and close-delimited
bodies, reads at most the body cap and searches the keyword incrementally (across chunk
boundaries), so an endless body neither hangs a check nor fills memory. Why its answers can
be trusted: the head is refused past ``MAX_HEAD`` bytes or when it is not valid HTTP, and a
body that ends before its declared length is reported as cut short, never as complete.
"""
from __future__ import annotations

import asyncio
import contextlib
import time

from xuala.sentry.probe_target import BODY_HEAD, MAX_HEAD, CheckFailed


class ResponseReader(asyncio.Protocol):
    """A minimal HTTP/1.1 response reader: head, then a body read up to a cap."""

    def __init__(self, loop: asyncio.AbstractEventLoop, body_cap: int,
                 keyword: str | None) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.first_byte_at: float | None = None
        self.first_byte = loop.create_future()
        self.head_done = loop.create_future()
        self.body_done = loop.create_future()
        self.head = bytearray()
        self.status: int | None = None
        self.reason = ""
        self.headers: dict[str, str] = {}  # as received, for the report
        self.lower: dict[str, str] = {}  # lower-cased names, for the logic
        self.charset = "utf-8"
        self.mode = ""  # "length", "chunked", "close", "none"
        self.remaining = 0
        self.chunk_state = "size"
        self.line = bytearray()
        self.size = 0
        self.capped = False
        self.body_cap = body_cap
        self.body_head = bytearray()
        self.keyword = keyword
        self.needles: list[bytes] = []
        self.tail = b""
        self.keyword_found = False

    # asyncio callbacks ------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None
        reason = f": {exc}" if exc else ""
        if not self.first_byte.done():
            self.first_byte.set_exception(
                CheckFailed("refused", f"connection closed before any answer{reason}"))
        if not self.head_done.done():
            self.head_done.set_exception(
                CheckFailed("http_status", f"connection closed inside the response head{reason}"))
        if not self.body_done.done():
            if self.mode == "close":
                self.body_done.set_result(None)
            else:
                expected = f" of {self.size + self.remaining}" if self.mode == "length" else ""
                self.body_done.set_exception(CheckFailed(
                    "http_status", f"connection closed after {self.size}{expected} body bytes"
                    f"{reason}"))
        for future in (self.first_byte, self.head_done, self.body_done):
            if future.done() and not future.cancelled():
                future.exception()  # mark retrieved: the caller may have stopped listening

    def eof_received(self) -> bool:
        return False

    def data_received(self, data: bytes) -> None:
        if self.first_byte_at is None:
            self.first_byte_at = time.perf_counter()
            self.first_byte.set_result(None)
        try:
            if not self.head_done.done():
                data = self._feed_head(data)
                if data is None:
                    return
            if not self.body_done.done() and data:
                self._feed_body(data)
        except CheckFailed as exc:
            for future in (self.head_done, self.body_done):
                if not future.done():
                    future.set_exception(exc)
                    future.exception()
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # head -------------------------------------------------------------------------------------
    def _feed_head(self, data: bytes) -> bytes | None:
        """Take head bytes; returns the body bytes that followed, or None while incomplete."""
        start = max(0, len(self.head) - 3)
        self.head += data
        if self.head[:5] != b"HTTP/"[:len(self.head)]:
            first_line = bytes(self.head[:80]).split(b"\r\n", 1)[0]
            raise CheckFailed("http_status", f"not an HTTP response: {first_line!r}")
        while True:
            end = self.head.find(b"\r\n\r\n", start)
            if end < 0:
                if len(self.head) > MAX_HEAD:
                    raise CheckFailed("http_status", "response head larger than 64 KiB")
                return None
            rest = bytes(self.head[end + 4:])
            self._parse_head(bytes(self.head[:end]))
            if self.status is not None and 100 <= self.status < 200:  # interim: next head
                self.head = bytearray(rest)
                self.status = None
                start = 0
                continue
            self.head = bytearray()
            self.head_done.set_result(None)
            if self.mode == "none":
                self.body_done.set_result(None)
            return rest

    def _parse_head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if (len(status_line) < 2 or not status_line[0].startswith("HTTP/")
                or not (status_line[1].isdigit() and len(status_line[1]) == 3)):
            raise CheckFailed("http_status",
                              f"not an HTTP response: {lines[0][:80]!r}")
        self.status = int(status_line[1])
        self.reason = status_line[2] if len(status_line) > 2 else ""
        if 100 <= self.status < 200:
            return
        headers: dict[str, str] = {}
        lower: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                continue
            name, value = name.strip(), value.strip()
            key = name.lower()
            if key in lower:  # repeated header: joined as RFC 9110 allows
                value = f"{lower[key]}, {value}"
                headers = {n: v for n, v in headers.items() if n.lower() != key}
            headers[name] = value
            lower[key] = value
        self.headers, self.lower = headers, lower
        content_type = lower.get("content-type", "")
        for param in content_type.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                self.charset = value.strip().strip('"').lower() or "utf-8"
        if self.status in (204, 304):
            self.mode = "none"
        elif "chunked" in lower.get("transfer-encoding", "").lower():
            self.mode = "chunked"
        elif "content-length" in lower:
            try:
                self.remaining = int(lower["content-length"].split(",")[0])
            except ValueError:
                raise CheckFailed("http_status", "invalid Content-Length") from None
            self.mode = "length" if self.remaining > 0 else "none"
        else:
            self.mode = "close"
        if self.keyword:
            needles = {self.keyword.encode("utf-8")}
            with contextlib.suppress(LookupError, UnicodeError):
                needles.add(self.keyword.encode(self.charset))
            self.needles = sorted(needles, key=len)

    # body -------------------------------------------------------------------------------------
    def _feed_body(self, data: bytes) -> None:
        if self.mode == "close":
            self._take(data)
        elif self.mode == "length":
            piece = data[:self.remaining]
            self.remaining -= len(piece)
            self._take(piece)
            if self.remaining == 0 and not self.body_done.done():
                self.body_done.set_result(None)
        else:
            self._feed_chunked(data)

    def _feed_chunked(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n and not self.body_done.done():
            state = self.chunk_state
            if state == "data":
                piece = data[i:i + self.remaining]
                i += len(piece)
                self.remaining -= len(piece)
                self._take(piece)
                if self.remaining == 0:
                    self.chunk_state = "crlf"
                continue
            end = data.find(b"\n", i)
            if end < 0:
                self.line += data[i:]
                if len(self.line) > 4096:
                    raise CheckFailed("http_status", "chunked encoding: line too long")
                return
            self.line += data[i:end]
            i = end + 1
            line = bytes(self.line).rstrip(b"\r")
            self.line = bytearray()
            if state == "size":
                try:
                    self.remaining = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise CheckFailed("http_status",
                                      f"chunked encoding: bad chunk size {line[:20]!r}") from None
                self.chunk_state = "data" if self.remaining else "trailer"
            elif state == "crlf":
                if line:
                    raise CheckFailed("http_status", "chunked encoding: missing CRLF")
                self.chunk_state = "size"
            elif not line:  # the empty line that ends the trailer
                self.body_done.set_result(None)

    def _take(self, piece: bytes) -> None:
        if self.capped or not piece:
            return
        room = self.body_cap - self.size
        if len(piece) >= room:
            piece = piece[:room]
            self.capped = True
        self.size += len(piece)
        if len(self.body_head) < BODY_HEAD:
            self.body_head += piece[:BODY_HEAD - len(self.body_head)]
        if self.needles and not self.keyword_found:
            longest = len(self.needles[-1])
            window = self.tail + piece[:longest - 1]
            if any(n in piece or n in window for n in self.needles):
                self.keyword_found = True
            elif longest > 1:
                keep = longest - 1
                self.tail = piece[-keep:] if len(piece) >= keep else (self.tail + piece)[-keep:]
        if self.capped:
            if not self.body_done.done():
                self.body_done.set_result(None)
            self.abort()  # stop an endless body here; nothing more is read

    def decoded_head(self) -> str:
        try:
            return bytes(self.body_head).decode(self.charset, errors="replace")
        except LookupError:
            return bytes(self.body_head).decode("utf-8", errors="replace")

