"""Uptime charts as SVG drawn by the server: pure Python, no JavaScript, every text escaped.

Two charts, each one ``<svg>`` element (well-formed XML, usable inline in HTML or served as a
file) with ``role="img"`` and a ``<title>``/``<desc>`` pair that names it for screen readers;
every bar or run carries its own ``<title>`` (the tooltip, and what a screen reader reads):

- ``daily_bars``: one bar per day of a month, its height the day's uptime on an axis that
  zooms in (from 99 %, 90 % or 0 % to 100 %) so that minutes of downtime stay visible, a
  dashed line at the commitment, and the colour saying how the day went.
- ``minute_strip``: the last hours minute by minute, consecutive minutes in the same state
  drawn as one run: green up, red down, grey no data.

The caller passes every text already translated; this module only draws.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from html import escape

SVG_NS = "http://www.w3.org/2000/svg"
GREEN = "#1e7b34"  # up all day, or up that minute
AMBER = "#c77700"  # some downtime, still within the commitment
RED = "#b3261e"  # below the commitment, or down that minute
GREY = "#c4c9d2"  # no data
INK = "#1d2433"
MUTED = "#5b6478"
LINE = "#dfe3ea"
COLOURS = {"up": GREEN, "short": AMBER, "missed": RED, "down": RED, "none": GREY}


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _id(value: str) -> str:
    """An XML id from any string: letters, digits, '-' and '_' only, never a leading digit."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", value)
    return cleaned if cleaned[:1].isalpha() else f"c-{cleaned}"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(*, width: float, height: float, chart_id: str, title: str, desc: str,
          css_class: str) -> list[str]:
    ident = _id(chart_id)
    return [
        f'<svg xmlns="{SVG_NS}" class="chart {css_class}" id="{ident}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="system-ui, sans-serif">',
        f'<title id="{ident}-title">{_text(title)}</title>',
        f'<desc id="{ident}-desc">{_text(desc)}</desc>',
    ]


# ---------------------------------------------------------------- daily bars

@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: the day of the month
    percent: Decimal | float | None  # None: no data
    title: str  # the bar's own title: date, uptime, downtime


def bar_state(percent: Decimal | float | None, commitment: Decimal | float) -> str:
    """"none" (no data), "up" (100 %), "short" (below 100 % but within the commitment) or
    "missed" (below the commitment)."""
    if percent is None:
        return "none"
    if Decimal(str(percent)) >= 100:
        return "up"
    if Decimal(str(percent)) >= Decimal(str(commitment)):
        return "short"
    return "missed"


def axis_floor(values: Sequence[Decimal | float | None]) -> Decimal:
    """The bottom of the uptime axis: 99 % when every day is above it, else 90 % or 0 %."""
    known = [Decimal(str(v)) for v in values if v is not None]
    lowest = min(known, default=Decimal(100))
    for floor in (Decimal(99), Decimal(90)):
        if lowest >= floor:
            return floor
    return Decimal(0)


