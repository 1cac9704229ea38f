"""Online Sentry's pages: the client's monthly uptime report (and one monitor of it), and in the
console the live status board, an incident's full report, a customer's report and the servers'
month. Thin views: every read is a selector; the charts are SVG drawn by ``charts``."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from xuala.sentry import charts, selectors
from xuala.sentry.models import Incident, MonitorKind
from xuala.web.access import agent_required, client_view

BOARD_PAGE_SIZE = 100
BOARD_REFRESH_SECONDS = 10

ERROR_LABELS = {
    "dns": gettext_lazy("The name did not resolve (DNS)"),
    "refused": gettext_lazy("The connection was refused or reset"),
    "timeout": gettext_lazy("No answer in time"),
    "tls": gettext_lazy("The secure connection (TLS) failed"),
    "certificate": gettext_lazy("Certificate expired or about to expire"),
    "http_status": gettext_lazy("The server answered with an error"),
    "keyword": gettext_lazy("The expected content was missing"),
    "too_slow": gettext_lazy("Too slow"),
    "redirects": gettext_lazy("Redirect loop or too many redirects"),
}


def error_label(code: str | None) -> str:
    if not code:
        return ""
    return str(ERROR_LABELS.get(code, _("Unknown failure")))


# ---------------------------------------------------------------- shared pieces

def _percent(value) -> str:
    decimals = 3 if value % 1 else 0
    return _("%(value)s %%") % {"value": formats.number_format(value, decimal_pos=decimals)}


def _axis_percent(value) -> str:
    decimals = 1 if value % 1 else 0
    return _("%(value)s %%") % {"value": formats.number_format(value, decimal_pos=decimals)}


def _minutes(seconds: float) -> str:
    return formats.number_format(round(seconds / 60, 1), decimal_pos=1)


def _month_of(request, now: datetime) -> selectors.Month:
    """The month asked for in ``?month=YYYY-MM``; the current one when absent, with a clear
    message when it is malformed or in the future."""
    value = request.GET.get("month")
    month = selectors.month_parse(value, now=now)
    if value and month is None:
        messages.warning(request, _("There is no report for “%(month)s”; showing the current "
                                    "month.") % {"month": value[:20]})
    return month or selectors.month_current(now=now)


def _month_label(month: selectors.Month) -> str:
    return formats.date_format(month.first_day, "F Y")


def _month_choices(month: selectors.Month, now: datetime) -> list[tuple[str, str]]:
    months = selectors.months_recent(now=now)
    if month not in months:
        months.append(month)
    return [(m.key, _month_label(m)) for m in months]


def _daily_chart(mm: selectors.MonitorMonth, month: selectors.Month) -> str:
    bars = []
    for day in mm.days:
        when = formats.date_format(day.day, "j M")
        if day.percent is None:
            text = _("%(date)s: no data") % {"date": when}
        else:
            text = _("%(date)s: %(percent)s up, %(minutes)s min down") % {
                "date": when, "percent": _percent(day.percent),
                "minutes": _minutes(day.down_seconds)}
        bars.append(charts.Bar(label=str(day.day.day), percent=day.percent, title=text))
    uptime = mm.uptime
    name = mm.monitor.name
    commitment = _axis_percent(uptime.commitment)
    desc = _("One bar per day: green when up all day, amber when down for a while but within "
             "the %(commitment)s commitment, red below it, grey without data. The month: "
             "%(percent)s up, %(minutes)s minutes down.") % {
        "commitment": commitment,
        "percent": _percent(uptime.percent) if uptime.percent is not None else "—",
        "minutes": _minutes(uptime.down_seconds)}
    svg = charts.daily_bars(
        bars=bars, commitment=uptime.commitment, chart_id=f"days-{mm.monitor.pk}",
        title=_("Daily uptime of %(name)s, %(month)s") % {"name": name,
                                                          "month": _month_label(month)},
        desc=desc, percent_label=_axis_percent,
        commitment_title=_("Commitment: %(commitment)s") % {"commitment": commitment})
    return mark_safe(svg)  # noqa: S308 - charts escapes every text it draws


def _strip_chart(mm: selectors.MonitorMonth) -> str:
    tz = selectors.policy_tz()
    down = sum(hour.minutes.count(selectors.DOWN) for hour in mm.strip or [])
    svg = charts.minute_strip(
        hours=[(hour.start, hour.minutes) for hour in mm.strip or []], tz=tz,
        chart_id=f"strip-{mm.monitor.pk}",
        title=_("The last 24 hours of %(name)s, minute by minute") % {"name": mm.monitor.name},
        desc=_("Green: up; red: down; grey: no data. %(minutes)s minutes down in the last 24 "
               "hours.") % {"minutes": down},
        state_names={"up": pgettext("uptime strip", "up"),
                     "down": pgettext("uptime strip", "down"),
                     "none": pgettext("uptime strip", "no data")})
    return mark_safe(svg)  # noqa: S308 - charts escapes every text it draws


def _incident_rows(mm: selectors.MonitorMonth, now: datetime) -> list[dict]:
    rows = []
    for incident in mm.incidents:
        end = incident.resolved_at or now
        rows.append({"incident": incident, "what": error_label(incident.error_class),
                     "minutes": _minutes((end - incident.started_at).total_seconds()),
                     "ongoing": incident.resolved_at is None})
    return rows


def _sections(rows: list[selectors.MonitorMonth], month: selectors.Month,
              now: datetime) -> list[dict]:
    return [{"mm": mm, "days_chart": _daily_chart(mm, month),
             "strip_chart": _strip_chart(mm) if mm.strip is not None else "",
             "incidents": _incident_rows(mm, now)} for mm in rows]


def _report_context(request, *, report: selectors.Report, now: datetime, audience: str) -> dict:
    month = report.month
    return {
        "report": report, "month": month, "month_label": _month_label(month),
        "months": _month_choices(month, now), "now": now,
        "is_current": month == selectors.month_current(now=now),
        "sites": _sections(report.sites, month, now),
        "servers": _sections(report.servers, month, now),
        "commitment": _axis_percent(report.commitment),
        "policy_tz": selectors.policy_tz(), "audience": audience,
        "base_template": "portal/base.html" if audience == "client" else "console/base.html",
        "nav": "sentry",
    }


# ---------------------------------------------------------------- client area

def _report_page(request, customer, *, audience: str):
    now = timezone.now()
    month = _month_of(request, now)
    is_current = month == selectors.month_current(now=now)
    report = selectors.customer_report(customer=customer, month=month, now=now,
                                       strips=is_current)
    return render(request, "sentry/report.html",
                  _report_context(request, report=report, now=now, audience=audience))


@client_view
@require_GET
def portal_report(request, customer):
    """The customer's monthly uptime report (print-ready)."""
    return _report_page(request, customer, audience="client")


