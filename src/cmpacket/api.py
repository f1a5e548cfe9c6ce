"""The library facade the CLI calls: init, validate, build, verify, inspect, diff, templates."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket import calendar as cal
from cmpacket._dates import resolve_as_of
from cmpacket.cache import file_sha256
from cmpacket.errors import CmpacketError, NotReadyError, PacketError, UsageError
from cmpacket.findings import Report
from cmpacket.interrupt import checkpoint
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
from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry
from cmpacket.validators import (
    Checked,
    load_profile,
    obligations,
    prepare,
    run_rules,
    with_responses,
)
from cmpacket.verify import (
    DEFAULT_LIMITS,
    ManifestInvalid,
    VerifyLimits,
    VerifyResult,
    check_chain,
    diff_manifests,
    evidence_rows,
    limits_from_options,
    load_trust,
    open_packet,
    page_allowance,
    read_base,
    read_manifest,
    read_sidecar,
    verify_packet,
    verify_parts,
)
from cmpacket.workers import Pool

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


def packet_files(given: Path | list[Path]) -> list[Path]:
    """The files of a packet: the paths given, or a build's output folder's packet or parts
    (in part order)."""
    paths = [given] if isinstance(given, Path) else list(given)
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        parts = sorted(
            path.glob("*-packet-part-*-of-*.pdf"),
            key=lambda p: int(re.findall(r"-part-(\d+)-of-", p.name)[-1]),
        )
        found = parts or sorted(path.glob("*-packet.pdf"))
        if not found:
            raise PacketError(f"{path}: no packet (*-packet.pdf) or parts in this folder.")
        out += found
    return out


def verify_limits(options: tuple[str, ...] | list[str]) -> VerifyLimits:
    """`verify`'s caps from `--limit NAME=N` options (the defaults for the rest)."""
    return limits_from_options(options)


def verify(
    packet: Path | list[Path],
    *,
    manifest: Path | None = None,
    limits: VerifyLimits | None = None,
    base: Path | None = None,
    trust: list[Path] | None = None,
) -> VerifyResult:
    """The reviewer's integrity and completeness check of a packet, one part of it, or all of
    its parts in order; returns a VerifyResult. `limits`: a verify.VerifyLimits (caps on what an
    untrusted packet may ask; default caps). With `base` (the packet, or its manifest.json, this
    one says it follows), also the chain: the base is the file and sequence recorded, and the
    lifecycle's operations are those the two packets make (`lifecycle-mismatch`). With `trust`
    (certificate files), a digital signature must chain to one of them, else
    `signature-untrusted` (a warning)."""
    roots = load_trust(trust) if trust else None
    result = _verify_files(packet_files(packet), manifest, limits, roots)
    if base is not None and result.manifest is not None:
        check_chain(result.manifest, read_base(base, limits or DEFAULT_LIMITS, check=False), result)
        result.close()
    return result


def _verify_files(
    files: list[Path], manifest: Path | None, limits: VerifyLimits | None, trust: list[Any] | None
) -> VerifyResult:
    pool = Pool(checkpoint=checkpoint)  # a large file's pages are read on workers (forked then)
    if len(files) == 1:
        with pool:
            return verify_packet(files[0], manifest, limits, trust, pool)
    for path in files:
        if not path.is_file():
            raise PacketError(f"{path}: no such file.")
    sidecar = None
    if manifest is not None:
        try:
            pages = sum(map(page_allowance, files))  # the manifest lists every part's pages
            sidecar = read_sidecar(manifest, limits or DEFAULT_LIMITS, pages)
        except ManifestInvalid as exc:
            raise PacketError(f"{manifest}: manifest-invalid: {exc}") from None
    with pool:
        return verify_parts(files, sidecar, limits=limits, trust=trust, pool=pool)


def _manifest_of(packet: Path) -> dict[str, Any]:
    if not packet.is_file():
        raise PacketError(f"{packet}: no such file.")
    with open_packet(packet, packet.name) as pdf:  # read lazily, never whole; bounded parse
        try:
            manifest = read_manifest(pdf)
        except ValueError as exc:
            raise PacketError(
                f"{packet}: manifest-invalid: the embedded manifest is unusable: {exc}"
            ) from None
    if manifest is None:
        raise PacketError(f"{packet}: no embedded manifest.json; not a cmpacket packet.")
    return manifest


def inspect(packet: Path | list[Path]) -> dict[str, Any]:
    """The packet's table of sections, documents and page ranges (and parts), from its embedded
    manifest; any one part carries the whole packet's manifest."""
    files = packet_files(packet)
    m = _manifest_of(files[0])
    for other in files[1:]:
        if _manifest_of(other) != m:
            raise PacketError(f"{other}: not a part of the same packet as {files[0]}.")
    return {
        "file": files[0].name,
        "parts": [
            {k: v for k, v in p.items() if k in ("file", "first_page", "last_page", "bytes")}
            for p in m.get("parts") or []
        ],
        "cmpacket_version": m.get("cmpacket_version"),
        "agency": m.get("agency", {}),
        "profile": m.get("profile"),
        "as_of": m.get("as_of"),
        "draft": m.get("draft"),
        "packet": m.get("packet", {}),
        "findings": m.get("findings", {}),
        "converter": m.get("converter"),
        "input_fingerprint": m.get("input_fingerprint"),
        "evidence": evidence_rows(m),  # proofs read against the data, with staff names
        "sections": [
            {k: v for k, v in s.items() if k != "documents"}
            | {
                "documents": [
                    {k: v for k, v in d.items() if k != "page_sha256"} for d in s["documents"]
                ]
            }
            for s in m.get("sections", [])
        ],
    }


def diff(old: Path, new: Path) -> dict[str, Any]:
    """What changed between two packets of one agency: each document new, replaced, deleted or
    unchanged (the lifecycle's operations, SPEC §16), and the data fields that changed."""
    first = packet_files(old)[0]
    return diff_manifests(
        _manifest_of(first), _manifest_of(packet_files(new)[0]), file_sha256(first)
    )


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
