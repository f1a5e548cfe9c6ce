"""Stage 7, verification: the reviewer's checks over a finished packet, one of its parts or all
of them; the build runs the same checks on its own output.

A received packet is untrusted input: streams are decoded in bounded chunks under the caps of
`VerifyLimits`, the manifest is parsed with a bounded parser and checked against a schema, and
every walk over the PDF's structure is bounded (SECURITY.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmpacket.verify._diff import diff_manifests
from cmpacket.verify._evidence import evidence_rows
from cmpacket.verify._lifecycle import Base, check_chain, read_base
from cmpacket.verify._limits import DEFAULT_LIMITS, VerifyLimits, limits_from_options
from cmpacket.verify._manifest import ManifestInvalid
from cmpacket.verify._packet import (
    open_packet,
    page_allowance,
    read_manifest,
    read_sidecar,
    verify_packet,
    verify_source,
)
from cmpacket.verify._pages import worth_sharing
from cmpacket.verify._result import VerifyResult
from cmpacket.verify._set import check_set
from cmpacket.verify._signatures import check_signatures, load_trust
from cmpacket.workers import Pool

__all__ = [
    "Base",
    "check_signatures",
    "load_trust",
    "check_chain",
    "read_base",
    "DEFAULT_LIMITS",
    "ManifestInvalid",
    "VerifyLimits",
    "VerifyResult",
    "diff_manifests",
    "evidence_rows",
    "limits_from_options",
    "open_packet",
    "page_allowance",
    "read_manifest",
    "read_sidecar",
    "verify_packet",
    "verify_parts",
    "verify_source",
    "worth_sharing",
]


def verify_parts(
    files: list[Path],
    sidecar: dict[str, Any] | None = None,
    known: dict[int, str] | None = None,
    limits: VerifyLimits | None = None,
    trust: list[Any] | None = None,
    signatures: bool = True,
    pool: Pool | None = None,
) -> VerifyResult:
    """Verify a packet written as parts: each part alone, then the set (complete, in order,
    contiguous, one packet) and, with the sidecar manifest, each part's sha256. A large part's
    pages are read on `pool`'s workers when given."""
    return check_set(files, sidecar, known or {}, limits, trust, signatures, pool)
