"""The library facade the CLI calls: init, validate, build, verify, inspect, diff, templates."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket import calendar as cal
from cmpacket._dates import resolve_as_of
from cmpacket.errors import CmpacketError, NotReadyError, UsageError
from cmpacket.findings import Report
from cmpacket.model import example_data, load_folder, scaffold
from cmpacket.pipeline import (
    PASSWORD_ENV,
    BuildResult,
    Options,
    RespondResult,
    check_responses,
    env_password,
)
from cmpacket.pipeline import build as run_pipeline
from cmpacket.pipeline import check as check_pipeline
from cmpacket.pipeline import respond as run_respond
from cmpacket.profiles import BUILTIN as PROFILES
from cmpacket.profiles import Profile, license_table
from cmpacket.receivers import BUILTIN as RECEIVERS
from cmpacket.receivers import Receiver, load_receiver
from cmpacket.render import check_all
from cmpacket.review import diff, inspect, packet_files, verify, verify_limits
from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry
from cmpacket.validators import (
    Checked,
    load_profile,
    obligations,
    prepare,
    run_rules,
    with_responses,
)

__all__ = [
    "PASSWORD_ENV",
    "env_password",
    "BuildResult",
    "Checked",
    "Options",
    "RespondResult",
    "build",
    "calendar",
    "check_folder",
    "check_templates",
    "diff",
    "export_template",
    "init",
    "inspect",
    "list_profiles",
    "list_receivers",
    "packet_files",
    "list_templates",
    "resolve_as_of",
    "respond",
    "show_profile",
    "show_receiver",
    "validate",
    "verify",
    "verify_limits",
]


def init(folder: Path, roster: str = "csv", program: str | None = None) -> list[Path]:
    """Create a new agency folder (see `cmpacket init`); `roster` is "csv" or "xlsx";
    `program` the built-in profile of the program applied to (one of `programs()`)."""
    types: tuple[str, ...] = ()
    if roster == "xlsx":  # the drop-down list of license types: the built-in license table
        types = tuple(license_table("il-licenses", "il-licenses")["types"])
    known = programs()
    if program is not None and program not in known:
        raise UsageError(
            f"--program {program}: not a program a packet can be routed to.",
            hint=f"Use one of: {', '.join(known)}.",
        )
    title = load_profile(program).program["title"] if program else ""
    return scaffold(
        folder, roster=roster, license_types=types, profile=program or "", program=title
    )


def programs() -> dict[str, str]:
    """The built-in profiles that name a program the Department routes (`program.routable`):
    profile name -> the program's title, citation and division, for `init --program`."""
    out = {}
    for profile in list_profiles():
        p = profile.program
        if p.get("routable"):
            out[profile.name] = f"{p['title']} ({p['citation']}), {p['division']}"
    return out


def check_folder(
    folder: Path,
    *,
    as_of: str | date | None = None,
    strict: bool = False,
    profile: str | None = None,
    template_dirs: tuple[Path, ...] = (),
    limits: dict[str, Any] | None = None,
    receiver: str | None = None,
    ocr: str | None = None,
    quiet: bool = True,
) -> Checked:
    """Load and validate an agency folder as `build` does before it renders (its intake, OCR,
    proofs' text and cache; `ocr="never"` skips OCR), and with a receiver whether the uploads
    can fit it; raises InputError when it cannot be read at all. Progress on stderr unless
    `quiet`."""
    options = Options(
        as_of=as_of,
        strict=strict,
        profile=profile,
        template_dirs=template_dirs,
        limits=limits or {},
        receiver=receiver,
        ocr=ocr,
        quiet=quiet,
    )
    checked = check_pipeline(folder, options)
    if checked.data is None or checked.profile is None:
        return checked
    # every response to the Department is checked too, with its base packet
    found, responses = check_responses(checked.data, checked.profile, checked.report.as_of)
    report = with_responses(checked.report.with_findings(tuple(found)), checked.data, responses)
    return replace(checked, report=report)


def validate(folder: Path, **kw: Any) -> Report:
    """Schema and requirement checks; writes nothing."""
    return check_folder(folder, **kw).report


