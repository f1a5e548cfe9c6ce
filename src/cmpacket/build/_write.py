"""The build's last stage: every output written into OUT together, or nothing at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    cache_hits: int = 0
    rebuilt: list[str] = field(default_factory=list)  # what was made afresh (cache misses)


def write_outputs(
    out: Path, packet: Path, manifest: dict[str, Any], report: Report, docx: dict[str, bytes]
) -> Path:
    """Write into a staging folder inside OUT, then move each file into place; returns the
    packet's path in OUT."""
    from cmpacket.assemble import manifest_json

    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".cmpacket-", dir=out))
    try:
        name = manifest["packet"]["file"]
        shutil.copyfile(packet, stage / name)
        (stage / "manifest.json").write_bytes(manifest_json(manifest))
        readiness = json.dumps(report.as_dict(), indent=2, sort_keys=True, ensure_ascii=False)
        (stage / "readiness.json").write_text(readiness + "\n", encoding="utf-8")
        docs = stage / "documents"
        docs.mkdir()
        for doc_name, blob in sorted(docx.items()):
            (docs / doc_name).write_bytes(blob)
        # Ctrl-C is deferred (see _interrupt): the moves below always complete together
        for stale in out.glob("*-packet.pdf"):
            if stale.name != name:
                stale.unlink()
        for fname in (name, "manifest.json", "readiness.json"):
            os.replace(stage / fname, out / fname)
        old = out / "documents"
        if old.exists():
            os.replace(old, stage / "old-documents")
        os.replace(docs, old)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out / name
