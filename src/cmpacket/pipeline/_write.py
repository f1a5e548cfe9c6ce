"""The build's last stage: every output written into OUT together, or nothing at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket._json import write as write_json
from cmpacket.findings import Report


@dataclass
class BuildResult:
    """What a build wrote."""

    out: Path
    packet: Path
    manifest: Path
    readiness: Path
    documents: list[Path]
    pages: int
    draft: bool
    parts: list[Path] = field(default_factory=list)  # the part files, when written as parts
    cache_hits: int = 0
    rebuilt: list[str] = field(default_factory=list)  # what was made afresh (cache misses)
    report: Report | None = None  # the findings (readiness.json), for the summary a build ends with
    # a line per proof whose text contradicts the data: a final build's last lines on stderr
    contradicted: list[str] = field(default_factory=list)


Extra = dict[str, Path | bytes]  # more files for OUT: name -> a file to copy, or its bytes


def write_outputs(
    out: Path,
    files: list[Path],
    manifest: dict[str, Any],
    report: Report,
    docx: dict[str, bytes],
    extra: Extra | None = None,
) -> list[Path]:
    """Write into a staging folder inside OUT, then move each file into place; returns the
    packet's file (or its parts') paths in OUT. `extra` files (a response packet and its
    manifest) are written beside them, in the same move."""
    extra = extra or {}
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".cmpacket-", dir=out))
    try:
        names = [f.name for f in files]
        for f in files:
            shutil.copyfile(f, stage / f.name)
        write_json(manifest, stage / "manifest.json")  # the text manifest_json gives
        write_json(report.as_dict(), stage / "readiness.json")
        docs = stage / "documents"
        docs.mkdir()
        for doc_name, blob in sorted(docx.items()):
            (docs / doc_name).write_bytes(blob)
        for name, source in sorted(extra.items()):
            if isinstance(source, Path):
                shutil.copyfile(source, stage / name)
            else:
                (stage / name).write_bytes(source)
        # Ctrl-C is deferred (see _interrupt): the moves below always complete together
        for stale in [*out.glob("*-packet.pdf"), *out.glob("*-packet-part-*-of-*.pdf")]:
            if stale.name not in names:
                stale.unlink()
        for fname in (*names, "manifest.json", "readiness.json", *sorted(extra)):
            os.replace(stage / fname, out / fname)
        old = out / "documents"
        if old.exists():
            os.replace(old, stage / "old-documents")
        os.replace(docs, old)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / name for name in names]
