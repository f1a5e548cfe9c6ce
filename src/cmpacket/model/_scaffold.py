"""`cmpacket init`: a commented agency folder that explains every field."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from cmpacket.errors import UsageError
from cmpacket.model._csv import header
from cmpacket.model._load import ROSTER_FILES
from cmpacket.model._scaffold_xlsx import scaffold_positions, write_roster_xlsx

ROSTERS = ("csv", "xlsx")  # what `init --roster` can write


def scaffold(
    folder: Path,
    roster: str = "csv",
    license_types: Sequence[str] = (),
    profile: str = "",
    program: str = "",
) -> list[Path]:
    """Create the folder's files, the roster as staff.csv (a header row) or staff.xlsx (see
    _scaffold_xlsx), agency.yaml naming `profile` (the program applied to; default: the
    guide's checklist); refuses if agency.yaml or any roster exists. Returns what was written."""
    if roster not in ROSTERS:
        raise UsageError(f"--roster {roster}: not a roster init writes. Use one of: csv, xlsx.")
    targets = [folder / "agency.yaml", folder / f"staff.{roster}"]
    existing = [p for p in [targets[0], *(folder / n for n in ROSTER_FILES)] if p.exists()]
    if existing:
        raise UsageError(
            f"{existing[0]}: already exists; init never overwrites.",
            hint="Choose a new folder, or move the existing files away first.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uploads").mkdir(exist_ok=True)
    (folder / "templates").mkdir(exist_ok=True)
    text = resources.files("cmpacket.templates").joinpath("scaffold", "agency.yaml").read_text()
    if profile:
        given = f"profile: {profile}".ljust(len("profile: il-guide             ") - 1)
        text = text.replace("profile: il-guide             ", given + " ", 1)
    if program:  # the program's title, as the cover and the letter name it
        text = text.replace("  program: Case Management Services", f"  program: {program}", 1)
    targets[0].write_text(text, encoding="utf-8")
    if roster == "xlsx":
        write_roster_xlsx(targets[1], scaffold_positions(), license_types)
    else:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(header())
        targets[1].write_text(buf.getvalue(), encoding="utf-8")
    return [*targets, folder / "uploads", folder / "templates"]
