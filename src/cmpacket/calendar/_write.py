"""The calendar's three formats, byte for byte the same for the same inputs: iCalendar (all-day
events with display alarms), CSV and JSON (the same events and fields); and an atomic write."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cmpacket._dates import add_months, stamp_time
from cmpacket.calendar._events import ALARM_DAYS, Event
from cmpacket.errors import UsageError

FORMATS = ("ics", "csv", "json")
COLUMNS = ("date", "overdue", "summary", "who", "kind", "basis", "citation", "verified", "uid")
OVERDUE = "OVERDUE: "
PRODID = "-//cmpacket//Compliance calendar//EN"


@dataclass(frozen=True)
class CalendarFile:
    """A calendar made: its bytes in `format`, the events in it and the horizon's last day."""

    data: bytes
    format: str
    events: tuple[Event, ...]
    as_of: date
    until: date

    @property
    def overdue(self) -> int:
        return sum(1 for e in self.events if e.overdue)


def make(
    events: tuple[Event, ...], fmt: str, *, name: str, as_of: date, months: int
) -> CalendarFile:
    """The calendar of `events` for the agency `name` in `fmt` (ics, csv or json)."""
    until = add_months(as_of, months)
    if fmt == "ics":
        data = to_ics(events, name, as_of)
    elif fmt == "csv":
        data = to_csv(events)
    elif fmt == "json":
        data = to_json(events, name, as_of, until)
    else:
        raise UsageError(f"--format {fmt!r} is not a calendar format. Use one of ics, csv, json.")
    return CalendarFile(data, fmt, events, as_of, until)


def _description(e: Event, as_of: date) -> str:
    sure = "verified" if e.verified else "not verified"
    source = f"\n\nSource: {e.citation} ({sure})." if e.citation else ""
    return (
        f"{e.basis}{source}\n\nListed by cmpacket from the agency's data as of {as_of}. Update "
        f"the data once this is done and import the calendar again: this event moves."
    )


def to_ics(events: tuple[Event, ...], name: str, as_of: date) -> bytes:
    """RFC 5545: one all-day VEVENT per event (DTSTART a DATE, DTEND the next day), display
    alarms ALARM_DAYS before, DTSTAMP from the as-of date or SOURCE_DATE_EPOCH."""
    import icalendar  # 0.3 s to import: only when a calendar is written

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{name}: compliance calendar")
    stamp = stamp_time(as_of)
    for e in events:
        event = icalendar.Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", e.date)
        event.add("dtend", e.date + timedelta(days=1))
        summary = (OVERDUE if e.overdue else "") + e.summary
        event.add("summary", summary)
        event.add("description", _description(e, as_of))
        event.add("categories", ["Compliance", e.kind])
        event.add("transp", "TRANSPARENT")
        for days in ALARM_DAYS:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def to_csv(events: tuple[Event, ...]) -> bytes:
    """A header row, then one row per event (booleans as true/false)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for e in events:
        row = e.as_dict()
        writer.writerow(
            [str(row[c]).lower() if isinstance(row[c], bool) else row[c] for c in COLUMNS]
        )
    return buffer.getvalue().encode("utf-8")


def to_json(events: tuple[Event, ...], name: str, as_of: date, until: date) -> bytes:
    """One object: the agency's name, the as-of date, the horizon's last day and the events."""
    obj = {
        "agency": name,
        "as_of": as_of.isoformat(),
        "until": until.isoformat(),
        "events": [e.as_dict() for e in events],
    }
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, renamed into place;
    nothing partial is left behind if anything fails or the user interrupts."""
    folder = path.parent
    if path.is_dir():
        raise UsageError(f"-o {path}: is a folder.", hint="Give a file name, e.g. agency.ics.")
    if not folder.is_dir():
        raise UsageError(
            f"-o {path}: the folder {folder} does not exist.", hint="Create it or give another -o."
        )
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())  # as a plain open() would make it
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(
            f"-o {path}: cannot write the calendar: {exc.strerror or exc}.",
            hint="Give a file in a folder you can write to.",
        ) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
