"""Small text helpers shared by the faces and the domain apps."""

from __future__ import annotations

import re

# CR, LF and every other character Python's str.splitlines() breaks a line at.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def one_line(value: str | None) -> str:
    """``value`` on one line: each run of line breaks becomes one space, ends trimmed.

    Subjects and names end up in mail headers, where a line break is an injected header
    (refused by the mail library, so the message could never be sent)."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def duration_text(seconds: int) -> str:
    """A short duration: "2 d 5 h", "3 h 20 min", "12 min" (whole minutes, rounded down)."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"
