"""`cmpacket init`: a commented agency folder that explains every field."""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from cmpacket.errors import UsageError
from cmpacket.model._csv import header as staff_csv_header


def scaffold(folder: Path) -> list[Path]:
    """Create the folder's files; refuses if any of them exists. Returns what was written."""
    targets = [folder / "agency.yaml", folder / "staff.csv"]
    existing = [p for p in targets if p.exists()]
    if existing:
        raise UsageError(
            f"{existing[0]}: already exists; init never overwrites.",
            hint="Choose a new folder, or move the existing files away first.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uploads").mkdir(exist_ok=True)
    (folder / "templates").mkdir(exist_ok=True)
    text = resources.files("cmpacket.templates").joinpath("scaffold", "agency.yaml").read_text()
    targets[0].write_text(text, encoding="utf-8")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(staff_csv_header())
    targets[1].write_text(buf.getvalue(), encoding="utf-8")
    return [*targets, folder / "uploads", folder / "templates"]
