"""A profile's `promises:`: each check or training the policy manual promises, as data (SPEC §19,
issue 23). An entry names the manual's policy topic that makes the promise, the data field that
evidences it, the interval (none: once, at hire), whom it covers, the finding code of the rule
that tests it, and its citation and verified flag. The rules test the data against the entries
(validators/_rules_promises.py); the compliance calendar lists those that recur
(validators/_intervals.py)."""

from __future__ import annotations

from typing import Any

from cmpacket.errors import ProfileError
from cmpacket.profiles._schedule import check_coverage, check_entry_basics

EXAMPLE = (
    "e.g. {key: registry-recheck, title: Health Care Worker Registry re-checked every year, "
    "topic: background-checks, field: staff[].background_check.registry_recheck, "
    "interval_months: 12, check: registry-check-stale, citation: ..., verified: false}"
)
#: the field whose entries a training promise reads (by their `topic`)
TRAINING_LOG = "staff[].training[]"


def promise_entries(
    value: Any, source: str, topics: tuple[dict[str, Any], ...] = ()
) -> tuple[dict[str, Any], ...]:
    """The entries of `promises:` checked, or () when the profile has none. `topics` are the
    profile's policy topics: an entry's `topic` must be one of their keys. Raises ProfileError
    naming the entry and what to write."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProfileError(f"{source}: promises: {value!r} is not a list of entries ({EXAMPLE}).")
    known = {str(t.get("key")) for t in topics if isinstance(t, dict)}
    out = []
    keys: set[str] = set()
    for i, entry in enumerate(value):
        where = f"{source}: promises[{i}]"
        check_entry_basics(
            entry,
            where,
            keys,
            ("key", "title", "topic", "field", "citation"),
            EXAMPLE,
            "staff[].background_check.aps_registry",
        )
        key = entry["key"].strip()
        if known and entry["topic"] not in known:
            raise ProfileError(
                f"{where}.topic: {entry['topic']!r} is not one of the profile's policy topics "
                f"({', '.join(sorted(known))})."
            )
        if not isinstance(entry.get("verified"), bool):
            raise ProfileError(
                f"{where}.verified: give true (the citation was read in rule or statute text) "
                f"or false."
            )
        months = entry.get("interval_months")
        if months is not None and (
            isinstance(months, bool) or not isinstance(months, int) or months < 1
        ):
            raise ProfileError(
                f"{where}.interval_months: {months!r} is not a whole number of months (12 for a "
                f"year); leave it out for a promise kept once, at hire."
            )
        grace = check_coverage(entry, where, "before or at hire")
        words = entry.get("topics")
        if entry["field"] == TRAINING_LOG:
            if not (
                isinstance(words, list)
                and words
                and all(isinstance(w, str) and w.strip() for w in words)
            ):
                raise ProfileError(
                    f"{where}.topics: a training promise lists the words a training log topic "
                    f"shows when it is that training, e.g. [privacy, HIPAA]."
                )
        elif words is not None:
            raise ProfileError(
                f"{where}.topics: only a promise on the training log ({TRAINING_LOG}) reads topics."
            )
        check = entry.get("check")
        if check is not None and (not isinstance(check, str) or not check.strip()):
            raise ProfileError(f"{where}.check: {check!r} is not a finding code.")
        out.append(
            {
                "key": key,
                "title": entry["title"].strip(),
                "topic": entry["topic"],
                "field": entry["field"],
                **({"interval_months": months} if months is not None else {}),
                **({"new_hire_months": grace} if grace else {}),
                "positions": entry.get("positions", "all"),
                **({"topics": [w.strip() for w in words]} if words else {}),
                **({"check": check.strip()} if check else {}),
                "citation": entry["citation"].strip(),
                "verified": entry["verified"],
            }
        )
    return tuple(out)
