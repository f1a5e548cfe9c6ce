"""A packet's base (the packet it is one sequence after) read as untrusted input, and the checks
of `verify NEW --base OLD`: the chain of sequences and the lifecycle's operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmpacket import lifecycle
from cmpacket.cache import file_sha256
from cmpacket.errors import PacketError
from cmpacket.verify._limits import DEFAULT_LIMITS, VerifyLimits
from cmpacket.verify._manifest import ManifestInvalid
from cmpacket.verify._packet import (
    open_packet,
    page_allowance,
    read_manifest,
    read_sidecar,
    verify_packet,
)
from cmpacket.verify._result import VerifyResult


@dataclass(frozen=True)
class Base:
    """A base packet: its manifest, the file's sha256 (None when only a manifest was given) and
    what a later sequence records of it (`lifecycle.base`)."""

    file: str
    sha256: str | None
    manifest: dict[str, Any]
    problems: tuple[str, ...] = ()  # why it cannot serve as a base (fails verify, not its sidecar)

    @property
    def sequence(self) -> int:
        got = (self.manifest.get("lifecycle") or {}).get("sequence")
        return got if isinstance(got, int) and got >= 0 else 0

    @property
    def fein(self) -> str | None:
        fein = (self.manifest.get("agency") or {}).get("fein")
        return fein if isinstance(fein, str) else None

    @property
    def record(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256 or (self.manifest.get("packet") or {}).get("sha256"),
            "sequence": self.sequence,
            "fein": self.fein,
        }

    def documents(self) -> list[lifecycle.Document]:
        return lifecycle.documents(self.manifest)


def read_base(
    path: Path,
    limits: VerifyLimits = DEFAULT_LIMITS,
    check: bool = True,
    verified: Callable[[str], bool] | None = None,
) -> Base:
    """The packet (PDF) or manifest (JSON) at `path` as a base. Raises PacketError when it cannot
    be read at all or holds no manifest. With `check`, a PDF is verified, and compared with the
    sidecar manifest.json beside it when there is one; what fails is kept in `problems`.
    `verified(sha256)` says whether these very bytes were verified clean before (a build's own
    check of the packet it wrote): the page-by-page check is then not repeated."""
    if not path.is_file():
        raise PacketError(f"{path}: no such file.")
    if path.suffix.lower() == ".json":
        try:
            # a base given as its manifest alone: no packet to count the pages of, so the
            # caps of the largest packet the page cap allows (VerifyLimits.for_pages)
            sidecar = read_sidecar(path, limits, limits.pages)
        except ManifestInvalid as exc:
            raise PacketError(f"{path}: not a cmpacket manifest ({_first(exc)}).") from None
        return Base(path.name, None, sidecar)
    with open_packet(path, path.name) as pdf:
        try:
            manifest = read_manifest(pdf, limits)
        except ManifestInvalid as exc:
            raise PacketError(
                f"{path}: its embedded manifest is unusable ({_first(exc)})."
            ) from None
    if manifest is None:
        raise PacketError(f"{path}: no embedded manifest; not a cmpacket packet.")
    sha = file_sha256(path)
    problems: list[str] = []
    if check:
        if verified is None or not verified(sha):
            result = verify_packet(path, limits=limits)
            errors = [f for f in result.findings if f.severity == "error"]  # not a mere warning
            problems += [f"it fails verify: [{f.code}] {f.message}" for f in errors[:3]]
        beside = path.parent / "manifest.json"
        if beside.is_file():
            try:
                named = (
                    read_sidecar(beside, limits, page_allowance(path)).get("packet") or {}
                ).get("sha256")
            except (ManifestInvalid, PacketError):
                named = None
            if named and named != sha:
                problems.append(f"it is not the file its sidecar {beside.name} names")
    return Base(path.name, sha, manifest, tuple(problems))


def _first(exc: ManifestInvalid) -> str:
    path, message = exc.problems[0] if exc.problems else ("", "unreadable")
    return f"{path}: {message}" if path else message


def check_chain(manifest: dict[str, Any], base: Base, result: VerifyResult) -> None:
    """`verify NEW --base OLD`: the base is the file and sequence NEW records, every document
    NEW calls unchanged holds the same content in both, and every replaced or deleted document
    is one of the base's (`lifecycle-mismatch`)."""
    life = manifest.get("lifecycle")
    if not isinstance(life, dict):
        result.fail(
            "lifecycle-mismatch",
            "lifecycle",
            "the packet records no lifecycle, so it names no base; build it with --base.",
        )
        return
    recorded = life.get("base") if isinstance(life.get("base"), dict) else None
    if recorded is None:
        result.fail(
            "lifecycle-mismatch",
            "lifecycle.base",
            f"the packet was built without a base, not after {base.file}.",
        )
        return
    if base.sha256 is not None and recorded.get("sha256") != base.sha256:
        result.fail(
            "lifecycle-mismatch",
            "lifecycle.base.sha256",
            f"{base.file} is not the base this packet was built on: its sha256 is "
            f"{base.sha256[:16]}…, the packet records {str(recorded.get('sha256'))[:16]}…. "
            f"It was changed, or it is another packet.",
        )
    if recorded.get("sequence") != base.sequence or life.get("sequence") != base.sequence + 1:
        result.fail(
            "lifecycle-mismatch",
            "lifecycle.sequence",
            f"the packet is sequence {life.get('sequence')!r} after base sequence "
            f"{recorded.get('sequence')!r}, but {base.file} is sequence {base.sequence}.",
        )
    expected = {
        op["key"]: op
        for op in lifecycle.operations(base.documents(), lifecycle.documents(manifest))
    }
    seen: set[str] = set()
    for op in life.get("operations") or []:
        if not isinstance(op, dict):
            continue
        key, said = str(op.get("key")), op.get("operation")
        seen.add(key)
        want = expected.get(key)
        if want is None:
            result.fail(
                "lifecycle-mismatch",
                f"lifecycle: {key}",
                f"the packet says it {said}s {op.get('title')!r}, a document neither it nor "
                f"{base.file} holds.",
            )
        elif want["operation"] != said:
            result.fail(
                "lifecycle-mismatch",
                f"lifecycle: {key}",
                f"{op.get('title')!r} is recorded as {said!r}, but comparing the packet with "
                f"{base.file} makes it {want['operation']!r}.",
            )
    for key in sorted(expected.keys() - seen):
        result.fail(
            "lifecycle-mismatch",
            f"lifecycle: {key}",
            f"{expected[key]['title']!r} ({expected[key]['operation']}) is missing from the "
            f"packet's lifecycle.",
        )
