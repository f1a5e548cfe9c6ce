"""Obligations that recur at an interval after a date in the data, from profile data alone: the
profile's `schedule:` entries and, where a profile has them, its policy `promises:` (issue 23).
An entry needs only `field` (the data field that evidences it, e.g.
`staff[].background_check.registry_check`) and `interval_months`; `title`, `citation`,
`verified`, `positions` and `new_hire_months` are optional. No interval is written here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from cmpacket.model import AgencyData, Staff, is_field
from cmpacket.profiles import Profile
from cmpacket.validators._dates import add_months

WORDS = {"yearly": 12, "annually": 12, "annual": 12, "monthly": 1, "quarterly": 3}


@dataclass(frozen=True)
class Entry:
    """One recurring obligation as the profile states it."""

    key: str
    title: str
    field: str
    months: int
    citation: str
    verified: bool
    positions: Any = "all"  # "all", "direct-care" or a list of position keys
    new_hire_months: int = 0  # never done: due this long after the hire date
    topics: tuple[str, ...] = ()  # a training promise: the words a training log topic shows


@dataclass(frozen=True)
class Subject:
    """Whom an entry's field belongs to: the agency, one staff member or one owner."""

    key: str  # "agency", "staff:S-004", "owner:prairie care board"
    who: str
    value: Any  # the object the rest of the field path is read from
    rest: tuple[str, ...]
    path: str  # the data path of `value`, e.g. staff[3]
    staff: Staff | None = None


def entries(profile: Profile) -> list[Entry]:
    """The profile's schedule, then its promises that state a field and an interval."""
    found = [_entry(e) for e in profile.schedule]
    found += [_entry(p) for p in getattr(profile, "promises", None) or ()]
    return [e for e in found if e is not None]


def _entry(raw: Any) -> Entry | None:
    def get(name: str, default: Any = None) -> Any:
        if isinstance(raw, dict):
            return raw.get(name, default)
        return getattr(raw, name, default)

    field, months = get("field"), interval_months(get("interval_months"), get("interval"))
    if not isinstance(field, str) or months is None:
        return None  # e.g. a promise kept once, before hire: no date recurs
    last = field.rsplit(".", 1)[-1].removesuffix("[]").replace("_", " ")
    title = get("title") or get("name") or f"{last} due"
    return Entry(
        key=str(get("key") or get("code") or get("topic") or field),
        title=str(title),
        field=field,
        months=months,
        citation=str(get("citation") or ""),
        verified=bool(get("verified", False)),
        positions=get("positions", "all") or "all",
        new_hire_months=int(get("new_hire_months", 0) or 0),
        topics=tuple(str(w) for w in get("topics", ()) or ()),
    )


def interval_months(months: Any, interval: Any) -> int | None:
    """Months from `interval_months: 12`, or `interval:` as 12, "12 months", "1 year" or
    "yearly"; None when neither states a recurring interval."""
    for value in (months, interval):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if isinstance(value, dict):
            return interval_months(value.get("months"), 12 * int(value.get("years") or 0) or None)
        if isinstance(value, str):
            text = value.strip().lower()
            if text in WORDS:
                return WORDS[text]
            match = re.fullmatch(r"(?:every\s+)?(\d+)\s*(month|year)s?", text)
            if match:
                return int(match[1]) * (12 if match[2] == "year" else 1)
    return None


def subjects(data: AgencyData, field: str) -> Iterator[Subject]:
    """Whom the field belongs to: each staff member (`staff[]....`), each owner
    (`agency.owners[]....`), each director and officer (`agency.board[]....`), else the agency
    itself."""
    parts = tuple(field.split("."))
    if parts[0] == "staff[]":
        for i, s in enumerate(data.staff):
            yield Subject(f"staff:{s.id}", s.name or s.id, s, parts[1:], f"staff[{i}]", s)
    elif parts[:2] == ("agency", "owners[]"):
        for i, o in enumerate(data.agency.owners):
            who = o.name or f"Owner {i + 1}"
            yield Subject(owner_key(o.name, i), who, o, parts[2:], f"agency.owners[{i}]")
    elif parts[:2] == ("agency", "board[]"):
        for i, m in enumerate(data.agency.board):
            who = m.name or f"Board member {i + 1}"
            yield Subject(board_key(m.name, i), who, m, parts[2:], f"agency.board[{i}]")
    else:
        yield Subject("agency", data.agency.display_name, data, parts, "")


