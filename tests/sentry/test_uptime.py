"""Uptime against the policy's 99.7 % commitment, per calendar month in Madrid, from hand-made
rollups and incidents; and the SVG charts drawn from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from xuala.customers.models import HostingServer, Site
from xuala.sentry import charts
from xuala.sentry.models import Incident, Monitor, MonitorKind, UptimeDay, UptimeHour
from xuala.sentry.selectors import (
    Month,
    customer_monitor,
    customer_monitors,
    daily_downtime,
    daily_uptimes,
    local_days,
    minute_strips,
    monitor_uptime,
    month_bounds,
    month_current,
    month_parse,
    uptimes,
)

MADRID = ZoneInfo("Europe/Madrid")
SVG = "{http://www.w3.org/2000/svg}"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def madrid(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID)


def month(year: int, number: int) -> Month:
    return Month(year, number, MADRID)


def figures(monitor, year, number, *, now=None):
    m = month(year, number)
    return monitor_uptime(monitor=monitor, start=m.start, end=m.end,
                          now=now or m.end + timedelta(days=3))


def hour(monitor, at: datetime, *, down=0, maintenance=0, checks=60, bits=0) -> UptimeHour:
    return UptimeHour.objects.create(monitor=monitor, hour=at.astimezone(UTC), checks=checks,
                                     down_seconds=down, maintenance_seconds=maintenance,
                                     down_minutes=bits)


@pytest.fixture
def customer(db):
    return factories.customer(name="Tienda Sol SL", email="marta@tiendasol.es",
                              plan="cobertura-mensual")


@pytest.fixture
def site_monitor(customer):
    site = customer.sites.get()
    return Monitor.objects.create(kind=MonitorKind.SITE, site=site, customer=customer,
                                  name=site.url, url=site.url, state="up")


@pytest.fixture
def server_monitor(customer):
    server = customer.sites.get().server
    return Monitor.objects.create(kind=MonitorKind.SERVER, server=server, name=server.name,
                                  url=f"https://{server.hostname}/", state="up")


# ---------------------------------------------------------------- months in Madrid

def test_it_bounds_months_at_midnight_in_madrid_as_utc_instants():
    assert month_bounds(2026, 6, MADRID) == (utc(2026, 5, 31, 22), utc(2026, 6, 30, 22))
    assert month_bounds(2026, 12, MADRID) == (utc(2026, 11, 30, 23), utc(2026, 12, 31, 23))


def test_it_counts_745_hours_in_october_and_743_in_march():
    """Daylight saving ends on 25 October 2026 and starts on 29 March 2026 in Madrid."""
    assert month(2026, 10).hours == 745
    assert month(2026, 3).hours == 743
    assert month(2026, 6).hours == 720
    days = local_days(month(2026, 10).start, month(2026, 10).end, MADRID)
    assert len(days) == 31
    lengths = {d: (end - start) for d, start, end in days}
    assert lengths[date(2026, 10, 25)] == timedelta(hours=25)
    assert lengths[date(2026, 10, 24)] == timedelta(hours=24)


def test_it_parses_a_month_and_refuses_nonsense_and_the_future():
    now = madrid(2026, 11, 5, 12)
    assert month_parse("2026-10", now=now) == month(2026, 10)
    assert month_parse("2026-11", now=now) == month(2026, 11)
    for bad in ("2026-12", "2026-13", "2026-0", "26-10", "octubre", "2026-10-01", "", None):
        assert month_parse(bad, now=now) is None
    # Early on 1 November in Madrid it is still 31 October in UTC: the month is Madrid's.
    assert month_current(now=utc(2026, 10, 31, 23, 30)) == month(2026, 11)


# ---------------------------------------------------------------- the commitment

def test_it_allows_133_92_minutes_in_a_31_day_month(site_monitor):
    hour(site_monitor, utc(2026, 5, 10, 8), down=600)
    up = figures(site_monitor, 2026, 5)
    assert up.period_seconds == 31 * 86400
    assert up.allowed_minutes == Decimal("133.92")
    assert up.down_seconds == 600 and up.down_minutes == Decimal("10.00")
    assert up.allowance_left_minutes == Decimal("123.92")
    assert up.percent == Decimal("99.977")  # 99.97759…, truncated
    assert up.meets_commitment and up.is_complete


def test_it_allows_129_6_minutes_in_a_30_day_month(site_monitor):
    hour(site_monitor, utc(2026, 6, 3, 8), down=1200)
    hour(site_monitor, utc(2026, 6, 20, 14), down=600)
    up = figures(site_monitor, 2026, 6)
    assert up.period_seconds == 30 * 86400
    assert up.allowed_seconds == Decimal("7776")
    assert up.allowed_minutes == Decimal("129.60")
    assert up.down_seconds == 1800
    assert up.allowance_left_seconds == Decimal("5976")


def test_it_counts_the_whole_of_a_daylight_saving_month(site_monitor):
    """October 2026 lasts 745 hours in Madrid, March 743: the allowance follows."""
    october = figures(site_monitor, 2026, 10)
    assert october.period_seconds == 745 * 3600
    assert october.allowed_seconds == Decimal("8046")  # 0.3 % of 2,682,000 s
    march = figures(site_monitor, 2026, 3)
    assert march.period_seconds == 743 * 3600
    assert march.allowed_seconds == Decimal("8024.4")


def test_it_puts_hours_in_the_month_they_belong_to_in_madrid(site_monitor):
    """1 October 00:00 in Madrid is 30 September 22:00 UTC; 1 November 00:00 is 23:00 UTC."""
    hour(site_monitor, utc(2026, 9, 30, 21), down=1)  # 23:00 on 30 September, Madrid
    hour(site_monitor, utc(2026, 9, 30, 22), down=10)  # 00:00 on 1 October
    hour(site_monitor, utc(2026, 10, 31, 22), down=100)  # 23:00 on 31 October
    hour(site_monitor, utc(2026, 10, 31, 23), down=1000)  # 00:00 on 1 November
    assert figures(site_monitor, 2026, 10).down_seconds == 110
    assert figures(site_monitor, 2026, 9).down_seconds == 1
    assert figures(site_monitor, 2026, 11).down_seconds == 1000


def test_it_puts_both_1_am_hours_of_the_longest_day_on_that_day(site_monitor):
    """On 25 October 2026 the clocks go back: 02:00-03:00 happens twice, both on the 25th."""
    hour(site_monitor, utc(2026, 10, 25, 0), down=60)  # 02:00 CEST
    hour(site_monitor, utc(2026, 10, 25, 1), down=120)  # 02:00 CET
    m = month(2026, 10)
    series = dict(daily_downtime(monitor=site_monitor, start=m.start, end=m.end,
                                 now=m.end + timedelta(days=1)))
    assert series["2026-10-25"] == 180
    assert series["2026-10-24"] == 0 and len(series) == 31


def test_an_open_incident_counts_until_now_and_only_inside_the_month(site_monitor):
    """Down since 23:00 on 30 September (Madrid) and still down at 08:00 on 1 October."""
    Incident.objects.create(monitor=site_monitor, started_at=madrid(2026, 9, 30, 23),
                            confirmed_at=madrid(2026, 9, 30, 23, 2), error_class="refused",
                            report={})
    now = madrid(2026, 10, 1, 8)
    october = figures(site_monitor, 2026, 10, now=now)
    assert october.down_seconds == 8 * 3600
    assert october.elapsed_seconds == 8 * 3600 and not october.is_complete
    assert october.percent == Decimal("0.000")
    # The allowance is the whole month's, not the part gone by; 8 hours are far beyond it.
    assert october.allowed_seconds == Decimal("8046") and not october.meets_commitment
    assert figures(site_monitor, 2026, 9, now=now).down_seconds == 3600


def test_an_open_incident_adds_to_the_rollups_of_earlier_outages(site_monitor):
    hour(site_monitor, madrid(2026, 10, 1, 3), down=30)  # an earlier outage, resolved
    Incident.objects.create(monitor=site_monitor, started_at=madrid(2026, 10, 1, 6),
                            confirmed_at=madrid(2026, 10, 1, 6, 2), error_class="timeout",
                            report={})
    up = figures(site_monitor, 2026, 10, now=madrid(2026, 10, 1, 6, 10))
    assert up.down_seconds == 600 + 30
    m = month(2026, 10)
    days = daily_uptimes(monitors=[site_monitor], start=m.start, end=m.end,
                         now=madrid(2026, 10, 2, 6))[site_monitor.pk]
    assert days[0].down_seconds == 18 * 3600 + 30  # 06:00 to midnight, and the 30 s
    assert days[1].down_seconds == 6 * 3600  # midnight to now
    assert days[2].has_data is False  # tomorrow


def test_an_open_incident_in_maintenance_is_left_out_of_the_period(site_monitor):
    Incident.objects.create(monitor=site_monitor, started_at=utc(2026, 6, 10, 10),
                            confirmed_at=utc(2026, 6, 10, 10, 2), error_class="http_status",
                            report={}, in_maintenance=True)
    up = figures(site_monitor, 2026, 6, now=utc(2026, 6, 10, 11))
    assert up.down_seconds == 0 and up.maintenance_seconds == 3600
    assert up.counted_seconds == 30 * 86400 - 3600


def test_maintenance_is_out_of_the_period_and_shrinks_the_allowance(site_monitor,
                                                                      server_monitor):
    hour(site_monitor, utc(2026, 6, 9, 3), maintenance=3600)
    hour(site_monitor, utc(2026, 6, 12, 3), down=7765)
    up = figures(site_monitor, 2026, 6)
    assert up.counted_seconds == 30 * 86400 - 3600
    assert up.allowed_seconds == Decimal("7765.2")
    assert up.meets_commitment
    hour(server_monitor, utc(2026, 6, 9, 3), maintenance=3600)
    hour(server_monitor, utc(2026, 6, 12, 3), down=7766)
    assert not figures(server_monitor, 2026, 6).meets_commitment


def test_it_meets_the_commitment_exactly_at_the_allowance(site_monitor):
    hour(site_monitor, utc(2026, 6, 12, 3), down=7776)
    up = figures(site_monitor, 2026, 6)
    assert up.meets_commitment
    assert up.percent == Decimal("99.700")
    assert up.allowance_left_seconds == 0 and up.overrun_minutes == 0


def test_one_second_over_the_allowance_misses_it_and_never_reads_99_700(site_monitor):
    hour(site_monitor, utc(2026, 6, 12, 3), down=7777)
    up = figures(site_monitor, 2026, 6)
    assert not up.meets_commitment
    assert up.percent == Decimal("99.699")  # 99.69996…: truncated, not rounded up
    assert up.allowance_left_seconds == -1 and up.overrun_minutes == Decimal("0.02")


def test_it_sums_days_and_hours_across_the_compaction_boundary(site_monitor):
    """Older days come from day rows, recent ones from hour rows; a day being compacted has
    both (compaction deletes the hours it folds), and both count."""
    UptimeDay.objects.create(monitor=site_monitor, day=date(2026, 9, 30), down_seconds=5000)
    UptimeDay.objects.create(monitor=site_monitor, day=date(2026, 10, 1), down_seconds=100)
    UptimeDay.objects.create(monitor=site_monitor, day=date(2026, 10, 11), down_seconds=200,
                             maintenance_seconds=600)
    hour(site_monitor, madrid(2026, 10, 11, 15), down=50)  # same day, not yet compacted
    hour(site_monitor, madrid(2026, 10, 20, 9), down=25)
    UptimeDay.objects.create(monitor=site_monitor, day=date(2026, 11, 1), down_seconds=7000)
    up = figures(site_monitor, 2026, 10)
    assert up.down_seconds == 375
    assert up.maintenance_seconds == 600
    m = month(2026, 10)
    days = daily_uptimes(monitors=[site_monitor], start=m.start, end=m.end,
                         now=m.end + timedelta(days=1))[site_monitor.pk]
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 10, 11)].down_seconds == 250
    assert by_day[date(2026, 10, 11)].maintenance_seconds == 600
    assert by_day[date(2026, 10, 1)].down_seconds == 100
    assert by_day[date(2026, 10, 2)].has_data is False
    assert by_day[date(2026, 10, 2)].percent is None
    assert by_day[date(2026, 10, 20)].percent == Decimal("99.971")


def test_a_month_read_only_from_day_rows(site_monitor):
    UptimeDay.objects.create(monitor=site_monitor, day=date(2026, 2, 1), down_seconds=3000)
    UptimeDay.objects.create(monitor=site_monitor, day=date(2026, 2, 28), down_seconds=2000)
    up = figures(site_monitor, 2026, 2)
    assert up.period_seconds == 28 * 86400 and up.down_seconds == 5000 and up.has_data


def test_a_month_without_any_measurement_says_so(site_monitor):
    up = figures(site_monitor, 2026, 4)
    assert not up.has_data and up.down_seconds == 0


def test_the_month_under_way_is_measured_until_now(site_monitor):
    hour(site_monitor, utc(2026, 6, 2, 10), down=864)
    now = madrid(2026, 6, 2, 0) + timedelta(days=1)  # two whole days gone
    up = figures(site_monitor, 2026, 6, now=now)
    assert up.elapsed_seconds == 2 * 86400
    assert up.percent == Decimal("99.500")
    assert up.allowed_seconds == Decimal("7776") and up.meets_commitment


def test_a_retired_monitor_is_measured_until_it_was_retired(site_monitor):
    site_monitor.is_active = False
    site_monitor.retired_at = madrid(2026, 6, 16)
    site_monitor.save()
    Incident.objects.create(monitor=site_monitor, started_at=madrid(2026, 6, 15, 23),
                            confirmed_at=madrid(2026, 6, 15, 23, 2), error_class="dns",
                            report={})
    up = figures(site_monitor, 2026, 6)
    assert up.elapsed_seconds == 15 * 86400
    assert up.down_seconds == 3600


def test_many_monitors_take_three_queries(site_monitor, server_monitor,
                                          django_assert_num_queries):
    m = month(2026, 6)
    hour(site_monitor, utc(2026, 6, 3, 8), down=60)
    hour(server_monitor, utc(2026, 6, 3, 8), down=120)
    with django_assert_num_queries(3):
        found = uptimes(monitors=[site_monitor, server_monitor], start=m.start, end=m.end,
                        now=m.end)
    assert found[site_monitor.pk].down_seconds == 60
    assert found[server_monitor.pk].down_seconds == 120


# ---------------------------------------------------------------- the minute strip

def test_the_strip_shows_down_minutes_up_minutes_and_no_data(site_monitor):
    now = utc(2026, 6, 10, 12, 30)
    hour(site_monitor, utc(2026, 6, 10, 11), down=180, bits=0b111 << 5)  # 11:05-11:08 down
    hour(site_monitor, utc(2026, 6, 10, 12), checks=30)
    strip = minute_strips(monitors=[site_monitor], now=now)[site_monitor.pk]
    assert len(strip) == 24 and strip[-1].start == utc(2026, 6, 10, 12)
    eleven = strip[-2].minutes
    assert eleven[4:9] == ("up", "down", "down", "down", "up")
    assert strip[-1].minutes[29] == "up" and strip[-1].minutes[30] == "none"  # the future
    assert set(strip[0].minutes) == {"none"}  # an hour without checks


def test_the_strip_shows_an_open_incident_as_down(site_monitor):
    now = utc(2026, 6, 10, 12, 30)
    hour(site_monitor, utc(2026, 6, 10, 12), checks=30)
    Incident.objects.create(monitor=site_monitor, started_at=utc(2026, 6, 10, 12, 20),
                            confirmed_at=utc(2026, 6, 10, 12, 22), error_class="timeout",
                            report={})
    minutes = minute_strips(monitors=[site_monitor], now=now)[site_monitor.pk][-1].minutes
    assert minutes[19] == "up" and minutes[20:30] == ("down",) * 10 and minutes[30] == "none"


# ---------------------------------------------------------------- whose monitors

def test_a_customer_has_its_site_monitors_and_the_servers_hosting_its_sites(
        customer, site_monitor, server_monitor):
    other = factories.customer(name="Otra SL", email="otra@otra.es", plan="cobertura-anual")
    other_site = other.sites.get()
    far = HostingServer.objects.create(name="xc-web-09", hostname="xc-web-09.xuala")
    other_site.server = far
    other_site.save()
    Monitor.objects.create(kind=MonitorKind.SITE, site=other_site, customer=other,
                           name=other_site.url, url=other_site.url)
    far_monitor = Monitor.objects.create(kind=MonitorKind.SERVER, server=far, name=far.name,
                                         url="https://xc-web-09.xuala/")
    found = customer_monitors(customer=customer, month=month(2026, 6))
    assert [m.pk for m in found] == [site_monitor.pk, server_monitor.pk]
    assert customer_monitor(customer=customer, pk=server_monitor.pk) == server_monitor
    from django.http import Http404

    with pytest.raises(Http404):
        customer_monitor(customer=customer, pk=far_monitor.pk)
    with pytest.raises(Http404):
        customer_monitor(customer=customer, pk=other_site.monitor.pk)


def test_a_retired_site_stays_in_the_reports_of_the_months_it_was_monitored(customer,
                                                                             site_monitor):
    Site.objects.filter(pk=site_monitor.site_id)  # the site itself stays
    Monitor.objects.filter(pk=site_monitor.pk).update(is_active=False,
                                                      retired_at=madrid(2026, 6, 16))
    assert site_monitor.pk in [m.pk for m in customer_monitors(customer=customer,
                                                               month=month(2026, 6))]
    assert site_monitor.pk not in [m.pk for m in customer_monitors(customer=customer,
                                                                   month=month(2026, 7))]


# ---------------------------------------------------------------- charts (SVG)

def parse(svg: str) -> ET.Element:
    """Our own chart, parsed as XML (xml.etree): it must be well-formed."""
    return ET.fromstring(svg)  # noqa: S314 - the text is ours, made by the test


def _bars(svg: str) -> list[ET.Element]:
    return [r for r in parse(svg).iter(f"{SVG}rect")
            if r.get("class", "").startswith("bar ")]


def test_the_daily_chart_is_valid_svg_with_one_bar_per_day_and_a_name():
    bars = [charts.Bar(label=str(n), percent=Decimal(100), title=f"{n} Jun") for n in
            range(1, 31)]
    svg = charts.daily_bars(bars=bars, commitment=Decimal("99.7"), title="Daily uptime",
                            desc="One bar per day", chart_id="days-7")
    root = parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Daily uptime" and desc.text == "One bar per day"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert len(_bars(svg)) == 30
    assert [b.find(f"{SVG}title").text for b in _bars(svg)][:2] == ["1 Jun", "2 Jun"]
    assert "<script" not in svg.lower()


def test_the_daily_chart_colours_each_day_by_how_it_went():
    bars = [charts.Bar("1", Decimal(100), "a"), charts.Bar("2", Decimal("99.800"), "b"),
            charts.Bar("3", Decimal("99.700"), "c"), charts.Bar("4", Decimal("99.699"), "d"),
            charts.Bar("5", None, "e")]
    svg = charts.daily_bars(bars=bars, commitment=Decimal("99.7"), title="t", desc="d",
                            chart_id="x")
    fills = [b.get("fill") for b in _bars(svg)]
    assert fills == [charts.GREEN, charts.AMBER, charts.AMBER, charts.RED, charts.GREY]
    heights = [float(b.get("height")) for b in _bars(svg)]
    assert heights[0] > heights[1] > heights[3]  # taller is better, on a zoomed axis
    assert charts.axis_floor([Decimal("99.5"), None]) == 99
    assert charts.axis_floor([Decimal("95")]) == 90
    assert charts.axis_floor([Decimal("12.5")]) == 0


def test_the_charts_escape_every_text():
    nasty = '<script>alert("x")</script> & \'quoted\''
    svg = charts.daily_bars(bars=[charts.Bar(nasty, Decimal(100), nasty)], commitment=99.7,
                            title=nasty, desc=nasty, chart_id='"><script>',
                            percent_label=lambda v: f"{v} % {nasty}")
    root = parse(svg)  # well-formed despite the text
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == nasty
    assert _bars(svg)[0].find(f"{SVG}title").text == nasty
    assert all(c.isalnum() or c in "-_" for c in root.get("id"))
    strip = charts.minute_strip(hours=[(utc(2026, 6, 10, 10), ["up"] * 60)], tz=MADRID,
                                title=nasty, desc=nasty, chart_id="s",
                                state_names={"up": nasty})
    assert "<script>" not in strip
    assert parse(strip).find(f"{SVG}desc").text == nasty


def test_the_strip_draws_runs_of_minutes_in_their_colours():
    hours = [(utc(2026, 6, 10, 10), ["none"] * 10 + ["up"] * 50),
             (utc(2026, 6, 10, 11), ["up"] * 5 + ["down"] * 3 + ["up"] * 52)]
    svg = charts.minute_strip(hours=hours, tz=MADRID, title="Last hours", desc="d",
                              chart_id="strip-1", state_names={"up": "up", "down": "down",
                                                               "none": "no data"})
    root = parse(svg)
    rects = list(root.iter(f"{SVG}rect"))
    assert [(r.get("x"), r.get("width"), r.get("fill")) for r in rects] == [
        ("0", "10", charts.GREY), ("10", "55", charts.GREEN), ("65", "3", charts.RED),
        ("68", "52", charts.GREEN)]
    assert sum(int(r.get("width")) for r in rects) == 120
    # Tooltips in Madrid's time: 11:05 UTC is 13:05 in summer.
    assert rects[2].find(f"{SVG}title").text == "13:05–13:08: down"


@pytest.mark.django_db
def test_compaction_files_hours_under_the_policy_zone_day():
    """An hour at 30 Sep 22:00 UTC is 1 Oct 00:00 in Madrid: it belongs to October's days."""
    from datetime import UTC, datetime

    from tests import factories
    from xuala.sentry.models import Monitor, UptimeDay, UptimeHour
    from xuala.sentry.services import rollups_compact

    customer = factories.customer(name="Comp SL", email="c@comp.es", plan="cobertura-anual")
    monitor = Monitor.objects.create(kind="site", site=customer.sites.get(), name="c",
                                     url="https://c.comp.es/")
    UptimeHour.objects.create(monitor=monitor, hour=datetime(2026, 9, 30, 22, tzinfo=UTC),
                              checks=60, down_seconds=120)
    rollups_compact(now=datetime(2026, 11, 25, tzinfo=UTC))
    day = UptimeDay.objects.get(monitor=monitor)
    assert str(day.day) == "2026-10-01" and day.down_seconds == 120
