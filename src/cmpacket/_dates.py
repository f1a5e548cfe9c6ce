"""Where dates come from: the as-of date, SOURCE_DATE_EPOCH, else today (never mid-build clocks)."""

from __future__ import annotations

import calendar
import os
from datetime import UTC, date, datetime
from typing import Any

from cmpacket.errors import UsageError


def parse_date(text: str, what: str = "--as-of") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a date. Use YYYY-MM-DD.") from None


def today() -> date:
    """SOURCE_DATE_EPOCH's date when set (reproducible builds), else the local date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC).date()
        except (ValueError, OverflowError):
            raise UsageError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds."
            ) from None
    return date.today()


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), on the month's last day where it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stamp_time(as_of: date) -> datetime:
    """When an output says it was made: SOURCE_DATE_EPOCH when set, else midnight UTC of the
    as-of date; never the wall clock (same inputs, same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)


def pdf_date(day: date) -> str:
    """A PDF date string for a day (midnight UTC), e.g. D:20261201000000Z."""
    return f"D:{day:%Y%m%d}000000Z"


def resolve_as_of(as_of: str | date | None, raw: dict[str, Any] | None) -> date:
    """--as-of, else submission.date, else SOURCE_DATE_EPOCH's date, else today."""
    if isinstance(as_of, date):
        return as_of
    if as_of:
        return parse_date(as_of)
    sub = (raw or {}).get("submission")
    value = sub.get("date") if isinstance(sub, dict) else None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return today()


def pdf_date_for(as_of: date) -> str:
    """The packet's PDF dates: SOURCE_DATE_EPOCH when set, else midnight UTC of the as-of date."""
    return f"D:{stamp_time(as_of):%Y%m%d%H%M%S}Z"
