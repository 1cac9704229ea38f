"""A site farm on loopback: one asyncio server that plays many websites by their Host name.

The first label of the Host (or TLS SNI) name picks the behaviour, so `ok.farm.test`,
`slow.farm.test` and `s12345.farm.test` (any unknown label plays `ok`) are all the same
server. Names under `farm.test` resolve nowhere: give the probe `farm.resolve` (a wildcard
override to 127.0.0.1). Behaviours, by first label:

    ok          200, the shop's home page with the keyword "Bienvenido a mi tienda"
    okchunked   the same page, chunked, with the keyword split across two chunks
    okclose     the same page, HTTP/1.0 style: no length, the body ends when the socket closes
    latin1      200 in ISO-8859-1 with "Añadir al carrito"
    slow        waits ?ms= (default 300) milliseconds, then answers like ok
    hang        reads the request and never answers
    error500    500 Internal Server Error
    status      answers ?code= (default 503)
    nokeyword   200 without the keyword (a maintenance page)
    loop        / -> /a -> /b -> /a ... (302s forever)
    chain       ?hops= (default 3) redirects, the last one to ok.farm.test, then ok
    endless     200 chunked body that never ends (keyword in the first chunk)
    drip        200 chunked body, a few bytes every 100 ms, forever
    big         200 with a 1 MiB Content-Length body
    early       103 Early Hints first, then the ok page
    trickle     the okchunked answer written a few bytes at a time
    truncated   promises 5,000 bytes (Content-Length), sends the first part of the page, closes
    reset       reads the request, then resets the connection (TCP RST)
    garbage     answers with something that is not HTTP

Over HTTPS the SNI name also picks the certificate: `expired`, `notyet` (not yet valid),
`expiring` (3 days left), `wrongname` (a certificate for another name) and `selfsigned` (no
trusted CA) get their own; every other name gets a valid `*.farm.test` certificate from the
farm's test CA (`farm.ca`, trusted by `farm.client_context()`). Behind those certificates the
site plays `ok`. `farm.refused_port` is a bound port with nothing listening.

`farm.overrides[host] = "error500"` switches one site's behaviour while the farm runs (a site
going down and coming back).

Use it as a context manager in tests (it runs its own event loop in a thread), or as a process
for benchmarks: `python -m tests.sentry.farm [--http-port N] [--https-port N]` prints one JSON
line with its ports and CA file, then serves until stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.sentry.ca import TestCA

DOMAIN = "farm.test"
KEYWORD = "Bienvenido a mi tienda"
LATIN1_KEYWORD = "Añadir al carrito"
HOST = "127.0.0.1"

PAGE = (
    "<!doctype html><html lang=es><head><meta charset=utf-8><title>Mi tienda</title></head>"
    f"<body><h1>{KEYWORD}</h1><p>Ofertas de temporada en toda la tienda.</p>"
    + "<p>Producto destacado: camiseta de algodón.</p>" * 40
    + "</body></html>"
).encode()
MAINTENANCE = (
    b"<!doctype html><html lang=es><head><meta charset=utf-8><title>Mantenimiento</title>"
    b"</head><body><h1>Volvemos enseguida</h1><p>Estamos actualizando la web.</p></body></html>"
)
LATIN1_PAGE = (
    "<!doctype html><html lang=es><head><title>Tienda</title></head>"
    f"<body><button>{LATIN1_KEYWORD}</button><p>Envío gratis en pedidos de más de 50 €.</p>"
    "</body></html>"
).encode("iso-8859-1", errors="replace")
BIG_SIZE = 1024 * 1024
ENDLESS_CHUNK = (b"<p>" + KEYWORD.encode() + b"</p>").ljust(16 * 1024, b"x")

SPECIAL_CERTIFICATES = ("expired", "notyet", "expiring", "wrongname", "selfsigned")
REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
           404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


def _head(status: int, headers: list[tuple[str, str]], *, keep_alive: bool,
          version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status} {REASONS.get(status, 'Status')}", "Server: XualaFarm/1.0"]
    lines += [f"{name}: {value}" for name, value in headers]
    if version == "HTTP/1.1":
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response(status: int, body: bytes, *, keep_alive: bool,
              content_type: str = "text/html; charset=utf-8",
              extra: list[tuple[str, str]] | None = None) -> bytes:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
               *(extra or [])]
    return _head(status, headers, keep_alive=keep_alive) + body


# The plain ok page is served thousands of times a second: built once.
OK_RESPONSES = {keep: _response(200, PAGE, keep_alive=keep) for keep in (True, False)}


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


class FarmProtocol(asyncio.Protocol):
    """One client connection: parses HTTP/1.1 requests and plays the site named by Host."""

    def __init__(self, farm: SiteFarm, *, tls: bool) -> None:
        self.farm = farm
        self.tls = tls
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a response in progress (slow, streaming, hanging)
        self.paused: asyncio.Future | None = None
        self.task: asyncio.Task | None = None

    # asyncio callbacks ------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.farm.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.farm.connections.discard(self)
        self.transport = None
        if self.task is not None:
            self.task.cancel()
        if self.paused is not None and not self.paused.done():
            self.paused.set_result(None)

    def pause_writing(self) -> None:
        self.paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.paused is not None and not self.paused.done():
            self.paused.set_result(None)
        self.paused = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            self.handle(head)

    # requests ---------------------------------------------------------------------------------
    def handle(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        try:
            _method, target, version = lines[0].split(" ", 2)
        except ValueError:
            self.transport.close()
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep_alive = version == "HTTP/1.1" and connection != "close"
        host = headers.get("host", "").rsplit(":", 1)[0].lower() if "host" in headers else ""
        if host.startswith("["):
            host = headers["host"].partition("]")[0] + "]"
        behaviour = self.farm.behaviour_of(host)
        if behaviour == "ok":  # the fast path for benchmarks
            self.send(OK_RESPONSES[keep_alive], keep_alive)
            return
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        getattr(self, f"play_{behaviour}", self.play_ok)(url.path or "/", query, keep_alive)

    def send(self, data: bytes, keep_alive: bool) -> None:
        if self.transport is None:
            return
        self.transport.write(data)
        if not keep_alive:
            self.transport.close()

    def start(self, coroutine) -> None:
        self.busy = True
        self.task = asyncio.get_running_loop().create_task(coroutine)
        self.farm.tasks.add(self.task)
        self.task.add_done_callback(self.farm.tasks.discard)

    async def drain(self) -> None:
        if self.paused is not None:
            await self.paused

    def origin(self, name: str) -> str:
        scheme, port = ("https", self.farm.https_port) if self.tls else ("http",
                                                                         self.farm.http_port)
        return f"{scheme}://{name}.{DOMAIN}:{port}"

    # behaviours -------------------------------------------------------------------------------
    def play_ok(self, path, query, keep_alive) -> None:
        self.send(OK_RESPONSES[keep_alive], keep_alive)

    def play_okchunked(self, path, query, keep_alive) -> None:
        self.send(self._okchunked(keep_alive), keep_alive)

    def _okchunked(self, keep_alive: bool) -> bytes:
        cut = PAGE.index(KEYWORD.encode()) + 5  # the keyword straddles two chunks
        head = _head(200, [("Content-Type", "text/html; charset=utf-8"),
                           ("Transfer-Encoding", "chunked")], keep_alive=keep_alive)
        body = _chunk(PAGE[:cut]) + b"7;ext=1\r\n" + PAGE[cut:cut + 7] + b"\r\n"
        return head + body + _chunk(PAGE[cut + 7:]) + b"0\r\nX-Trailer: yes\r\n\r\n"

    def play_trickle(self, path, query, keep_alive) -> None:
        data = self._okchunked(keep_alive)

        async def trickle():
            for start in range(0, len(data), 7):
                if self.transport is None:
                    return
                self.transport.write(data[start:start + 7])
                await asyncio.sleep(0.0005)
            self.busy = False
            if not keep_alive and self.transport is not None:
                self.transport.close()

        self.start(trickle())

    def play_early(self, path, query, keep_alive) -> None:
        hints = (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style"
                 b"\r\n\r\n")
        self.send(hints + OK_RESPONSES[keep_alive], keep_alive)

    def play_okclose(self, path, query, keep_alive) -> None:
        head = _head(200, [("Content-Type", "text/html; charset=utf-8")], keep_alive=False,
                     version="HTTP/1.0")
        self.send(head + PAGE, False)

    def play_latin1(self, path, query, keep_alive) -> None:
        self.send(_response(200, LATIN1_PAGE, keep_alive=keep_alive,
                            content_type="text/html; charset=ISO-8859-1"), keep_alive)

    def play_slow(self, path, query, keep_alive) -> None:
        delay = int(query.get("ms", "300")) / 1000

        async def later():
            await asyncio.sleep(delay)
            self.busy = False
            self.send(OK_RESPONSES[keep_alive], keep_alive)

        self.start(later())

    def play_hang(self, path, query, keep_alive) -> None:
        self.busy = True  # never answers; the connection closes when the client gives up

    def play_error500(self, path, query, keep_alive) -> None:
        body = b"<h1>Internal Server Error</h1><p>PHP Fatal error: Allowed memory size</p>"
        self.send(_response(500, body, keep_alive=keep_alive), keep_alive)

    def play_status(self, path, query, keep_alive) -> None:
        code = int(query.get("code", "503"))
        self.send(_response(code, b"status page", keep_alive=keep_alive), keep_alive)

    def play_nokeyword(self, path, query, keep_alive) -> None:
        self.send(_response(200, MAINTENANCE, keep_alive=keep_alive), keep_alive)

    def _redirect(self, status: int, location: str, keep_alive: bool) -> None:
        self.send(_response(status, b"moved", keep_alive=keep_alive,
                            extra=[("Location", location)]), keep_alive)

    def play_loop(self, path, query, keep_alive) -> None:
        self._redirect(302, "/b" if path == "/a" else "/a", keep_alive)

    def play_chain(self, path, query, keep_alive) -> None:
        hops = int(query.get("hops", "3"))
        left = int(path.rsplit("/", 1)[-1]) if path.startswith("/hop/") else hops
        if left <= 1:
            self._redirect(307, self.origin("ok") + "/", keep_alive)
        else:
            self._redirect(301 if left % 2 else 302, f"/hop/{left - 1}", keep_alive)

    def _stream(self, keep_alive: bool, piece: bytes, pause: float) -> None:
        head = _head(200, [("Content-Type", "text/html; charset=utf-8"),
                           ("Transfer-Encoding", "chunked")], keep_alive=keep_alive)
        self.transport.write(head + _chunk(ENDLESS_CHUNK))

        async def forever():
            chunk = _chunk(piece)
            while self.transport is not None:
                self.transport.write(chunk)
                await self.drain()
                await asyncio.sleep(pause)

        self.start(forever())

    def play_endless(self, path, query, keep_alive) -> None:
        self._stream(keep_alive, ENDLESS_CHUNK, 0)

    def play_drip(self, path, query, keep_alive) -> None:
        self._stream(keep_alive, b"<p>.</p>", 0.1)

    def play_big(self, path, query, keep_alive) -> None:
        body = PAGE + b"x" * (BIG_SIZE - len(PAGE))
        self.send(_response(200, body, keep_alive=keep_alive), keep_alive)

    def play_truncated(self, path, query, keep_alive) -> None:
        head = _head(200, [("Content-Type", "text/html; charset=utf-8"),
                           ("Content-Length", "5000")], keep_alive=False)
        self.send(head + PAGE[:1000], False)

    def play_reset(self, path, query, keep_alive) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def play_garbage(self, path, query, keep_alive) -> None:
        self.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nProtocol mismatch.\r\n", False)


class SiteFarm:
    """The farm: HTTP and HTTPS listeners on 127.0.0.1 and a refused port, with a test CA."""

    def __init__(self, *, http_port: int = 0, https_port: int = 0,
                 directory: Path | None = None, backlog: int = 4096) -> None:
        self._tmp = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="xuala-farm-")
            directory = Path(self._tmp.name)
        self.directory = directory
        self.ca = TestCA()
        self.ca_file = self.ca.write_ca(directory / "ca.pem")
        self.wanted_ports = (http_port, https_port)
        self.backlog = backlog
        self.http_port = 0
        self.https_port = 0
        self.refused_port = 0
        self.overrides: dict[str, str] = {}
        self.connections: set[FarmProtocol] = set()
        self.tasks: set[asyncio.Task] = set()
        self.server_context = self._server_context()
        self._servers: list[asyncio.base_events.Server] = []
        self._refused_socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # names ------------------------------------------------------------------------------------
    @property
    def resolve(self) -> dict[str, str]:
        """The probe's `resolve` override: every farm name to the farm's address."""
        return {f"*.{DOMAIN}": HOST, DOMAIN: HOST}

    def url(self, name: str, *, https: bool = False, path: str = "/") -> str:
        scheme, port = ("https", self.https_port) if https else ("http", self.http_port)
        return f"{scheme}://{name}.{DOMAIN}:{port}{path}"

    def behaviour_of(self, host: str) -> str:
        if host in self.overrides:
            return self.overrides[host]
        label = host.split(".", 1)[0]
        return label if hasattr(FarmProtocol, f"play_{label}") else "ok"

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the farm's CA."""
        return self.ca.client_context()

    # certificates -----------------------------------------------------------------------------
    def _server_context(self) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        day = dt.timedelta(days=1)
        leaves = {
            "default": self.ca.issue([f"*.{DOMAIN}", DOMAIN, HOST]),
            "expired": self.ca.issue([f"expired.{DOMAIN}"], not_before=now - 90 * day,
                                     not_after=now - 2 * day),
            "notyet": self.ca.issue([f"notyet.{DOMAIN}"], not_before=now + 10 * day,
                                    not_after=now + 100 * day),
            "expiring": self.ca.issue([f"expiring.{DOMAIN}"],
                                      not_after=now + dt.timedelta(days=3, hours=1)),
            "wrongname": self.ca.issue(["www.otra-empresa.test"]),
            "selfsigned": self.ca.issue([f"selfsigned.{DOMAIN}"], self_signed=True),
        }
        contexts = {name: leaf.server_context(self.directory, name)
                    for name, leaf in leaves.items()}
        default = contexts.pop("default")

        def pick(ssl_object, server_name, _context):
            if server_name:
                label = server_name.split(".", 1)[0]
                if label in contexts:
                    ssl_object.context = contexts[label]
            return None

        default.sni_callback = pick
        return default

    # running ----------------------------------------------------------------------------------
    async def serve(self) -> None:
        """Open the listeners on the running loop (for a farm run inside an existing loop)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        http = await loop.create_server(lambda: FarmProtocol(self, tls=False), HOST,
                                        self.wanted_ports[0], backlog=self.backlog,
                                        reuse_address=True)
        https = await loop.create_server(lambda: FarmProtocol(self, tls=True), HOST,
                                         self.wanted_ports[1], ssl=self.server_context,
                                         backlog=self.backlog, reuse_address=True)
        self._servers = [http, https]
        self.http_port = http.sockets[0].getsockname()[1]
        self.https_port = https.sockets[0].getsockname()[1]
        # Bound but never listening: connecting gets a reset (ECONNREFUSED), and no other
        # program can take the port while the farm holds it.
        self._refused_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refused_socket.bind((HOST, 0))
        self.refused_port = self._refused_socket.getsockname()[1]

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for protocol in list(self.connections):
            if protocol.transport is not None:
                protocol.transport.abort()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        if self._refused_socket is not None:
            self._refused_socket.close()

    def start(self) -> SiteFarm:
        """Run the farm on its own event loop in a daemon thread; returns once it listens."""
        self._thread = threading.Thread(target=self._run, name="site-farm", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("the site farm did not start") from self._error
        return self

    def _run(self) -> None:
        loop = new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.close())
            loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SiteFarm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is optional
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Sentry test site farm on loopback.")
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--https-port", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=3600,
                        help="stop by itself after this long (default 1 h)")
    args = parser.parse_args(argv)
    farm = SiteFarm(http_port=args.http_port, https_port=args.https_port)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(farm.serve())
    print(json.dumps({"http_port": farm.http_port, "https_port": farm.https_port,
                      "refused_port": farm.refused_port, "ca_file": str(farm.ca_file),
                      "domain": DOMAIN}), flush=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    loop.call_later(args.seconds, loop.stop)
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(farm.close())
        loop.close()
        farm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
