"""`cmpacket templates check`: render every template against the data model, collect problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cmpacket.errors import CmpacketError, TemplateError
from cmpacket.findings import Report
from cmpacket.model import AgencyData, load_folder
from cmpacket.model import _types as t
from cmpacket.templates import TemplateRegistry
from cmpacket.validators import load_profile


def example_data(folder: Path) -> AgencyData:
    """A small agency using every part of the model, for checking templates without a folder."""
    day = dt.date(2026, 12, 1)
    return AgencyData(
        folder=folder,
        submission=t.Submission(day, "IDHS", "Case Management Services", True),
        agency=t.Agency(
            legal_name="Example Agency, Inc.",
            fein="12-3456789",
            npi="1234567893",
            medicaid=t.MedicaidEnrollment("IMP-1", None, "251B00000X"),
            address=t.Address("1 Main St", "Springfield", "IL", "62701"),
            phone="217-555-0100",
            email="info@example.org",
            counties_served=("Sangamon",),
            authorized_official=t.Person("Alex Doe", "Director"),
            owners=(t.Owner("Board", 100.0),),
        ),
        positions=(t.Position("case-manager", "Case Manager", "Director", direct_care=True),),
        staff=(
            t.Staff(
                "S-1",
                "Sam Roe",
                "case-manager",
                day,
                1.0,
                degrees=(t.Degree("bachelor", "social work", "UIS", 2020),),
                licenses=(t.License("LSW", "150.1", "IL", day, "uploads/x.pdf"),),
                background_check=t.BackgroundCheck(day, day, "clear"),
                training=(t.TrainingEntry(day, 12.0, "Orientation", "Agency"),),
                caseload=20,
            ),
        ),
        policies=t.Policies(day, "217-555-0199", "on-call supervisor", "monthly"),
        service_settings=(t.ServiceSetting("home", "Home visits", "Check-ins"),),
        records_system=t.RecordsSystem(
            "EHR",
            "electronic",
            "cloud",
            "role-based",
            True,
            True,
            "nightly",
            7,
            "shred",
            "written authorization",
            "S-1",
        ),
        agreement=t.Agreement(
            "Illinois Department of Human Services", None, day, 12, t.Person("Alex Doe", "Director")
        ),
    )


def check_all(folder: Path | None, template_dirs: tuple[Path, ...] = ()) -> list[str]:
    """Render every template with the context a build would give it (the agency's data, else an
    example agency); returns one message per problem."""
    from cmpacket.plan import plan
    from cmpacket.render import build_context, policy_chapters, render_docx, render_template

    registry = TemplateRegistry.for_agency(folder, template_dirs)
    data = None
    if folder is not None:
        try:
            data = load_folder(folder).data
        except CmpacketError:
            data = None
    data = data or example_data(folder or Path.cwd())
    profile = load_profile(data.profile if data.profile else "il-guide", base=data.folder)
    report = Report(data.submission.date or dt.date(2026, 12, 1), profile.name)
    pieces = plan(data)
    context = build_context(
        data, profile, report, pieces, registry, draft=False, fingerprint="0" * 16, chapters=False
    )
    problems: list[str] = []
    try:
        context["chapters"] = policy_chapters(registry, context)
    except TemplateError as exc:
        problems.append(str(exc))
    context.update(_extras(context))
    for name in registry.names():
        if not name.endswith((".html.j2", ".txt.j2", ".docx")):
            continue
        try:
            if name.endswith(".docx"):
                render_docx(registry, name, context)
            else:
                render_template(registry, name, context)
        except TemplateError as exc:
            problems.append(str(exc))
    return problems


def _extras(context: dict[str, Any]) -> dict[str, Any]:
    """Variables only some documents receive: a job description's `position`, a roster part's
    `chunk`, a draft placeholder's `placeholder`, a part cover's `part` (see docs/templates.md)."""
    return {
        "position": context["positions"][0] if context["positions"] else {},
        "chunk": {"first": True, "heading": True, "total": len(context["staff"])},
        "placeholder": {"title": "Upload", "file": "uploads/x.pdf", "reason": "missing"},
        "part": {
            "number": 1,
            "file": "agency-packet-part-1-of-2.pdf",
            "ref": "part/1",
            "begins": "Cover sheet",
            "note": "",
        },
    }
