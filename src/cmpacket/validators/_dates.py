"""Date arithmetic for rules: month windows and license renewal cycles, without third-party
libraries (`add_months` is shared: the calendar counts its horizon with it too)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from cmpacket._dates import add_months

__all__ = ["add_months", "full_months_between", "next_on_cycle", "on_cycle"]


def full_months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def on_cycle(day: date, cycle: dict[str, Any]) -> bool:
    """Whether `day` is a renewal date of a license table's cycle ({month, day, years})."""
    parity_ok = cycle["years"] == "any" or (day.year % 2 == 1) == (cycle["years"] == "odd")
    return day == _cycle_day(day.year, cycle) and parity_ok


def next_on_cycle(day: date, cycle: dict[str, Any]) -> date:
    """The first renewal date of the cycle on or after `day`."""
    for year in range(day.year, day.year + 3):
        if cycle["years"] != "any" and (year % 2 == 1) != (cycle["years"] == "odd"):
            continue
        when = _cycle_day(year, cycle)
        if when >= day:
            return when
    raise AssertionError("a two-year cycle has a date within three years")  # pragma: no cover


def _cycle_day(year: int, cycle: dict[str, Any]) -> date:
    last = calendar.monthrange(year, cycle["month"])[1]
    return date(year, cycle["month"], min(cycle["day"], last))
