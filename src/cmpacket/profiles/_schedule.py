"""A profile's `schedule:`: dated obligations that recur at an interval after a date in the data
(the policies' yearly review after `policies.adopted`, HFS revalidation five years after
`agency.medicaid.enrolled`), each with its citation and verified flag. The compliance calendar
and the readiness report's "Lapsing within 90 days" list them (validators/_obligations.py); an
entry has the shape of a policy promise (`field`, `interval_months`), so both are read alike."""

from __future__ import annotations

import re
from typing import Any

from cmpacket.errors import ProfileError

#: A data field an entry counts from: `policies.adopted`, `agency.medicaid.enrolled`,
#: `staff[].background_check.registry_check`, `agency.owners[].exclusion_check`.
FIELD = re.compile(r"^[a-z_]+(\[\])?(\.[a-z_]+(\[\])?)*$")
EXAMPLE = (
    "e.g. {key: policy-review, title: annual review of the policies, field: policies.adopted, "
    "interval_months: 12, citation: ..., verified: false}"
)


def check_entry_basics(
    entry: Any, where: str, keys: set[str], names: tuple[str, ...], example: str, fields: str
) -> None:
    """What a schedule entry and a promise share: a mapping with the text `names`, a key used
    once (added to `keys`), and a data field path (`fields`: examples for the message)."""
    if not isinstance(entry, dict):
        raise ProfileError(f"{where}: {entry!r} is not a mapping ({example}).")
    for name in names:
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise ProfileError(f"{where}.{name}: missing or not text ({example}).")
    key = entry["key"].strip() if "key" in names else entry["key"]
    if key in keys:
        raise ProfileError(f"{where}.key: {key!r} is used twice; keys are unique.")
    keys.add(key)
    if not FIELD.match(entry["field"]):
        raise ProfileError(
            f"{where}.field: {entry['field']!r} is not a data field path. Write it as in "
            f"agency.yaml, with [] for a list: {fields}."
        )


def check_coverage(entry: dict[str, Any], where: str, at_hire: str) -> int:
    """An entry's `positions` (all, direct-care or position keys) and `new_hire_months`, which
    it returns (0 when not given; `at_hire` says in the message what 0 means)."""
    positions = entry.get("positions", "all")
    if positions not in ("all", "direct-care") and not (
        isinstance(positions, list) and all(isinstance(x, str) for x in positions)
    ):
        raise ProfileError(
            f"{where}.positions: {positions!r} is not all, direct-care or a list of position "
            f"keys (e.g. [case-manager, case-management-supervisor])."
        )
    grace = entry.get("new_hire_months", 0)
    if isinstance(grace, bool) or not isinstance(grace, int) or grace < 0:
        raise ProfileError(
            f"{where}.new_hire_months: {grace!r} is not a whole number of months (how long "
            f"after hire it is first due; 0, the default, is {at_hire})."
        )
    return int(grace)


def schedule_entries(value: Any, source: str) -> tuple[dict[str, Any], ...]:
    """The entries of `schedule:` checked, or () when the profile has none. Raises ProfileError
    naming the entry and what to write."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProfileError(f"{source}: schedule: {value!r} is not a list of entries ({EXAMPLE}).")
    out = []
    keys: set[str] = set()
    for i, entry in enumerate(value):
        where = f"{source}: schedule[{i}]"
        check_entry_basics(
            entry,
            where,
            keys,
            ("key", "title", "field"),
            EXAMPLE,
            "policies.adopted, staff[].background_check.registry_check",
        )
        months = entry.get("interval_months")
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise ProfileError(
                f"{where}.interval_months: {months!r} is not a whole number of months (12 for "
                f"a year, 60 for five years)."
            )
        grace = check_coverage(entry, where, "at hire")
        out.append(
            {
                "key": entry["key"].strip(),
                "title": entry["title"].strip(),
                "field": entry["field"],
                "interval_months": months,
                "citation": str(entry.get("citation") or ""),
                "verified": bool(entry.get("verified", False)),
                **({"positions": entry["positions"]} if "positions" in entry else {}),
                **({"new_hire_months": grace} if grace else {}),
            }
        )
    return tuple(out)
