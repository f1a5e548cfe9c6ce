"""The compliance calendar (SPEC §17): the validators' obligations as calendar events with stable
UIDs, written as iCalendar (RFC 5545, with the `icalendar` library), CSV or JSON."""

from cmpacket.calendar._events import ALARM_DAYS, Event, agency_identity, events, uid
from cmpacket.calendar._write import FORMATS, CalendarFile, make, write_atomic

__all__ = [
    "ALARM_DAYS",
    "FORMATS",
    "CalendarFile",
    "Event",
    "agency_identity",
    "events",
    "make",
    "uid",
    "write_atomic",
]
