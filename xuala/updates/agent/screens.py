"""Screenshots in headless Chromium and the visual comparison of two of them.

The ``chromium`` binary (``XUALA_CHROMIUM``, else the first of chromium, chromium-browser,
google-chrome on the PATH) runs headless at 1280×1600 with a throw-away profile and reduced
motion. ``Camera`` keeps one browser for a whole run and drives it over
``--remote-debugging-pipe`` (the DevTools protocol as NUL-separated JSON on file
descriptors 3 and 4: no port, no extra package): load, fonts ready, capture, with the cache
off so a page is never drawn from an older version's files. Starting Chromium costs a
second or two, a picture then a fraction of one. Should the pipe fail, each picture falls back
to a browser of its own (``--headless --screenshot``). No picture (no browser, a page that
never loads) is ``False``, never an exception.

``compare`` counts the pixels that differ by more than ``TOLERANCE`` in any channel (so
anti-aliasing and JPEG noise do not count) over the larger of the two sizes, and draws the
diff image: the after picture faded to grey with every differing pixel in red.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops

WIDTH, HEIGHT = 1280, 1600
TOLERANCE = 32
THUMB_WIDTH = 800
TIMEOUT = 90
FLAGS = ["--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
         "--force-device-scale-factor=1", "--force-prefers-reduced-motion",
         "--disable-features=Translate,MediaRouter,OptimizationHints"]
# Chromium's DevTools pipe is read on fd 3 and written on fd 4: a tiny trampoline puts the
# pipes there and becomes the browser.
PLACE_PIPES = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
               "os.execv(sys.argv[3], sys.argv[3:])")
# Only for a browser of its own: lets the page settle before the one picture it takes (with
# the pipe, virtual time would stop the page before its load event).
ONE_SHOT = ["--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000"]


def browser() -> str | None:
    configured = os.environ.get("XUALA_CHROMIUM")
    if configured:
        return configured if os.path.exists(configured) or shutil.which(configured) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _command(binary: str, profile: str, *extra: str) -> list[str]:
    command = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
               *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
    return command


def screenshot(url: str, out: Path) -> bool:
    """One picture with a browser of its own."""
    binary = browser()
    if binary is None:
        return False
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="xuala-chromium-") as profile:
        try:
            subprocess.run(_command(binary, profile, *ONE_SHOT, f"--screenshot={out}", url),
                           capture_output=True, timeout=TIMEOUT, check=False,
                           stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return out.is_file() and out.stat().st_size > 0


class CameraError(Exception):
    pass


class Camera:
    """One headless Chromium for many pictures, over the DevTools pipe."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.broken = browser() is None
        self.buffer = b""
        self.inbox: list[dict] = []
        self.last = 0
        self.session = ""

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _start(self) -> None:
        binary = browser()
        if binary is None:
            raise CameraError("no browser")
        self.profile = tempfile.TemporaryDirectory(prefix="xuala-chromium-")
        to_browser, self.writer = os.pipe()
        self.reader, from_browser = os.pipe()
        # Above 9, so that putting them on 3 and 4 cannot overwrite one with the other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
        for fd in (to_browser, from_browser):
            os.close(fd)
        command = _command(binary, self.profile.name, "--remote-debugging-pipe", "about:blank")
        self.process = subprocess.Popen(
            [sys.executable, "-c", PLACE_PIPES, str(high[0]), str(high[1]), *command],
            pass_fds=high, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        for fd in high:
            os.close(fd)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for method, params in (("Page.enable", {}), ("Network.enable", {}),
                               ("Network.setCacheDisabled", {"cacheDisabled": True}),
                               ("Emulation.setDeviceMetricsOverride", {
                                   "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1,
                                   "mobile": False})):
            self.call(method, params, self.session)

    def _receive(self, wanted, deadline: float) -> dict:
        """The first message ``wanted`` accepts; the others wait in the inbox (an event may
        come before the answer to the command that caused it)."""
        while True:
            for number, message in enumerate(self.inbox):
                if wanted(message):
                    return self.inbox.pop(number)
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                self.inbox.append(json.loads(raw))
            if any(wanted(m) for m in self.inbox):
                continue
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.reader], [], [], left)
            if not ready:
                raise CameraError("the browser did not answer in time")
            chunk = os.read(self.reader, 1 << 20)
            if not chunk:
                raise CameraError("the browser went away")
            self.buffer += chunk

    def call(self, method: str, params: dict | None = None, session: str = "",
             timeout: float = TIMEOUT) -> dict:
        self.last += 1
        message = {"id": self.last, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self.writer, json.dumps(message).encode() + b"\0")
        except OSError as error:
            raise CameraError(f"the browser went away: {error}") from error
        number = self.last
        answer = self._receive(lambda m: m.get("id") == number, time.monotonic() + timeout)
        if "error" in answer:
            raise CameraError(str(answer["error"]))
        return answer.get("result") or {}

    def shoot(self, url: str, out: Path) -> bool:
        if self.broken:
            return screenshot(url, out) if browser() else False
        try:
            if self.process is None:
                self._start()
            out.unlink(missing_ok=True)
            deadline = time.monotonic() + TIMEOUT
            self.inbox.clear()
            self.call("Page.navigate", {"url": url}, self.session)
            self._receive(lambda m: m.get("method") == "Page.loadEventFired"
                          and m.get("sessionId") == self.session, deadline)
            self.call("Runtime.evaluate", {"expression": "document.fonts.ready.then(() => 1)",
                                           "awaitPromise": True}, self.session)
            data = self.call("Page.captureScreenshot", {"format": "png"}, self.session)["data"]
            out.write_bytes(base64.b64decode(data))
            return True
        except (CameraError, OSError, ValueError, KeyError):
            self.close()
            self.broken = True
            return screenshot(url, out)

    def close(self) -> None:
        if self.process is not None:
            with contextlib.suppress(CameraError, OSError):
                self.call("Browser.close", timeout=5)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            for fd in (self.writer, self.reader):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.profile.cleanup()
            self.process = None



