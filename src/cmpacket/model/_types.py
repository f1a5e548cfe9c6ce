"""The agency data model: frozen dataclasses, one per part of `agency.yaml` (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Address:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None

    def one_line(self) -> str:
        parts = [self.street, self.city, " ".join(p for p in (self.state, self.zip) if p)]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Person:
    name: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ExclusionCheck:
    """A search of the federal and state exclusion lists (LEIE, SAM, HFS-OIG) for one person."""

    date: date | None = None
    lists: tuple[str, ...] = ()
    file: str | None = None


@dataclass(frozen=True)
class Owner:
    name: str | None = None
    percent: float | None = None
    exclusion_check: ExclusionCheck | None = None


@dataclass(frozen=True)
class BoardMember:
    """A director or officer of the agency, by name (a person, never the board as a whole)."""

    name: str | None = None
    title: str | None = None
    exclusion_check: ExclusionCheck | None = None


@dataclass(frozen=True)
class MedicaidEnrollment:
    impact_application_id: str | None = None
    provider_id: str | None = None
    taxonomy: str | None = None
    enrolled: date | None = (
        None  # HFS enrollment (or last revalidation) date: revalidation counts from it
    )


@dataclass(frozen=True)
class Agency:
    legal_name: str | None = None
    dba: str | None = None
    fein: str | None = None
    npi: str | None = None
    medicaid: MedicaidEnrollment | None = None
    address: Address = field(default_factory=Address)
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    counties_served: tuple[str, ...] = ()
    authorized_official: Person = field(default_factory=Person)
    owners: tuple[Owner, ...] = ()
    board: tuple[BoardMember, ...] = ()
    packet_prefix: str | None = None

    @property
    def display_name(self) -> str:
        return self.dba or self.legal_name or "Unnamed agency"


@dataclass(frozen=True)
class Submission:
    date: date | None = None
    certifying_body: str | None = None
    program: str | None = None
    medicaid: bool = False


@dataclass(frozen=True)
class Position:
    key: str
    title: str | None = None
    reports_to: str | None = None
    summary: str | None = None
    duties: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()
    # covered position under the Health Care Worker Background Check Act (225 ILCS 46)
    direct_care: bool = False
    fte_count: float | None = None
    customer_contact: bool = False  # meets customers (default: as direct_care)


@dataclass(frozen=True)
class Degree:
    level: str | None = None
    field: str | None = None
    institution: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class DatedProof:
    """A dated search or lookup and its printout: a Health Care Worker Registry re-check, an
    Adult Protective Services Registry search, an IDFPR License Lookup."""

    date: date | None = None
    file: str | None = None


@dataclass(frozen=True)
class License:
    type: str | None = None
    number: str | None = None
    state: str | None = None
    expires: date | None = None
    file: str | None = None
    verified: DatedProof | None = None  # the License Lookup printout and its lookup date


@dataclass(frozen=True)
class BackgroundCheck:
    registry_check: date | None = None  # the Health Care Worker Registry search before hire
    fingerprint: date | None = None
    status: str | None = None
    waiver_date: date | None = None
    file: str | None = None
    registry_recheck: DatedProof | None = None  # the latest re-check after hire
    aps_registry: DatedProof | None = None  # the latest Adult Protective Services Registry search


@dataclass(frozen=True)
class TrainingEntry:
    date: date | None = None
    hours: float = 0.0
    topic: str | None = None
    provider: str | None = None


@dataclass(frozen=True)
class CaseloadIncrease:
    limit: int | None = None
    approved: date | None = None
    basis: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class ExperienceRole:
    """One job an experience letter names, with its dates; only case management counts."""

    title: str | None = None
    start: date | None = None  # `from:` in the data
    end: date | None = None  # `to:` in the data
    case_management: bool = False


@dataclass(frozen=True)
class ExperienceProof:
    """A letter proving case management experience: the file, who attests it, its date and the
    roles it names with their dates."""

    file: str | None = None
    attested_by: str | None = None
    date: date | None = None
    roles: tuple[ExperienceRole, ...] = ()


@dataclass(frozen=True)
class StaffDocument:
    kind: str | None = None
    title: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class Staff:
    id: str
    name: str | None = None
    position: str | None = None
    hire_date: date | None = None
    fte: float | None = None
    email: str | None = None
    degrees: tuple[Degree, ...] = ()
    licenses: tuple[License, ...] = ()
    case_management_experience_months: int | None = None
    background_check: BackgroundCheck | None = None
    training: tuple[TrainingEntry, ...] = ()
    training_hours_12mo: float | None = None
    caseload: int | None = None
    caseload_increase: CaseloadIncrease | None = None
    competency_score: float | None = None
    documents: tuple[StaffDocument, ...] = ()
    exclusion_check: ExclusionCheck | None = None
    mandated_reporter_training: date | None = None
    experience_proof: ExperienceProof | None = None


@dataclass(frozen=True)
class OnCall:
    """`policies.on_call`: the published on-call rotation (staff ids in rotation order)."""

    hours: str | None = None  # when on-call coverage applies, in words
    handoff: str | None = None  # when a shift changes hands, in words ("Monday 8:00 a.m.")
    starts: date | None = None  # the first shift's first day
    shift_days: int = 7
    shifts: int = 8  # how many shifts the published schedule lists
    primary: tuple[str, ...] = ()
    backup: tuple[str, ...] = ()
    last_backup: str | None = None  # staff id; default: the program administrator


@dataclass(frozen=True)
class Policies:
    adopted: date | None = None
    crisis_line: str | None = None
    after_hours: str | None = None
    contact_frequency: str | None = None
    reassessment: str | None = None
    response_time: str | None = None
    grievance_contact: str | None = None
    on_call: OnCall | None = None
    additions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSetting:
    setting: str | None = None
    description: str | None = None
    safety: str | None = None


@dataclass(frozen=True)
class RecordsSystem:
    name: str | None = None
    format: str | None = None
    storage: str | None = None
    access_control: str | None = None
    encryption_at_rest: bool | None = None
    audit_log: bool | None = None
    backup: str | None = None
    retention_years: float | None = None
    destruction: str | None = None
    release_of_information: str | None = None
    privacy_officer: str | None = None
    security_officer: str | None = None  # the HIPAA security official (45 CFR 164.308(a)(2))


@dataclass(frozen=True)
class Agreement:
    department: str | None = None
    designee: str | None = None
    effective_date: date | None = None
    term_months: int | None = None
    signatory: Person | None = None
    file: str | None = None


#: Generated documents that carry a signature line (keys of `signatures.signed_copies`).
SIGNED_DOCUMENTS = ("application-summary", "records-attestation", "agreement")
SIGNATURE_METHODS = ("electronic", "wet-ink", "digital")


@dataclass(frozen=True)
class Signatures:
    """How the documents with a signature line were signed (absent: unsigned)."""

    method: str | None = None
    signer: Person | None = None
    date: date | None = None
    signed_copies: dict[str, str] = field(default_factory=dict)
    certificate: str | None = None  # digital: the PKCS#12 file (its password is never in YAML)


@dataclass(frozen=True)
class Attachment:
    title: str | None = None
    file: str | None = None
    section: str = "agency"


@dataclass(frozen=True)
class AgencyData:
    """Everything loaded from one agency folder; `folder` is the folder's resolved path."""

    folder: Path
    schema_version: int = 1
    profile: str = "il-guide"
    submission: Submission = field(default_factory=Submission)
    agency: Agency = field(default_factory=Agency)
    positions: tuple[Position, ...] = ()
    staff: tuple[Staff, ...] = ()
    policies: Policies = field(default_factory=Policies)
    service_settings: tuple[ServiceSetting, ...] = ()
    records_system: RecordsSystem = field(default_factory=RecordsSystem)
    agreement: Agreement = field(default_factory=Agreement)
    attachments: tuple[Attachment, ...] = ()
    signatures: Signatures | None = None
    documents: dict[str, Any] = field(default_factory=dict)
    source_files: tuple[str, ...] = ()

    def position(self, key: str | None) -> Position | None:
        return next((p for p in self.positions if p.key == key), None)

    def staff_member(self, staff_id: str | None) -> Staff | None:
        return next((s for s in self.staff if s.id == staff_id), None)
