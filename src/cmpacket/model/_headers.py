"""Roster sheet headers matched to the `staff.csv` columns (ignoring case, spaces and punctuation,
with the aliases of roster-aliases.yaml), and what each column holds: a date, a number or text."""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cmpacket.model import _fields
from cmpacket.model._csv import GROUPS, NESTED, OBJECTS, SCALARS
from cmpacket.model._schema import StaffSchema

_NUMBERED = re.compile(r"^(degree|license|training|document|role)(\d+)_(\w+)$")


def normalize(text: str) -> str:
    """'License #' -> 'licensenumber', 'Hire Date' -> 'hiredate'."""
    return re.sub(r"[^0-9a-z]", "", text.casefold().replace("#", " number "))


@cache
def fixed_columns() -> dict[str, str]:
    """Normalized name -> column, for every column that is not numbered."""
    cols = [*SCALARS, *(f"{p}_{n}" for p, (_, names) in OBJECTS.items() for n in names)]
    return {normalize(c): c for c in cols}


@cache
def aliases() -> dict[str, str]:
    """Normalized alias -> column, from roster-aliases.yaml."""
    text = resources.files("cmpacket.model").joinpath("roster-aliases.yaml").read_text()
    table: dict[str, list[str]] = yaml.safe_load(text)
    return {normalize(alias): col for col, names in table.items() for alias in names}


@cache
def _group_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """'license' + optional number + field + optional number: `License 2 Type`, `License Type 2`,
    `license2type`; without a number it is group 1."""
    out = []
    for prefix, (_, names) in GROUPS.items():
        fields = "|".join(sorted((normalize(n) for n in names), key=len, reverse=True))
        out.append((prefix, re.compile(rf"^{prefix}(\d*)({fields})(\d*)$")))
    return out


def canonical(header: str) -> str | None:
    """The `staff.csv` column a header names, or None."""
    key = normalize(header)
    if not key:
        return None
    found = fixed_columns().get(key) or aliases().get(key)
    if found:
        return found
    for prefix, pattern in _group_patterns():
        m = pattern.match(key)
        if m and not (m.group(1) and m.group(3)):
            n = int(m.group(1) or m.group(3) or "1")
            field = next(f for f in GROUPS[prefix][1] if normalize(f) == m.group(2))
            return f"{prefix}{n}_{field}" if n >= 1 else None
    return None


def suggest(header: str) -> str:
    """' Did you mean 'hire_date'?' for a header close to a column's name or alias, else ''."""
    known = {**fixed_columns(), **aliases()}
    known.update({normalize(p + f): f"{p}1_{f}" for p, (_, names) in GROUPS.items() for f in names})
    close = difflib.get_close_matches(normalize(header), list(known), n=1, cutoff=0.75)
    return f" Did you mean {known[close[0]]!r}?" if close else ""


@cache
def column_kind(col: str) -> str:
    """'date', 'number' or 'text': how the staff schema reads the column."""
    field = _schema_field(col)
    if isinstance(field, _fields.IsoDate):
        return "date"
    if isinstance(field, _fields.Whole | _fields.Number):
        return "number"
    return "text"


def _schema_field(col: str) -> Any:

    staff: dict[str, Any] = dict(StaffSchema().fields)  # Nested .schema, List .inner
    if col in SCALARS:
        return staff[col]
    for prefix, (key, names) in OBJECTS.items():
        if col.startswith(prefix + "_") and col[len(prefix) + 1 :] in names:
            return _named(staff[key].schema.fields, col[len(prefix) + 1 :])
    m = _NUMBERED.match(col)
    if m is None:
        return None
    *outer, key = GROUPS[m.group(1)][0].split(".")
    fields = staff
    for part in outer:
        fields = fields[part].schema.fields
    return _named(fields[key].inner.schema.fields, m.group(3))


def _named(fields: dict[str, Any], name: str) -> Any:
    """The schema field a column's name gives: one level down for NESTED names, and by the
    name the data spells (`from:`, declared as `start`)."""
    if name in NESTED:
        outer, inner = NESTED[name]
        return fields[outer].schema.fields[inner]
    return next((f for n, f in fields.items() if (f.data_key or n) == name), None)