def _padded(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    canvas = Image.new("RGB", size, "white")
    canvas.paste(image, (0, 0))
    return canvas


def compare(before: Path, after: Path, diff_out: Path | None = None) -> float:
    """The share of pixels that differ (0.0 … 1.0); the diff image written to ``diff_out``."""
    with Image.open(before) as a, Image.open(after) as b:
        first, second = a.convert("RGB"), b.convert("RGB")
    size = (max(first.width, second.width), max(first.height, second.height))
    first, second = _padded(first, size), _padded(second, size)
    delta = ImageChops.difference(first, second)
    red, green, blue = delta.split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    mask = strongest.point(lambda v: 255 if v > TOLERANCE else 0)
    changed = mask.histogram()[255]
    if diff_out is not None and changed:
        faded = Image.blend(second.convert("L").convert("RGB"),
                            Image.new("RGB", size, "white"), 0.6)
        faded.paste(Image.new("RGB", size, (230, 0, 0)), (0, 0), mask)
        thumbnail(faded).save(diff_out, "PNG")
    return changed / (size[0] * size[1])


def thumbnail(image: Image.Image) -> Image.Image:
    if image.width <= THUMB_WIDTH:
        return image
    height = round(image.height * THUMB_WIDTH / image.width)
    return image.resize((THUMB_WIDTH, height), Image.Resampling.LANCZOS)


def png_b64(path: Path, scale: bool = True) -> str | None:
    """The picture at ``path`` as base64 PNG, at most 800 px wide."""
    try:
        with Image.open(path) as image:
            small = thumbnail(image.convert("RGB")) if scale else image.convert("RGB")
            buffer = io.BytesIO()
            small.save(buffer, "PNG", optimize=True)
    except OSError:
        return None
    return base64.b64encode(buffer.getvalue()).decode()
