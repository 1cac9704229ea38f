"""The published support policy, written from the active policy data.

Every figure in the article (hours, targets, the support address, the uptime
commitment, the plans and their services) is read from the policy file, so the
promise the company publishes and what the desk enforces cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from xuala.policy.loader import LoadedPolicy
from xuala.policy.schema import (
    PLACEHOLDER_RE,
    WEEKDAYS,
    Channel,
    Clock,
    Decision,
    Policy,
    Service,
)

SLUG = "politicas-de-asistencia-tecnica"


@dataclass
class Section:
    number: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def _day_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]


def _day_names_plural() -> list[str]:
    return [_("Mondays"), _("Tuesdays"), _("Wednesdays"), _("Thursdays"), _("Fridays"),
            _("Saturdays"), _("Sundays")]


def _clock_time(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


def describe_hours(policy: Policy) -> str:
    """"Monday to Friday, 9:00 to 20:00" — consecutive days with equal slots grouped."""
    names = _day_names()
    weekly = policy.hours.weekly()
    groups: list[tuple[int, int, list[tuple[int, int]]]] = []
    for day in range(7):
        slots = weekly[day]
        if not slots:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == slots:
            groups[-1] = (groups[-1][0], day, slots)
        else:
            groups.append((day, day, slots))
    parts = []
    for first, last, slots in groups:
        times = _(" and ").join(
            _("%(start)s to %(end)s") % {"start": _clock_time(a), "end": _clock_time(b)}
            for a, b in slots
        )
        if first == last:
            days = names[first]
        else:
            days = _("%(first)s to %(last)s") % {"first": names[first], "last": names[last]}
        parts.append(_("%(days)s from %(times)s") % {"days": days, "times": times})
    return "; ".join(parts)


def describe_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds >= 7 * 86400 and seconds % 86400 == 0:
        return ngettext("%(n)d day", "%(n)d days", seconds // 86400) % {"n": seconds // 86400}
    hours = value.total_seconds() / 3600
    if hours == int(hours):
        n = int(hours)
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    minutes = int(value.total_seconds() // 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def service_text(service: Service, text: str) -> str:
    """A service's text with its {interval}, {max_suspension} and {weekday} filled in from
    the service's own values (the schema checks that each one used is set)."""
    values = {}
    if service.interval is not None:
        values["interval"] = describe_duration(service.interval)
    if service.max_suspension is not None:
        values["max_suspension"] = describe_duration(service.max_suspension)
    if service.weekday is not None:
        values["weekday"] = _day_names()[WEEKDAYS.index(service.weekday)]
    return PLACEHOLDER_RE.sub(lambda m: values.get(m[1], m[0]), text)


def describe_channels(policy: Policy) -> str:
    """The channels the policy accepts (§3), named for clients, in the file's order."""
    names = {
        Channel.PORTAL: _("the ticket form of your Client Area"),
        Channel.EMAIL: _("the dedicated e-mail account %(address)s")
        % {"address": policy.channels.support_address},
        Channel.API: _("the ticket API of your Client Area, with your own access token"),
    }
    parts = [names[Channel(c)] for c in policy.channels.accepted]
    if len(parts) == 1:
        return parts[0]
    return _("%(first)s or else %(last)s") % {"first": ", ".join(parts[:-1]),
                                               "last": parts[-1]}


def describe_clock(clock: Clock) -> str:
    return {
        Clock.CALENDAR: _("counted around the clock, every day of the year"),
        Clock.WORKING_DAYS: _("counted on working days (weekends and public holidays do not "
                              "count)"),
        Clock.BUSINESS_HOURS: _("counted within opening hours only"),
    }[Clock(clock)]


def _percent(value: Decimal) -> str:
    return number_format(value, decimal_pos=1) + " %"


