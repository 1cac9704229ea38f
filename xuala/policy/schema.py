"""The support policy's schema: what a policy file may say, validated with pydantic."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from xuala.policy.clocks import Clock

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LANGUAGES = ("es", "en")
CLAUSE_RE = re.compile(r"^\d+(\.\d+)*$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
SERVICE_PLACEHOLDERS = ("interval", "max_suspension", "weekday")


def parse_duration(value: object) -> timedelta:
    """Parse "72h", "30m", "15d", "90s" into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not (match := _DURATION_RE.match(value)):
        raise ValueError(f"{value!r} is not a duration like '24h', '30m', '15d' or '90s'")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration; hours up to a week ("72h"), days beyond ("15d")."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size and (unit != "d" or seconds >= 7 * 86400):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]
Clause = Annotated[str, Field(pattern=CLAUSE_RE.pattern)]


def _parse_slot(value: object) -> tuple[int, int]:
    if isinstance(value, tuple):
        return value  # type: ignore[return-value]
    if not isinstance(value, str) or not (
        match := re.match(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$", value.strip())
    ):
        raise ValueError(f"{value!r} is not an opening slot like '09:00-20:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440:
        raise ValueError(f"{value!r} has an impossible time (latest end is 24:00)")
    if start >= end:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end


def _format_slot(slot: tuple[int, int]) -> str:
    return f"{slot[0] // 60:02d}:{slot[0] % 60:02d}-{slot[1] // 60:02d}:{slot[1] % 60:02d}"


Slot = Annotated[
    tuple[int, int], BeforeValidator(_parse_slot), PlainSerializer(_format_slot, return_type=str)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(Strict):
    """A text in every language the desk speaks; Spanish is required."""

    es: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language.startswith("en") else self.es


class LocalWords(Strict):
    es: list[str] = []
    en: list[str] = []

    def get(self, language: str) -> list[str]:
        return self.en if language.startswith("en") else self.es


class TicketClass(StrEnum):
    STANDARD = "standard"
    PRIORITY = "priority"
    EMERGENCY = "emergency"


class Decision(StrEnum):
    COVERED = "covered"
    REFUSED = "refused"
    NEEDS_PLAN = "needs_plan"
    NEEDS_QUOTE = "needs_quote"
    MEETING = "meeting"
    EMERGENCY = "emergency"


class Channel(StrEnum):
    """The ways a client may open a ticket (§3): the client area's form, the support
    address, and (only when the company publishes it) the API with a client's token."""

    PORTAL = "portal"
    EMAIL = "email"
    API = "api"


class QueueOrder(StrEnum):
    """How the agents' queue orders open tickets after the emergencies (§6.3.2)."""

    PLAN_FIRST = "plan_first"  # plan clients' requests above the others, each by time left
    DUE_FIRST = "due_first"  # by time left; plan clients ahead only at equal due instants


class Billing(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


class Meta(Strict):
    name: LocalText
    company: str
    infrastructure: str
    coverage_name: LocalText | None = None  # §6.2: the plans' full name
    priority_coverage_name: LocalText | None = None  # §6.3's heading
    default_language: str = "es"
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return value


class Hours(Strict):
    clause: Clause
    monday: list[Slot] = []
    tuesday: list[Slot] = []
    wednesday: list[Slot] = []
    thursday: list[Slot] = []
    friday: list[Slot] = []
    saturday: list[Slot] = []
    sunday: list[Slot] = []

    @model_validator(mode="after")
    def _no_overlaps(self) -> Hours:
        for day in WEEKDAYS:
            slots = sorted(getattr(self, day))
            for (_, end), (start, _) in itertools.pairwise(slots):
                if start < end:
                    raise ValueError(f"{day}: opening slots overlap")
        if not any(getattr(self, day) for day in WEEKDAYS):
            raise ValueError("at least one day must have opening hours")
        return self

    def weekly(self) -> dict[int, list[tuple[int, int]]]:
        return {i: sorted(getattr(self, day)) for i, day in enumerate(WEEKDAYS)}


class Holidays(Strict):
    country: str | None = "ES"
    subdivision: str | None = None
    extra: list[date] = []
    removed: list[date] = []

    @field_validator("country", "subdivision", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None

    @model_validator(mode="after")
    def _known_calendar(self) -> Holidays:
        if self.country is None:
            if self.subdivision:
                raise ValueError("a subdivision needs a country")
            return self
        import holidays

        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision, years=2026)
        except NotImplementedError:
            raise ValueError(f"the holidays package has no country {self.country!r}") from None
        except Exception as exc:  # the package raises several kinds for a bad subdivision
            raise ValueError(str(exc)) from None
        return self


class Target(Strict):
    clause: Clause
    clock: Clock
    target: Duration
    due: Duration
    warn_before: list[Duration] = []

    @model_validator(mode="after")
    def _target_within_due(self) -> Target:
        if self.target <= timedelta(0) or self.due <= timedelta(0):
            raise ValueError("target and due must be longer than zero")
        if self.target > self.due:
            raise ValueError("the target cannot be later than the due time")
        return self


class Targets(Strict):
    standard: Target
    priority: Target
    emergency: Target

    def for_class(self, ticket_class: TicketClass | str) -> Target:
        return getattr(self, TicketClass(ticket_class).value)


class Channels(Strict):
    clause: Clause
    support_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    company_domains: list[str] = Field(min_length=1)
    accepted: list[Channel] = Field(min_length=1)

    @model_validator(mode="after")
    def _address_in_domain(self) -> Channels:
        domain = self.support_address.rsplit("@", 1)[1].lower()
        if domain not in {d.lower() for d in self.company_domains}:
            raise ValueError("the support address must belong to one of the company domains")
        return self


class Queue(Strict):
    clause: Clause = "6.3.2"
    order: QueueOrder = QueueOrder.PLAN_FIRST


class Meetings(Strict):
    clause: Clause
    length: Duration
    notice: Duration
    slots_offered: int = Field(ge=1, le=20)


class Quotes(Strict):
    clause: Clause
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    tax_name: str
    tax_rate: Decimal = Field(ge=0, le=100)
    validity: Duration


class Uptime(Strict):
    clause: Clause
    commitment: Decimal = Field(gt=0, le=100)
    period_days: int = Field(ge=1, le=366)

    @property
    def allowed_downtime(self) -> timedelta:
        """Downtime the commitment allows in one period (129.6 min for 99.7 % of 30 days)."""
        seconds = Decimal(self.period_days * 86400) * (100 - self.commitment) / 100
        return timedelta(seconds=float(seconds))


class Coverage(Strict):
    """§6, the scope of support: the clauses its answers cite that no other table holds.

    ``clause``: support is for clients with a contracted service (a non-client is refused
    citing it); ``mail_clause`` and ``plans_clause``: corporate mail and the coverage plans'
    services (a plan extra the client's plan includes is covered citing ``plans_clause``).
    """

    clause: Clause = "6"
    mail_clause: Clause = "6.1"
    plans_clause: Clause = "6.3"


class ScopeRule(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    decision: Decision
    clause: Clause
    label: LocalText
    keywords: LocalWords = LocalWords()
    answer: LocalText | None = None
    needs_plan: bool = False


class TriageSettings(Strict):
    """The learned triage: below ``threshold`` (its calibrated probability) a free-text
    judgement is not certain and an agent decides."""

    threshold: float = Field(default=0.5, ge=0, le=1)
    model: bool = True  # the desk triages free text with the model (else: keyword rules)


class Service(Strict):
    clause: Clause
    name: LocalText
    description: LocalText
    interval: Duration | None = None
    max_suspension: Duration | None = None
    weekday: str | None = None
    # When on ``weekday`` a scheduled service runs, in the policy's time zone ("02:00-06:00").
    window: Slot | None = None

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str | None) -> str | None:
        if value is not None and value not in WEEKDAYS:
            raise ValueError(f"weekday must be one of {', '.join(WEEKDAYS)}")
        return value

    @model_validator(mode="after")
    def _placeholders_set(self) -> Service:
        """A text's {interval}, {max_suspension} or {weekday} is filled from this service's
        value of that name (the file's only copy of the number), so the value must be set."""
        for language in LANGUAGES:
            for name in PLACEHOLDER_RE.findall(self.description.get(language)):
                if name not in SERVICE_PLACEHOLDERS:
                    raise ValueError(f"unknown placeholder {{{name}}} in the description")
                if getattr(self, name) is None:
                    raise ValueError(f"the description uses {{{name}}} but {name} is not set")
        return self


class Extra(Strict):
    """Something a plan may add (the closing paragraph): covered for a client whose plan
    lists it, a quote for anyone else (§5)."""

    name: LocalText  # as the article's sentence names it ("gestionar los contenidos...")
    label: LocalText  # as the client-area form offers it
    keywords: LocalWords = LocalWords()


class Plan(Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: LocalText
    billing: Billing
    services: list[str] = Field(min_length=1)
    extras: list[str] = []


class Policy(Strict):
    """A whole support policy: the document the desk enforces."""

    policy: Meta
    hours: Hours
    holidays: Holidays = Holidays()
    targets: Targets
    channels: Channels
    queue: Queue = Queue()
    meetings: Meetings
    quotes: Quotes
    uptime: Uptime
    coverage: Coverage = Coverage()
    scope: list[ScopeRule] = Field(min_length=1)
    triage: TriageSettings = TriageSettings()
    services: dict[str, Service]
    extras: dict[str, Extra] = {}
    plans: list[Plan] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> Policy:
        keys = [rule.key for rule in self.scope]
        if len(keys) != len(set(keys)):
            raise ValueError("scope rule keys must be unique")
        plan_keys = [plan.key for plan in self.plans]
        if len(plan_keys) != len(set(plan_keys)):
            raise ValueError("plan keys must be unique")
        for plan in self.plans:
            unknown = sorted(set(plan.services) - set(self.services))
            if unknown:
                raise ValueError(f"plan {plan.key!r} names unknown services: {', '.join(unknown)}")
            unknown = sorted(set(plan.extras) - set(self.extras))
            if unknown:
                raise ValueError(f"plan {plan.key!r} names unknown extras: {', '.join(unknown)}")
        clash = sorted(set(self.extras) & set(keys))
        if clash:
            raise ValueError(f"an extra and a scope rule share a key: {', '.join(clash)}")
        return self

    # Convenience readers used across the desk.
    @property
    def timezone(self) -> str:
        return self.policy.timezone

    def scope_rule(self, key: str) -> ScopeRule:
        for rule in self.scope:
            if rule.key == key:
                return rule
        raise KeyError(key)

    def service_clause(self, key: str) -> str:
        """The clause of the plan service ``key``; the plans' clause if the policy has none."""
        service = self.services.get(key)
        return service.clause if service is not None else self.coverage.plans_clause

    def plan(self, key: str) -> Plan:
        for plan in self.plans:
            if plan.key == key:
                return plan
        raise KeyError(key)
