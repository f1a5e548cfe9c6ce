"""The library facade the CLI calls: init, validate, build, verify, inspect, diff, templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket._dates import parse_date, today
from cmpacket.errors import InputError
from cmpacket.findings import Finding, Report
from cmpacket.model import AgencyData, load_folder
from cmpacket.validators import Profile, load_profile, run_rules

__all__ = ["Checked", "check_folder", "init", "resolve_as_of", "validate"]


@dataclass
class Checked:
    """A loaded, validated agency: `data` is None when the schema failed."""

    data: AgencyData | None
    profile: Profile | None
    report: Report


def init(folder: Path) -> list[Path]:
    """Create a new agency folder (see `cmpacket init`)."""
    from cmpacket._scaffold import scaffold

    return scaffold(folder)


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


def check_folder(
    folder: Path,
    *,
    as_of: str | date | None = None,
    strict: bool = False,
    profile: str | None = None,
    template_dirs: tuple[Path, ...] = (),
    cache: dict[str, Any] | None = None,
) -> Checked:
    """Load and validate an agency folder; raises InputError when it cannot be read at all."""
    loaded = load_folder(folder)
    day = resolve_as_of(as_of, loaded.raw)
    if loaded.data is None:
        name = str(loaded.raw.get("profile") or profile or "il-guide")
        report = Report(day, Path(name).stem, tuple(loaded.findings), strict)
        return Checked(None, None, report)
    ref = profile or loaded.data.profile
    prof = load_profile(ref, base=loaded.data.folder)
    from cmpacket.templates import TemplateRegistry

    roots = TemplateRegistry.for_agency(loaded.data.folder, template_dirs).roots
    report = run_rules(
        loaded.data,
        prof,
        day,
        extra=loaded.findings,
        strict=strict,
        template_roots=roots,
        cache=cache,
    )
    return Checked(loaded.data, prof, report)


def validate(folder: Path, **kw: Any) -> Report:
    """Schema and requirement checks; writes nothing."""
    return check_folder(folder, **kw).report


def schema_only_findings(folder: Path) -> list[Finding]:
    loaded = load_folder(folder)
    if not loaded.raw:
        raise InputError(f"{folder}: agency file is empty.")
    return loaded.findings
