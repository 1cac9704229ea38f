"""Screenshots in headless Chromium and the visual comparison of two of them.

``screenshot`` runs the ``chromium`` binary (``XUALA_CHROMIUM``, else the first of chromium,
chromium-browser, google-chrome on the PATH) with ``--headless --screenshot`` at 1280×1600,
a throw-away profile, reduced motion and a virtual-time budget so the page settles; no
screenshot (no browser, a page that never loads) is ``False``, never an exception.

``compare`` counts the pixels that differ by more than ``TOLERANCE`` in any channel (so
anti-aliasing and JPEG noise do not count) over the larger of the two sizes, and draws the
diff image: the after picture faded to grey with every differing pixel in red.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import tempfile
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
         "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
         "--disable-features=Translate,MediaRouter,OptimizationHints"]


def browser() -> str | None:
    configured = os.environ.get("XUALA_CHROMIUM")
    if configured:
        return configured if os.path.exists(configured) or shutil.which(configured) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(url: str, out: Path) -> bool:
    binary = browser()
    if binary is None:
        return False
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="xuala-chromium-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={out}", url]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False,
                           stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return out.is_file() and out.stat().st_size > 0


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
    if diff_out is not None:
        faded = Image.blend(second.convert("L").convert("RGB"),
                            Image.new("RGB", size, "white"), 0.6)
        faded.paste(Image.new("RGB", size, (230, 0, 0)), (0, 0), mask)
        thumbnail(faded).save(diff_out, "PNG", optimize=True)
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
