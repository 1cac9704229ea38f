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

from xuala.customers.delivery import service_delivered
from xuala.policy.loader import LoadedPolicy
from xuala.policy.schema import (
    PLACEHOLDER_RE,
    WEEKDAYS,
    Channel,
    Clock,
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
    # The company's own precisions (working-day counting, emergency times, meeting length,
    # taxes): shown apart, marked as clarifications, never mixed into the original promise.
    notes: list[str] = field(default_factory=list)
    # What is not done yet: a service promised but not running anywhere (issue 12, item 8).
    states: list[str] = field(default_factory=list)


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


def _coverage_name(p: Policy, lang: str) -> str:
    if p.policy.coverage_name is not None:
        return p.policy.coverage_name.get(lang)
    return _("Technical Coverage Policy")


def build_article(loaded: LoadedPolicy) -> list[Section]:
    """The article, clause by clause: each clause carries the original text's promise
    (in the usted form), and the company's own precisions as marked clarifications."""
    p = loaded.policy
    lang = get_language() or p.policy.default_language
    closed = [name for name, slots in zip(_day_names_plural(), p.hours.weekly().values(),
                                          strict=True) if not slots]
    infra = p.policy.infrastructure
    sections: list[Section] = []

    s1 = Section(p.hours.clause, _("Opening hours"))
    s1.paragraphs.append(_("Our Customer Support service works %(hours)s (%(zone)s time).")
                         % {"hours": describe_hours(p), "zone": p.timezone})
    if closed:
        s1.paragraphs.append(
            _("On %(days)s requests and messages are not attended, except specific cases of "
              "emergencies related to the web service.")
            % {"days": _(" and ").join(closed)}
        )
        s1.notes.append(_("Web-service emergencies (a hosted website or server down) are "
                          "attended at any time, every day of the year."))
    if p.holidays.country:
        s1.notes.append(_("Public holidays (%(calendar)s) are not working days.")
                        % {"calendar": p.holidays.country
                           + (f"-{p.holidays.subdivision}" if p.holidays.subdivision else "")})
    s1.notes.append(_("A request received outside these hours is accepted and queued; "
                      "the acknowledgement tells you when it will be attended."))
    sections.append(s1)

    std, pri, emg = p.targets.standard, p.targets.priority, p.targets.emergency
    s2 = Section(std.clause, _("Response time"))
    s2.paragraphs.append(
        _("Our default response time is %(due)s, although our team will do its best to attend "
          "to requests within a time frame of %(target)s, though we cannot guarantee it, since "
          "it depends on the volume of requests and tickets at each moment.")
        % {"due": describe_duration(std.due), "target": describe_duration(std.target)}
    )
    s2.notes.append(_("These times are %(clock)s.") % {"clock": describe_clock(std.clock)})
    s2.notes.append(
        _("Web-service emergencies are answered within %(due)s, %(clock)s.")
        % {"due": describe_duration(emg.due), "clock": describe_clock(emg.clock)}
    )
    sections.append(s2)

    s3 = Section(p.channels.clause, _("The right way to ask for support"))
    s3.paragraphs.append(
        _("It is essential that you use %(channels)s. If you send messages by other means, "
          "they will not be attended.") % {"channels": describe_channels(p)}
    )
    sections.append(s3)

    s4 = Section(p.meetings.clause, _("Personal assistance"))
    s4.paragraphs.append(
        _("Our customer service telephone is not meant for technical support or specialised "
          "assistance. If you wish to obtain dedicated personal assistance, please do not call "
          "us directly. Instead, send us an e-mail asking for it and we will arrange a virtual "
          "meeting for a day and at a time (subject to the availability of both parties).")
    )
    s4.notes.append(_("Virtual meetings last %(length)s.")
                    % {"length": describe_duration(p.meetings.length)})
    sections.append(s4)

    s5 = Section(p.quotes.clause, _("Additional costs"))
    s5.paragraphs.append(
        _("You may ask us for changes, improvements or features in your service that involve "
          "additional costs. If licensed components or service extensions must be acquired, "
          "we will first send you the quotation as an estimate so that you can accept the "
          "proposal.")
    )
    s5.notes.append(_("The work starts only once you accept the quote in your Client Area."))
    s5.notes.append(_("Quoted prices are shown before tax; %(tax)s (%(rate)s %%) is added.")
                    % {"tax": p.quotes.tax_name, "rate": number_format(p.quotes.tax_rate)})
    sections.append(s5)

    s6 = Section(p.coverage.clause, _("Scope of support"))
    s6.paragraphs.append(
        _("Our Technical Support is limited to clients who have contracted one of our "
          "services. We do not offer support for third-party services or external platforms. "
          "Nor do we offer support for problems related to personal computing, Windows or Mac "
          "problems, or faults of computers or networks. Our service and coverage are "
          "exclusively for our own server infrastructure, commercially named and hereinafter "
          "\u201c%(infra)s\u201d.") % {"infra": infra}
    )
    sections.append(s6)

    s61 = Section(p.coverage.mail_clause, pgettext("policy article heading", "Corporate mail"))
    s61.paragraphs.append(
        _("We only offer limited coverage of the %(infra)s mail service, ensuring that sending "
          "and receiving it works correctly at server level. Problems with mail arising from "
          "configurations of the operating system, software, networks or other reasons on the "
          "client's side are not covered.") % {"infra": infra}
    )
    sections.append(s61)

    s62 = Section(p.uptime.clause, _("Basic website cover"))
    allowed = p.uptime.allowed_downtime.total_seconds() / 60
    s62.paragraphs.append(
        _("The basic coverage implicit in any hosting plan (%(infra)s web hosting) means "
          "guaranteeing that our servers work correctly (we offer %(uptime)s uptime and reserve "
          "%(reserve)s for possible malfunctions, legally and technically accepted in any "
          "hosting service).")
        % {"infra": infra, "uptime": _percent(p.uptime.commitment),
           "reserve": _percent(100 - p.uptime.commitment)}
    )
    s62.paragraphs.append(
        _("The basic coverage included in those hosting plans does not include solving "
          "problems or faults of the websites, whatever their nature, nor of commercial "
          "transactions related to the websites. If your problem is related to your "
          "website's content, such as intrinsic faults of your website or your payment "
          "terminal, and you want us to solve them, you will need to contract one of our "
          "%(coverage)s plans.") % {"coverage": _coverage_name(p, lang)}
    )
    s62.notes.append(_("%(reserve)s of a period of %(days)d days is %(minutes)s minutes.")
                     % {"reserve": _percent(100 - p.uptime.commitment),
                        "days": p.uptime.period_days,
                        "minutes": number_format(allowed, decimal_pos=1)})
    sections.append(s62)

    title = (p.policy.priority_coverage_name.get(lang) if p.policy.priority_coverage_name
             else _("Priority Technical Coverage Policy"))
    s63 = Section(p.coverage.plans_clause, _("Coverage of the %(name)s plans") % {"name": title})
    s63.paragraphs.append(_("This coverage includes the following services by default:"))
    sections.append(s63)
    for service in sorted(p.services.values(), key=lambda s: [int(x) for x in
                                                               s.clause.split(".")]):
        section = Section(service.clause, service.name.get(lang))
        section.paragraphs.append(service_text(service, service.description.get(lang)))
        if not service_delivered(_service_key(p, service)):
            section.states.append(_("This service is not in operation yet: it is not provided "
                                   "on any website for now. Your Client Area shows the real "
                                   "state of each service on each of your websites."))
        if service.window is not None and service.weekday is not None:
            section.notes.append(
                _("It runs on %(days)s, starting between %(start)s and %(end)s (%(zone)s "
                  "time). Your Client Area shows when it next runs on each of your websites, "
                  "and lets you skip one week.")
                % {"days": _day_names_plural()[WEEKDAYS.index(service.weekday)],
                   "start": _clock_time(service.window[0]),
                   "end": _clock_time(service.window[1]), "zone": p.timezone})
        if service.clause == pri.clause:
            section.paragraphs.append(
                _("The default response time is %(target)s, although it could be extended to "
                  "a maximum of %(due)s if our load and volume of work are occasionally very "
                  "high.")
                % {"target": describe_duration(pri.target), "due": describe_duration(pri.due)}
            )
            section.notes.append(_("These times are %(clock)s.")
                                 % {"clock": describe_clock(pri.clock)})
        sections.append(section)

    plans = Section("", _("Plans"))
    extras = [p.extras[key].name.get(lang) for key in p.extras
              if any(key in plan.extras for plan in p.plans)]
    if extras:
        plans.paragraphs.append(
            _("There are several plans (paid annually and monthly) that extend the standard "
              "services of this policy, and depending on the plan you contract, we can also "
              "%(extras)s.") % {"extras": _join_extras(extras)})
    else:
        plans.paragraphs.append(_("There are several plans (paid annually and monthly) that "
                                  "extend the standard services of this policy."))
    plans.paragraphs.append(_("Ask us for more information on our Customer Service number."))
    for plan in p.plans:
        names = [p.extras[key].name.get(lang) for key in plan.extras]
        plans.items.append(plan.name.get(lang) if not names else
                           _("%(plan)s: also %(extras)s") % {"plan": plan.name.get(lang),
                                                             "extras": _join_extras(names)})
    sections.append(plans)
    return sections


def _service_key(p: Policy, service: Service) -> str:
    return next(key for key, value in p.services.items() if value is service)


def _join_extras(names: list[str]) -> str:
    """"a, b and even c": the original's "e incluso" before the last one."""
    if len(names) == 1:
        return names[0]
    return _("%(first)s and even %(last)s") % {"first": ", ".join(names[:-1]),
                                               "last": names[-1]}