def daily_bars(*, bars: Sequence[Bar], commitment: Decimal | float, title: str, desc: str,
               chart_id: str, percent_label: Callable[[Decimal], str] | None = None,
               commitment_title: str = "") -> str:
    """Bars of uptime per day; see the module's docstring."""
    label = percent_label or (lambda value: f"{value} %")
    left, top, slot, bar_w, plot_h, bottom = 64.0, 10.0, 24.0, 18.0, 120.0, 26.0
    width = left + slot * max(1, len(bars)) + 8
    height = top + plot_h + bottom
    floor = axis_floor([b.percent for b in bars])
    span = Decimal(100) - floor

    def y_of(value: Decimal) -> float:
        share = (min(Decimal(100), max(floor, value)) - floor) / span
        return top + plot_h - float(share) * plot_h

    out = _open(width=width, height=height, chart_id=chart_id, title=title, desc=desc,
                css_class="chart-bars")
    # Axis: 100 % at the top, the floor at the bottom, the commitment dashed between.
    out.append(f'<g class="axis" fill="{MUTED}" font-size="11" text-anchor="end">')
    labels = [(Decimal(100), y_of(Decimal(100))), (floor, y_of(floor))]
    out.append(f'<line x1="{_num(left - 4)}" y1="{_num(top)}" x2="{_num(left - 4)}" '
               f'y2="{_num(top + plot_h)}" stroke="{LINE}"/>')
    for value, y in labels:
        out.append(f'<text x="{_num(left - 8)}" y="{_num(y + 4)}">{_text(label(value))}</text>')
    out.append("</g>")
    out.append('<g class="bars" shape-rendering="crispEdges">')
    for index, bar in enumerate(bars):
        x = left + index * slot + (slot - bar_w) / 2
        state = bar_state(bar.percent, commitment)
        if state == "none":
            y, h = top, plot_h
        else:
            y = y_of(Decimal(str(bar.percent)))
            h = max(2.0, top + plot_h - y)
            y = top + plot_h - h
        faint = ' fill-opacity="0.5"' if state == "none" else ""
        out.append(f'<rect class="bar bar-{state}" x="{_num(x)}" y="{_num(y)}" '
                   f'width="{_num(bar_w)}" height="{_num(h)}" fill="{COLOURS[state]}"{faint}>'
                   f'<title>{_text(bar.title)}</title></rect>')
    out.append("</g>")
    out.append(f'<g class="days" fill="{MUTED}" font-size="10" text-anchor="middle">')
    for index, bar in enumerate(bars):
        x = left + index * slot + slot / 2
        out.append(f'<text x="{_num(x)}" y="{_num(top + plot_h + 16)}">{_text(bar.label)}</text>')
    out.append("</g>")
    commit = Decimal(str(commitment))
    if floor <= commit < 100:
        y = y_of(commit)
        out.append(f'<g class="commitment"><line x1="{_num(left - 4)}" y1="{_num(y)}" '
                   f'x2="{_num(width - 8)}" y2="{_num(y)}" stroke="{INK}" stroke-width="1" '
                   f'stroke-dasharray="4 3"><title>{_text(commitment_title or label(commit))}'
                   f'</title></line>')
        if all(abs(y - other) > 14 for _value, other in labels):
            out.append(f'<text x="{_num(left - 8)}" y="{_num(y + 4)}" fill="{INK}" '
                       f'font-size="11" text-anchor="end">{_text(label(commit))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- minute strip

def minute_runs(hours: Sequence[tuple[datetime, Sequence[str]]]) -> list[tuple[int, int, str]]:
    """(first minute, number of minutes, state) for each run of equal minutes."""
    runs: list[tuple[int, int, str]] = []
    index = 0
    for _start, minutes in hours:
        for state in minutes:
            if runs and runs[-1][2] == state and runs[-1][0] + runs[-1][1] == index:
                first, length, _ = runs[-1]
                runs[-1] = (first, length + 1, state)
            else:
                runs.append((index, 1, state))
            index += 1
    return runs


def minute_strip(*, hours: Sequence[tuple[datetime, Sequence[str]]], tz: tzinfo, title: str,
                 desc: str, chart_id: str, state_names: Mapping[str, str]) -> str:
    """The hours given (UTC start, 60 minute states each), one unit of width per minute."""
    total = 60 * max(1, len(hours))
    bar_h, label_gap = 40.0, 24.0
    out = _open(width=total, height=bar_h + label_gap + 6, chart_id=chart_id, title=title,
                desc=desc, css_class="chart-strip")
    first = hours[0][0] if hours else None
    out.append('<g class="minutes" shape-rendering="crispEdges">')
    for start_minute, length, state in minute_runs(hours):
        text = state_names.get(state, state)
        if first is not None:
            begin = (first + timedelta(minutes=start_minute)).astimezone(tz)
            end = (first + timedelta(minutes=start_minute + length)).astimezone(tz)
            text = f"{begin:%H:%M}–{end:%H:%M}: {text}"
        out.append(f'<rect class="minute minute-{_text(state)}" x="{start_minute}" y="0" '
                   f'width="{length}" height="{_num(bar_h)}" '
                   f'fill="{COLOURS.get(state, GREY)}"><title>{_text(text)}</title></rect>')
    out.append("</g>")
    out.append(f'<g class="hours" fill="{MUTED}" font-size="18">')
    for index, (start, _minutes) in enumerate(hours):
        if index % 6:
            continue
        anchor = "start" if index == 0 else "middle"
        out.append(f'<text x="{index * 60}" y="{_num(bar_h + label_gap - 4)}" '
                   f'text-anchor="{anchor}">{start.astimezone(tz):%H:%M}</text>')
    if hours:
        end = (hours[-1][0] + timedelta(hours=1)).astimezone(tz)
        out.append(f'<text x="{total}" y="{_num(bar_h + label_gap - 4)}" '
                   f'text-anchor="end">{end:%H:%M}</text>')
    out.append("</g></svg>")
    return "".join(out)
