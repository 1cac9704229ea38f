"""Reads of Online Sentry, by job, gathered here for the faces (``selectors.X``).

- ``uptime``: the uptime rules (the policy's commitment and its period, months, uptime over
  any span, from hour and day rollups and open incidents);
- ``series``: chart data (uptime per local day, the last hours minute by minute);
- ``reports``: the monthly reports (a customer's sites, the servers);
- ``board``: the console's board and an incident's page.

Each module's docstring says why its figures are right. New code may import from the module
of the job; the names here stay so that the faces read one place.
"""

from __future__ import annotations

from xuala.sentry.board import (
    BoardPage,
    BoardRow,
    board,
    board_page,
    incident_for_agent,
)
from xuala.sentry.reports import (
    MonitorMonth,
    Report,
    customer_monitor,
    customer_monitors,
    customer_report,
    incidents_between,
    monitor_months,
    report_customer,
    servers_report,
)
from xuala.sentry.series import (
    DayUptime,
    StripHour,
    daily_downtime,
    daily_uptimes,
    minute_strips,
)
from xuala.sentry.uptime import (
    DOWN,
    HUNDREDTH,
    MONTH_RE,
    NONE,
    PHASES,
    THOUSANDTH,
    UP,
    Month,
    Uptime,
    commitment_days,
    commitment_percent,
    commitment_window,
    local_days,
    monitor_uptime,
    month_bounds,
    month_current,
    month_parse,
    months_recent,
    policy_tz,
    uptimes,
)

__all__ = [
    "DOWN",
    "HUNDREDTH",
    "MONTH_RE",
    "NONE",
    "PHASES",
    "THOUSANDTH",
    "UP",
    "BoardPage",
    "BoardRow",
    "DayUptime",
    "MonitorMonth",
    "Month",
    "Report",
    "StripHour",
    "Uptime",
    "board",
    "board_page",
    "commitment_days",
    "commitment_percent",
    "commitment_window",
    "customer_monitor",
    "customer_monitors",
    "customer_report",
    "daily_downtime",
    "daily_uptimes",
    "incident_for_agent",
    "incidents_between",
    "local_days",
    "minute_strips",
    "monitor_months",
    "monitor_uptime",
    "month_bounds",
    "month_current",
    "month_parse",
    "months_recent",
    "policy_tz",
    "report_customer",
    "servers_report",
    "uptimes",
]
