"""The library facade the CLI calls: init, validate, build, verify, inspect, diff, templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket._dates import parse_date, today
from cmpacket.errors import PacketError, UsageError
from cmpacket.findings import Report
from cmpacket.model import AgencyData, load_folder
from cmpacket.validators import Profile, load_profile, run_rules

__all__ = [
    "Checked",
    "build",
    "check_folder",
    "check_templates",
    "diff",
    "export_template",
    "init",
    "inspect",
    "list_profiles",
    "list_templates",
    "resolve_as_of",
    "serve",
    "show_profile",
    "validate",
    "verify",
]


@dataclass
class Checked:
    """A loaded, validated agency: `data` is None when the schema failed."""

    data: AgencyData | None
    profile: Profile | None
    report: Report
    limits: dict[str, Any] | None = None


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
    limits: dict[str, Any] | None = None,
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
    limits = {**prof.limits, **{k: v for k, v in (limits or {}).items() if v}}
    report = run_rules(
        loaded.data,
        prof,
        day,
        extra=loaded.findings,
        strict=strict,
        template_roots=roots,
        cache=cache,
        limits=limits,
    )
    return Checked(loaded.data, prof, report, limits)


def validate(folder: Path, **kw: Any) -> Report:
    """Schema and requirement checks; writes nothing."""
    return check_folder(folder, **kw).report


def build(folder: Path, *, out: Path | None = None, quiet: bool = False, **options: Any) -> Any:
    """Validate, render and assemble the packet (see `cmpacket build`); returns a BuildResult."""
    from cmpacket._pipeline import build as run

    return run(folder, out, quiet=quiet, **options)


def serve(folder: Path, **options: Any) -> None:
    """The live preview (see `cmpacket serve`): runs until Ctrl-C; needs the `serve` extra."""
    from cmpacket.serve import run

    run(folder, **options)


def verify(packet: Path, *, manifest: Path | None = None) -> Any:
    """The reviewer's integrity and completeness check; returns a VerifyResult."""
    from cmpacket.verify import verify_packet

    return verify_packet(packet, manifest)


def _manifest_of(packet: Path) -> dict[str, Any]:
    from cmpacket.verify import open_packet, read_manifest

    if not packet.is_file():
        raise PacketError(f"{packet}: no such file.")
    with open_packet(packet.read_bytes(), packet.name) as pdf:
        try:
            manifest = read_manifest(pdf)
        except ValueError as exc:
            raise PacketError(f"{packet}: the embedded manifest does not parse ({exc}).") from None
    if manifest is None:
        raise PacketError(f"{packet}: no embedded manifest.json; not a cmpacket packet.")
    return manifest


def inspect(packet: Path) -> dict[str, Any]:
    """The packet's table of sections, documents and page ranges, from its embedded manifest."""
    m = _manifest_of(packet)
    return {
        "file": packet.name,
        "cmpacket_version": m.get("cmpacket_version"),
        "agency": m.get("agency", {}),
        "profile": m.get("profile"),
        "as_of": m.get("as_of"),
        "draft": m.get("draft"),
        "packet": m.get("packet", {}),
        "findings": m.get("findings", {}),
        "converter": m.get("converter"),
        "input_fingerprint": m.get("input_fingerprint"),
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
    """Documents added, removed, changed and moved, and data changes, between two packets."""
    from cmpacket._diff import diff_manifests

    return diff_manifests(_manifest_of(old), _manifest_of(new))


def list_profiles() -> list[Profile]:
    from cmpacket.validators import BUILTIN

    return [load_profile(name) for name in BUILTIN]


def show_profile(name: str) -> Profile:
    return load_profile(name, base=Path.cwd())


def list_templates(
    folder: Path | None, template_dirs: tuple[Path, ...] = ()
) -> list[dict[str, Any]]:
    """Every template name, the root whose file wins, and the roots it shadows."""
    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

    registry = TemplateRegistry.for_agency(folder, template_dirs)
    rows = []
    for name, roots in registry.names().items():
        label = ["built-in" if r == BUILTIN_ROOT.resolve() else str(r / name) for r in roots]
        rows.append({"name": name, "winner": label[0], "shadowed": label[1:]})
    return rows


def export_template(name: str, dest: Path) -> Path:
    """Copy a built-in template to DEST (a file, or a folder keeping the relative name)."""
    import shutil

    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

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
    """Render every template against the data model; returns one message per problem."""
    from cmpacket._template_check import check_all

    return check_all(folder, template_dirs)
