"""A small agency using every part of the model, for checking templates without a folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cmpacket.model import _types as t
from cmpacket.model._types import AgencyData


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
