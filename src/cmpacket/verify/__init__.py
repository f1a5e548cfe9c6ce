"""Stage 7, verification: the reviewer's checks over a finished packet, one of its parts or all
of them; the build runs the same checks on its own output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmpacket.verify._packet import (
    VerifyResult,
    file_sha256,
    open_packet,
    read_manifest,
    verify_packet,
    verify_source,
)

__all__ = [
    "VerifyResult",
    "file_sha256",
    "open_packet",
    "read_manifest",
    "verify_packet",
    "verify_parts",
    "verify_source",
]


def verify_parts(
    files: list[Path], sidecar: dict[str, Any] | None = None, known: dict[int, str] | None = None
) -> VerifyResult:
    """Verify a packet written as parts: each part alone, then the set (complete, in order,
    contiguous, one packet) and, with the sidecar manifest, each part's sha256."""
    from cmpacket.verify._set import check_set

    return check_set(files, sidecar, known or {})
