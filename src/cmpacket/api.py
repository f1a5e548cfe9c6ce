"""The library facade the CLI calls: init, validate, build, verify, inspect, diff, templates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cmpacket._dates import resolve_as_of
from cmpacket.errors import PacketError, UsageError
from cmpacket.findings import Report
from cmpacket.validators import Checked, Profile, load_profile

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
    "show_profile",
    "validate",
    "verify",
]


def init(folder: Path) -> list[Path]:
    """Create a new agency folder (see `cmpacket init`)."""
    from cmpacket.model._scaffold import scaffold

    return scaffold(folder)


def check_folder(
    folder: Path,
    *,
    as_of: str | date | None = None,
    strict: bool = False,
    profile: str | None = None,
    template_dirs: tuple[Path, ...] = (),
    limits: dict[str, Any] | None = None,
) -> Checked:
    """Load and validate an agency folder (uploads are inspected, not sanitized); raises
    InputError when it cannot be read at all."""
    from cmpacket.intake import inspect_upload, with_text
    from cmpacket.validators import check, prepare, upload_paths, upload_uses

    prepared = prepare(
        folder, as_of=as_of, profile=profile, template_dirs=template_dirs, limits=limits
    )
    uses = upload_uses(prepared.data) if prepared.data is not None else []
    facts = {
        path: with_text(inspect_upload(path, prepared.limits), path)  # evidence: original's text
        for path in upload_paths(uses)
    }
    return check(prepared, facts, strict=strict, uses=uses)


def validate(folder: Path, **kw: Any) -> Report:
    """Schema and requirement checks; writes nothing."""
    return check_folder(folder, **kw).report


def build(folder: Path, *, out: Path | None = None, quiet: bool = False, **options: Any) -> Any:
    """Validate, render and assemble the packet (see `cmpacket build`); returns a BuildResult."""
    from cmpacket.build import build as run

    return run(folder, out, quiet=quiet, **options)


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
    from cmpacket.verify._evidence import evidence_rows

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
    """Documents added, removed, changed and moved, and data changes, between two packets."""
    from cmpacket.verify._diff import diff_manifests

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
    from cmpacket.render._check import check_all

    return check_all(folder, template_dirs)
