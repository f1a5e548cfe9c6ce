"""The packet's inputs: every file it was made from with its sha256, and their fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cmpacket.model import AgencyData
from cmpacket.plan._pieces import Piece


def packet_inputs(
    data: AgencyData,
    pieces: list[Piece],
    profile_source: Path,
    display: Callable[[Path], str],
    sha256: Callable[[Path], str],
) -> list[dict[str, str]]:
    """The data files, every upload a piece uses and the profile file (when it is a file), sorted
    by the path shown in the manifest."""
    files = {name: data.folder / name for name in data.source_files}
    for piece in pieces:
        if piece.upload is not None:
            files[piece.source] = piece.upload
    if profile_source.is_file():
        files[display(profile_source)] = profile_source
    return [{"path": k, "sha256": sha256(v)} for k, v in sorted(files.items())]


def fingerprint(inputs: list[dict[str, Any]]) -> str:
    """A short hash over every input, shown on the cover."""
    line = "\n".join(f"{i['path']}:{i['sha256']}" for i in inputs)
    return hashlib.sha256(line.encode()).hexdigest()[:16]
