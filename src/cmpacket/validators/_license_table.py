"""The license table's rules: license numbers in their type's IDFPR format and expiration dates
on their type's renewal cycle; and `license_row`, a license's row of the table, which the
promise rules and the compliance calendar read too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from cmpacket.findings import Finding
from cmpacket.profiles import Profile, RuleSpec
from cmpacket.validators._dates import on_cycle
from cmpacket.validators._registry import Context, rule


def _table_row(ctx: Context, lic: Any) -> dict[str, Any] | None:
    return license_row(ctx.profile, lic)


def license_row(profile: Profile, lic: Any) -> dict[str, Any] | None:
    """The license table's row for a license's type (number format, renewal cycle), or None when
    the profile has no table, or the table is another state's or does not know the type."""
    table = profile.licenses
    if not table or not lic.type:
        return None
    state = (lic.state or table.get("state") or "").upper()
    if table.get("state") and state != str(table["state"]).upper():
        return None
    row: dict[str, Any] | None = table["types"].get(lic.type.strip().upper())
    return row


def _table_entries(ctx: Context, key: str, field: str) -> Iterator[tuple[int, int, Any, Any]]:
    """(staff index, license index, license, its type's `key` entry in the license table) for
    each license whose type has that entry and whose `field` the data gives."""
    for i, s in enumerate(ctx.data.staff):
        for j, lic in enumerate(s.licenses):
            row = _table_row(ctx, lic)
            entry = row.get(key) if row else None
            if entry and getattr(lic, field):
                yield i, j, lic, entry


@rule("license-number-format")
def license_number_format(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, j, lic, fmt in _table_entries(ctx, "number", "number"):
        prefix, digits = fmt["prefix"], fmt["digits"]
        got = "".join(c for c in lic.number if c.isdigit())
        spelled = all(c.isdigit() or c in ".- " for c in lic.number.strip())
        if spelled and got.startswith(prefix) and len(got) == len(prefix) + digits:
            continue
        example = (
            f"{prefix}.{'0' * (digits - 6)}123456" if digits >= 6 else f"{prefix}.{'1' * digits}"
        )
        sure = "" if fmt["verified"] else " (this format is not verified; see docs/profiles.md)"
        yield Finding(
            spec.code,
            spec.severity,
            f"staff[{i}].licenses[{j}].number",
            f"{lic.number!r} is not an Illinois {lic.type} license number: IDFPR numbers are "
            f"{prefix} (the {lic.type} prefix), a dot and {digits} digits, e.g. {example}. "
            f"Copy the number from the IDFPR License Lookup{sure}.",
            fmt["citation"] or spec.citation,
        )


@rule("license-expiry-off-cycle")
def license_expiry_off_cycle(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, j, lic, cycle in _table_entries(ctx, "renewal", "expires"):
        day = lic.expires
        if on_cycle(day, cycle):
            continue
        when = date(2001, cycle["month"], min(cycle["day"], 28))
        rule_text = f"{when:%B} {cycle['day']}" + (
            f" of {cycle['years']}-numbered years" if cycle["years"] != "any" else " each year"
        )
        before, after = _around(day, cycle)
        sure = "" if cycle["verified"] else " (this cycle is not verified; see docs/profiles.md)"
        yield Finding(
            spec.code,
            spec.severity,
            f"staff[{i}].licenses[{j}].expires",
            f"{day.isoformat()} is not a renewal date for {lic.type} licenses: they expire "
            f"{rule_text}{sure}. Check the date on the license (the renewal dates around it are "
            f"{before.isoformat()} and {after.isoformat()}).",
            cycle["citation"] or spec.citation,
        )


def _around(day: date, cycle: dict[str, Any]) -> tuple[date, date]:
    import calendar

    options = []
    for year in range(day.year - 2, day.year + 3):
        if cycle["years"] == "odd" and year % 2 == 0:
            continue
        if cycle["years"] == "even" and year % 2 == 1:
            continue
        last = calendar.monthrange(year, cycle["month"])[1]
        options.append(date(year, cycle["month"], min(cycle["day"], last)))
    before = max((d for d in options if d < day), default=options[0])
    after = min((d for d in options if d > day), default=options[-1])
    return before, after
