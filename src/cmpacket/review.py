"""The reviewer's door: `verify`, `inspect` and `diff` of received packets, with only what they
need imported (the packet checks, not the build's stages), so a reviewer's command starts in a
fraction of the time a build's does. `api` offers the same functions to library callers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cmpacket.cache import file_sha256
from cmpacket.errors import PacketError
from cmpacket.interrupt import checkpoint
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
    worth_sharing,
)
from cmpacket.workers import Pool

__all__ = ["diff", "inspect", "packet_files", "verify", "verify_limits"]


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
    with Pool(checkpoint=checkpoint) as pool:  # a large file's pages are read on workers
        if any(map(worth_sharing, files)):
            pool.start()  # now, while this process is small: a forked worker starts as large
        if len(files) == 1:
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
