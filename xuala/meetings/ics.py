"""iCalendar invitations (RFC 5545/5546) for meetings: one UID per meeting, SEQUENCE per update."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Xuala Cloud//Xuala Desk meetings//EN"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(
    *,
    method: str,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    room_url: str,
    organizer: Person,
    attendees: Sequence[Person],
    stamp: datetime,
) -> bytes:
    """The .ics text of a meeting invitation (REQUEST) or cancellation (CANCEL).

    Times are written in UTC (``DTSTART:…Z``): every calendar program converts them to its
    user's zone, and no VTIMEZONE block can disagree with the tz database.
    """
    if method not in (METHOD_REQUEST, METHOD_CANCEL):
        raise ValueError(f"unsupported iTIP method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", room_url)
    event.add("url", room_url)
    event.add("organizer", _address(organizer))
    for person in attendees:
        event.add("attendee", _address(person, ROLE="REQ-PARTICIPANT",
                                       PARTSTAT="NEEDS-ACTION", RSVP="FALSE"), encode=0)
    event.add("status", "CANCELLED" if method == METHOD_CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()
