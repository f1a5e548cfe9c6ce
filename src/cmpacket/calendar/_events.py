"""Calendar events from the validators' obligations: the horizon, the overdue ones, and a UID
per obligation that never depends on its date."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cmpacket._dates import add_months
from cmpacket.findings import Obligation

#: Display alarms, in days before each event.
ALARM_DAYS = (90, 30, 7)
UID_DOMAIN = "cmpacket"


@dataclass(frozen=True)
class Event:
    """One obligation on the calendar; `summary` names the person and the obligation, without
    the OVERDUE mark (the iCalendar SUMMARY adds it)."""

    uid: str
    date: date
    summary: str
    kind: str
    who: str
    basis: str
    citation: str
    verified: bool
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "date": self.date.isoformat(),
            "summary": self.summary,
            "kind": self.kind,
            "who": self.who,
            "basis": self.basis,
            "citation": self.citation,
            "verified": self.verified,
            "overdue": self.overdue,
        }


def agency_identity(fein: str | None, legal_name: str | None, fallback: str = "") -> str:
    """What the UIDs are derived from: the FEIN's digits when it has nine, else the legal name
    (case and spacing ignored). It never appears in a calendar: only its hash does."""
    digits = "".join(c for c in fein or "" if c.isdigit())
    if len(digits) == 9:
        return f"fein:{digits}"
    name = " ".join((legal_name or fallback).casefold().split())
    return f"name:{name}"


def uid(agency: str, key: str) -> str:
    """The event's UID: a hash of the agency and the obligation's key (who and what, never the
    date), so an updated calendar updates its events instead of adding new ones."""
    digest = hashlib.sha256(f"{agency}|{key}".encode()).hexdigest()
    return f"{digest[:32]}@{UID_DOMAIN}"


def events(
    obligations: Iterable[Obligation], agency: str, as_of: date, months: int
) -> tuple[Event, ...]:
    """The obligations due within `months` of the as-of date, and every overdue one, as events
    sorted by date, then UID."""
    until = add_months(as_of, months)
    out = [
        Event(
            uid=uid(agency, o.key),
            date=o.due,
            summary=o.summary,
            kind=o.kind,
            who=o.who,
            basis=o.basis,
            citation=o.citation,
            verified=o.verified,
            overdue=o.overdue,
        )
        for o in obligations
        if o.overdue or o.due <= until
    ]
    return tuple(sorted(out, key=lambda e: (e.date, e.uid)))
