"""Validation of a folder in two halves around intake: `prepare` (load the data and the profile,
settle the as-of date and limits) and `check` (run the rules over the data and upload facts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket import profiles
from cmpacket._dates import resolve_as_of
from cmpacket.errors import ProfileError
from cmpacket.findings import Finding, Report
from cmpacket.intake import UploadFacts, engine
from cmpacket.model import AgencyData, is_field, load_folder
from cmpacket.profiles import Profile
from cmpacket.receivers import Receiver
from cmpacket.templates import TemplateRegistry
from cmpacket.validators._evidence import proof_evidence, remember_payloads
from cmpacket.validators._fit import fit_findings
from cmpacket.validators._obligations import obligations
from cmpacket.validators._registry import RULES, Context
from cmpacket.validators._rules_agency import PROGRAM_NOT_NAMED
from cmpacket.validators._rules_staff import staff_facts
from cmpacket.validators._rules_uploads import UploadUse


def load_profile(ref: str, base: Path | None = None) -> Profile:
    """A built-in profile by name, or a profile file (relative to `base`), whose every rule is
    one these validators run, and whose every promise names a field of the agency data and, where
    it names one, a rule these validators run."""
    profile = profiles.load_profile(ref, base, codes=RULES)
    for i, promise in enumerate(profile.promises):
        where = f"{profile.source}: promises[{i}] ({promise['key']})"
        if not is_field(promise["field"]):
            raise ProfileError(
                f"{where}.field: {promise['field']!r} is not a field of the agency data.",
                hint="Write the path as in agency.yaml, e.g. staff[].background_check.aps_registry "
                "(docs/data-format.md lists the fields).",
            )
        if promise.get("check") and promise["check"] not in RULES:
            raise ProfileError(
                f"{where}.check: unknown finding code {promise['check']!r}.",
                hint=f"Known codes: {', '.join(sorted(RULES))}.",
            )
    return profile


@dataclass(frozen=True)
class Prepared:
    """A loaded folder before its rules run: `data` is None when the schema failed."""

    data: AgencyData | None
    profile: Profile | None
    as_of: date
    limits: dict[str, Any]
    template_roots: tuple[Path, ...]
    findings: tuple[Finding, ...]  # from loading (schema errors, unknown fields)
    profile_name: str
    # where the user wrote the data at a finding's path (`Loaded.locate`): the loader's map
    locate: Callable[[str], str] = field(default=lambda path: "")


@dataclass(frozen=True)
class Checked:
    """A loaded, validated agency: `data` and `profile` are None when the schema failed."""

    data: AgencyData | None
    profile: Profile | None
    report: Report
    limits: dict[str, Any]


def prepare(
    folder: Path,
    *,
    as_of: str | date | None = None,
    profile: str | None = None,
    template_dirs: tuple[Path, ...] = (),
    limits: dict[str, Any] | None = None,
) -> Prepared:
    """Load the folder and its profile; raises InputError when it cannot be read at all."""

    loaded = load_folder(folder)
    day = resolve_as_of(as_of, loaded.raw)
    if loaded.data is None:
        name = Path(str(loaded.raw.get("profile") or profile or "il-guide")).stem
        return Prepared(None, None, day, {}, (), tuple(loaded.findings), name, loaded.locate)
    prof = load_profile(profile or loaded.data.profile, base=loaded.data.folder)
    roots = TemplateRegistry.for_agency(loaded.data.folder, template_dirs).roots
    given = {k: v for k, v in (limits or {}).items() if v}
    return Prepared(
        loaded.data,
        prof,
        day,
        {**prof.limits, **given},
        tuple(roots),
        tuple(loaded.findings),
        prof.name,
        loaded.locate,
    )


def upload_paths(uses: list[UploadUse]) -> list[Path]:
    """Every distinct upload the data refers to that exists inside the folder, in data order."""
    seen: dict[Path, None] = {}
    for use in uses:
        if use.ref.path is not None:
            seen.setdefault(use.ref.path)
    return list(seen)


def check(
    prepared: Prepared,
    uploads: dict[Path, UploadFacts] | None = None,
    *,
    strict: bool = False,
    uses: list[UploadUse] | None = None,
    receiver: Receiver | None = None,
    ocr: str = "auto",
    sizes: dict[Path, int] | None = None,
    matches: dict[Path, tuple[tuple[Any, Any], ...]] | None = None,
) -> Checked:
    """Run the profile's rules over the data and the facts intake found in each upload;
    `matches` are the proofs' matches intake already made (`match_payload`, by upload)."""
    for path, found in (matches or {}).items():
        facts = (uploads or {}).get(path)
        if found and facts is not None:
            remember_payloads(tuple(facts.text), found)
    if prepared.data is None or prepared.profile is None:
        report = Report(prepared.as_of, prepared.profile_name, prepared.findings, strict)
        return Checked(None, None, report, prepared.limits)
    extra = list(prepared.findings)
    if receiver is not None:
        folder = prepared.data.folder.resolve()
        shown = {
            p: p.relative_to(folder).as_posix() for p in (uploads or {}) if p.is_relative_to(folder)
        }
        active = ocr != "never" and engine() is not None
        extra += fit_findings(receiver, uploads or {}, shown, active, sizes)
    report = run_rules(
        prepared.data,
        prepared.profile,
        prepared.as_of,
        extra=extra,
        strict=strict,
        template_roots=list(prepared.template_roots),
        limits=prepared.limits,
        uploads=uploads,
        uses=uses,
        ocr=ocr,
        locate=prepared.locate,
    )
    return Checked(prepared.data, prepared.profile, report, prepared.limits)


def run_rules(
    data: AgencyData,
    profile: Profile,
    as_of: date,
    *,
    extra: Iterable[Finding] = (),
    strict: bool = False,
    template_roots: list[Path] | None = None,
    limits: dict[str, Any] | None = None,
    uploads: dict[Path, UploadFacts] | None = None,
    uses: list[UploadUse] | None = None,
    ocr: str = "auto",
    locate: Callable[[str], str] | None = None,
) -> Report:
    """Run every rule the profile enables over the data and what intake found in the uploads;
    returns the report with all findings collected, each finding on a data path with the place
    the user wrote it (`locate`, the loader's map: agency.yaml line, roster row or cell)."""
    ctx = Context(
        data,
        as_of,
        profile,
        uploads=dict(uploads or {}),
        limits={**profile.limits, **(limits or {})},
        template_roots=list(template_roots or []),
        uses=uses,
        ocr=ocr,
    )
    findings = list(extra)
    if profile.rule("program-not-named") is None:  # every profile, listed in its rules or not
        findings.extend(RULES["program-not-named"](ctx, PROGRAM_NOT_NAMED))
    for spec in profile.rules:
        findings.extend(RULES[spec.code](ctx, spec))
    return Report(
        as_of=as_of,
        profile=profile.name,
        findings=located(findings, locate),
        strict=strict,
        evidence=proof_evidence(ctx),
        staff=staff_facts(data, profile, as_of),
        obligations=obligations(data, profile, as_of),
    )


def located(
    findings: Iterable[Finding], locate: Callable[[str], str] | None
) -> tuple[Finding, ...]:
    """The findings, each one without a location given the place of its path (each path looked
    up once); a path that names no data (an upload's file name, `packet`) stays without one."""
    if locate is None:
        return tuple(findings)
    known: dict[str, str] = {}
    out = []
    for f in findings:
        if not f.location:
            if f.path not in known:
                known[f.path] = locate(f.path)
            if known[f.path]:
                f = f.at(known[f.path])
        out.append(f)
    return tuple(out)