def build_article(loaded: LoadedPolicy) -> list[Section]:
    p = loaded.policy
    lang = get_language() or p.policy.default_language
    closed = [name for name, slots in zip(_day_names_plural(), p.hours.weekly().values(),
                                          strict=True) if not slots]
    sections: list[Section] = []

    s1 = Section("1", _("Opening hours"))
    s1.paragraphs.append(_("Our Customer Support service works %(hours)s (%(zone)s time).")
                         % {"hours": describe_hours(p), "zone": p.timezone})
    if closed:
        s1.paragraphs.append(
            _("On %(days)s requests and messages are not attended, except emergencies related "
              "to the web service, which are attended at any time.")
            % {"days": _(" and ").join(closed)}
        )
    if p.holidays.country:
        s1.paragraphs.append(_("Public holidays (%(calendar)s) are not working days.")
                             % {"calendar": p.holidays.country
                                + (f"-{p.holidays.subdivision}" if p.holidays.subdivision else "")})
    s1.paragraphs.append(_("A request received outside these hours is accepted and queued; "
                           "the acknowledgement tells you when it will be attended."))
    sections.append(s1)

    std, pri, emg = p.targets.standard, p.targets.priority, p.targets.emergency
    s2 = Section("2", _("Response time"))
    s2.paragraphs.append(
        _("Our default response time is %(due)s, %(clock)s. Our team does its best to answer "
          "within %(target)s, although this cannot be guaranteed, since it depends on the "
          "volume of requests and tickets at each moment.")
        % {"due": describe_duration(std.due), "target": describe_duration(std.target),
           "clock": describe_clock(std.clock)}
    )
    s2.paragraphs.append(
        _("Web-service emergencies are answered within %(due)s, %(clock)s.")
        % {"due": describe_duration(emg.due), "clock": describe_clock(emg.clock)}
    )
    sections.append(s2)

    s3 = Section("3", _("The right way to ask for support"))
    s3.paragraphs.append(
        _("It is essential that you use %(channels)s. If you send messages by other means, "
          "they will not be attended.") % {"channels": describe_channels(p)}
    )
    sections.append(s3)

    s4 = Section("4", _("Personal assistance"))
    s4.paragraphs.append(
        _("Our customer service telephone is not meant for technical support or specialised "
          "assistance. If you want dedicated personal help, please do not call us: send us an "
          "e-mail asking for it and we will arrange a virtual meeting of %(length)s on a day "
          "and at a time that suit both sides.")
        % {"length": describe_duration(p.meetings.length)}
    )
    sections.append(s4)

    s5 = Section("5", _("Additional costs"))
    s5.paragraphs.append(
        _("You may ask us for changes, improvements or features in your service that cost "
          "extra. If licensed components or service upgrades must be acquired, we will first "
          "send you a quote (prices plus %(tax)s %(rate)s %%) and start only once you accept "
          "it.")
        % {"tax": p.quotes.tax_name, "rate": number_format(p.quotes.tax_rate)}
    )
    sections.append(s5)

    s6 = Section("6", _("Scope of support"))
    s6.paragraphs.append(
        _("Our technical support is limited to clients who have contracted one of our "
          "services. Our service and cover are exclusively for our own server infrastructure, "
          "%(infra)s.") % {"infra": p.policy.infrastructure}
    )
    for rule in p.scope:
        if rule.decision == Decision.REFUSED and rule.clause == "6" and rule.answer:
            s6.items.append(rule.answer.get(lang))
    sections.append(s6)

    s61 = Section("6.1", pgettext("policy article heading", "Corporate mail"))
    s61.paragraphs.extend(rule.answer.get(lang) for rule in p.scope
                          if rule.clause == "6.1" and rule.answer)
    sections.append(s61)

    s62 = Section("6.2", _("Basic website cover"))
    allowed = p.uptime.allowed_downtime.total_seconds() / 60
    s62.paragraphs.append(
        _("The basic cover included in every %(infra)s hosting plan guarantees that our "
          "servers work: we offer %(uptime)s uptime and reserve %(reserve)s for failures "
          "(%(minutes)s minutes in %(days)d days).")
        % {"infra": p.policy.infrastructure, "uptime": _percent(p.uptime.commitment),
           "reserve": _percent(100 - p.uptime.commitment),
           "minutes": number_format(allowed, decimal_pos=1), "days": p.uptime.period_days}
    )
    s62.paragraphs.append(
        _("This basic cover does not include solving problems or faults of the websites "
          "themselves, whatever their nature, nor commercial transactions related to them. If "
          "your problem lies in your website's content, such as faults of the site itself or "
          "of your payment terminal, you need one of our Technical Coverage Policy plans.")
    )
    sections.append(s62)

    s63 = Section("6.3", _("Priority Technical Coverage Policy plans"))
    s63.paragraphs.append(_("These plans include the following services by default:"))
    sections.append(s63)
    for service in sorted(p.services.values(), key=lambda s: [int(x) for x in
                                                               s.clause.split(".")]):
        section = Section(service.clause, service.name.get(lang))
        section.paragraphs.append(service_text(service, service.description.get(lang)))
        if service.clause == pri.clause:
            section.paragraphs.append(
                _("Default response time: %(target)s, which may extend to at most %(due)s "
                  "at times of very high load.")
                % {"target": describe_duration(pri.target), "due": describe_duration(pri.due)}
            )
        sections.append(section)

    plans = Section("", _("Plans"))
    plans.paragraphs.append(_("There are several plans, paid annually or monthly, that extend "
                              "the standard services of this policy:"))
    plans.items.extend(plan.name.get(lang) for plan in p.plans)
    sections.append(plans)
    return sections