@client_view
@require_GET
def portal_monitor(request, customer, pk: int):
    """One of the customer's monitors in a month; 404 for anyone else's."""
    monitor = selectors.customer_monitor(customer=customer, pk=pk)
    now = timezone.now()
    month = _month_of(request, now)
    is_current = month == selectors.month_current(now=now)
    mm = selectors.monitor_months(monitors=[monitor], month=month, now=now,
                                  strips=is_current)[0]
    return render(request, "sentry/monitor.html", {
        "section": _sections([mm], month, now)[0], "month": month,
        "month_label": _month_label(month), "months": _month_choices(month, now),
        "customer": customer, "now": now, "is_current": is_current,
        "commitment": _axis_percent(mm.uptime.commitment), "policy_tz": selectors.policy_tz(),
        "audience": "client", "base_template": "portal/base.html"})


# ---------------------------------------------------------------- console

class BoardQuery(forms.Form):
    """The board's query string, checked as form fields are: a bad value is ignored."""

    q = forms.CharField(required=False)  # refuses NUL, as every CharField
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def value(self, name: str):
        return self.cleaned_data.get(name) if name not in self.errors else None


@never_cache
@agent_required
@require_GET
def board_view(request):
    """The live status board; an htmx poll of the same URL swaps the board alone."""
    query_form = BoardQuery(request.GET)
    query_form.is_valid()
    search = (query_form.value("q") or "").strip()[:100]
    page = query_form.value("page") or 1
    board = selectors.board_page(page=page, page_size=BOARD_PAGE_SIZE, search=search or None)
    query = {"q": search} if search else {}
    context = {
        "board": board, "search": search, "refresh": BOARD_REFRESH_SECONDS, "nav": "sentry",
        "policy_tz": selectors.policy_tz(), "month_label": _month_label(board.month),
        "rows": [{"row": row, "what": error_label((row.monitor.last_result or {})
                                                   .get("error_class"))}
                 for row in board.rows],
        "next_query": {**query, "page": page + 1} if board.has_next else None,
        "prev_query": {**query, "page": page - 1} if page > 1 else None,
    }
    if request.htmx and request.htmx.target == "sentry-board":
        return render(request, "sentry/_board.html", context)
    return render(request, "sentry/board.html", context)


def _check_view(data: dict | None) -> dict | None:
    """A stored check (failing or last good) ready for the page: its instant parsed, its
    phases in order, its error explained."""
    if not data:
        return None
    at = data.get("at") or data.get("started_at")
    try:
        when = datetime.fromisoformat(at) if at else None
    except (TypeError, ValueError):
        when = None
    timings = data.get("timings") or {}
    return {**data, "when": when, "what": error_label(data.get("error_class")),
            "phases": [(phase, timings.get(phase)) for phase in selectors.PHASES],
            "header_items": sorted((data.get("headers") or {}).items())}


@agent_required
@require_GET
def incident_view(request, pk: int):
    """An incident's full report: every failing check's phases and evidence, the last good
    check beside them, the ticket."""
    incident: Incident = selectors.incident_for_agent(pk=pk)
    report = incident.report or {}
    now = timezone.now()
    end = incident.resolved_at or now
    return render(request, "sentry/incident.html", {
        "incident": incident, "report": report, "nav": "sentry", "now": now,
        "what": error_label(incident.error_class),
        "minutes": _minutes((end - incident.started_at).total_seconds()),
        "failing": [_check_view(c) for c in report.get("failing_checks") or []],
        "last_good": _check_view(report.get("last_good")),
        "policy_tz": selectors.policy_tz(), "is_server": incident.monitor.kind ==
        MonitorKind.SERVER})


@agent_required
@require_GET
def customer_report_view(request, pk: int):
    """A customer's monthly uptime report, as the client sees it."""
    return _report_page(request, selectors.report_customer(pk=pk), audience="agent")


@agent_required
@require_GET
def servers_view(request):
    """Every hosting server's uptime in a month against the commitment (§6.2)."""
    now = timezone.now()
    month = _month_of(request, now)
    rows = selectors.servers_report(month=month, now=now)
    return render(request, "sentry/servers.html", {
        "rows": [{"mm": mm, "incidents": len(mm.incidents)} for mm in rows], "month": month,
        "month_label": _month_label(month), "months": _month_choices(month, now),
        "commitment": _axis_percent(selectors.commitment_percent()), "now": now,
        "nav": "sentry", "policy_tz": selectors.policy_tz()})