def calendar(
    folder: Path,
    *,
    as_of: str | date | None = None,
    months: int = 18,
    fmt: str = "ics",
    profile: str | None = None,
    out: Path | None = None,
) -> cal.CalendarFile:
    """The compliance calendar (see `cmpacket calendar`): every dated obligation the data implies
    within `months` of the as-of date, and every overdue one, as `fmt` (ics, csv or json); the
    same obligations the readiness report lists. With `out`, also written there atomically.
    Uploads are not read: the dates come from the data alone."""
    if months < 1:
        raise UsageError(f"--months {months}: give a horizon of at least 1 month.")
    prepared = prepare(folder, as_of=as_of, profile=profile)
    data, prof = prepared.data, prepared.profile
    if data is None or prof is None:
        report = Report(prepared.as_of, prepared.profile_name, prepared.findings)
        raise NotReadyError(
            "the agency data has schema errors, so its dates cannot be trusted; no calendar was "
            "made. Fix them (cmpacket validate lists them).",
            report,
        )
    _, responses = check_responses(data, prof, prepared.as_of, bases=False)
    listed = obligations(data, prof, prepared.as_of, responses)
    agency = cal.agency_identity(data.agency.fein, data.agency.legal_name, str(data.folder))
    events = cal.events(listed, agency, prepared.as_of, months)
    made = cal.make(events, fmt, name=data.agency.display_name, as_of=prepared.as_of, months=months)
    if out is not None:
        cal.write_atomic(out, made.data)
    return made


def build(folder: Path, options: Options | None = None, *, out: Path | None = None) -> BuildResult:
    """Validate, render and assemble the packet (see `cmpacket build`) into `out` (default
    FOLDER/out); nothing is written unless every step succeeds."""
    return run_pipeline(folder, options, out=out)


def respond(
    folder: Path, response: Path, options: Options | None = None, *, out: Path | None = None
) -> RespondResult:
    """Answer a letter of the Department (see `cmpacket respond`): the cumulative packet and the
    response packet into `out` (default FOLDER/out); nothing is written unless both succeed."""
    return run_respond(folder, response, options, out=out)


def list_receivers() -> list[Receiver]:
    return [load_receiver(name) for name in RECEIVERS]


def show_receiver(name: str) -> Receiver:
    return load_receiver(name, base=Path.cwd())


def list_profiles() -> list[Profile]:
    return [load_profile(name) for name in PROFILES]


def show_profile(name: str) -> Profile:
    return load_profile(name, base=Path.cwd())


def list_templates(
    folder: Path | None, template_dirs: tuple[Path, ...] = ()
) -> list[dict[str, Any]]:
    """Every template name, the root whose file wins, and the roots it shadows."""
    registry = TemplateRegistry.for_agency(folder, template_dirs)
    rows = []
    for name, roots in registry.names().items():
        label = ["built-in" if r == BUILTIN_ROOT.resolve() else str(r / name) for r in roots]
        rows.append({"name": name, "winner": label[0], "shadowed": label[1:]})
    return rows


def export_template(name: str, dest: Path) -> Path:
    """Copy a built-in template to DEST (a file, or a folder keeping the relative name)."""
    registry = TemplateRegistry([BUILTIN_ROOT])
    if not registry.exists(name):
        names = ", ".join(registry.names())
        raise UsageError(f"no built-in template {name!r}.", hint=f"Template names: {names}.")
    target = dest / name if dest.is_dir() or str(dest).endswith(("/", "\\")) else dest
    if target.exists():
        raise UsageError(f"{target}: already exists; export never overwrites.")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(registry.find(name).path, target)
    return target


def check_templates(folder: Path | None, template_dirs: tuple[Path, ...] = ()) -> list[str]:
    """Render every template with the agency's data (else an example agency) and what the rules
    make of it; returns one message per problem."""
    data = None
    if folder is not None:
        try:
            data = load_folder(folder).data
        except CmpacketError:
            data = None
    data = data or example_data(folder or Path.cwd())
    profile = load_profile(data.profile or "il-guide", base=data.folder)
    as_of = data.submission.date or resolve_as_of(None, {})
    report = run_rules(data, profile, as_of)
    return check_all(TemplateRegistry.for_agency(folder, template_dirs), data, profile, report)