def owner_key(name: str | None, i: int) -> str:
    return f"owner:{' '.join((name or '').casefold().split()) or i}"


def board_key(name: str | None, i: int) -> str:
    return f"board:{' '.join((name or '').casefold().split()) or i}"


def dates_at(value: Any, rest: tuple[str, ...], topics: tuple[str, ...] = ()) -> list[date]:
    """Every date the rest of a field path reaches from `value`: a date, an entry's `date`
    (an exclusion check), each item of a list (`training[].date`); with `topics`, only the list
    items whose `topic` shows one of them (a training promise)."""
    if not rest:
        return _as_dates(value)
    name, many = rest[0].removesuffix("[]"), rest[0].endswith("[]")
    inner = getattr(value, name, None)
    if inner is None:
        return []
    if many or isinstance(inner, tuple):
        items = [x for x in inner if not topics or _shows(getattr(x, "topic", None), topics)]
        return [d for item in items for d in dates_at(item, rest[1:], topics)]
    return dates_at(inner, rest[1:], topics)


def _shows(topic: str | None, words: tuple[str, ...]) -> bool:
    text = (topic or "").casefold()
    return any(w.casefold() in text for w in words)


def _has_items(value: Any, rest: tuple[str, ...]) -> bool:
    """False when the path runs through a list that is empty before its last part
    (`licenses[].verified` of a person with no license): nothing falls due for them. A list at
    the end (`training[]`, the log a promise reads) may be empty: the obligation is still due."""
    for part in rest[:-1]:
        value = getattr(value, part.removesuffix("[]"), None)
        if part.endswith("[]"):
            return bool(value)
        if value is None:
            return True
    return True


def _as_dates(value: Any) -> list[date]:
    if isinstance(value, date):
        return [value]
    if isinstance(value, tuple):
        return [d for item in value for d in _as_dates(item)]
    inner = getattr(value, "date", None)
    return [inner] if isinstance(inner, date) else []


def due(entry: Entry, subject: Subject) -> tuple[date, str] | None:
    """When the entry next falls due for the subject, and the basis in words; None when nothing
    counts (no date and no hire date to count from)."""
    if not _has_items(subject.value, subject.rest):
        return None  # a lookup of each license, and the person holds none
    done = dates_at(subject.value, subject.rest, entry.topics)
    every = _every(entry.months)
    if done:
        last = max(done)
        return add_months(last, entry.months), f"Last done {last}; due {every} after it."
    hired = subject.staff.hire_date if subject.staff else None
    if hired is None:
        return None
    start = add_months(hired, entry.new_hire_months)
    after = (
        f"within {_every(entry.new_hire_months)} of hire" if entry.new_hire_months else "at hire"
    )
    return start, f"Never recorded; due {after} ({hired}), then {every} after each."


def _every(months: int) -> str:
    if months % 12 == 0:
        years = months // 12
        return "a year" if years == 1 else f"{years} years"
    return "a month" if months == 1 else f"{months} months"


def known(entry: Entry) -> bool:
    """Whether the entry's field is a field of the agency data (a misspelt one counts nothing,
    rather than making everyone overdue)."""
    return is_field(entry.field)


def covers(entry: Entry, subject: Subject, data: AgencyData) -> bool:
    """Whether the entry applies to the subject (its `positions`, for staff members)."""
    s = subject.staff
    if s is None or entry.positions == "all":
        return True
    if entry.positions == "direct-care":
        pos = data.position(s.position)
        return bool(pos and pos.direct_care)
    return isinstance(entry.positions, list | tuple) and s.position in entry.positions
