"""The agency data's field paths, as profiles and the unknown-field warning write them
(`staff[].background_check.registry_check`): each path's schema."""

from __future__ import annotations

from marshmallow import Schema

from cmpacket.model._schema import (
    AddressSchema,
    AgencyFileSchema,
    AgencySchema,
    AgreementSchema,
    AttachmentSchema,
    BackgroundCheckSchema,
    BoardMemberSchema,
    CaseloadIncreaseSchema,
    DatedProofSchema,
    DegreeSchema,
    ExclusionCheckSchema,
    ExperienceProofSchema,
    ExperienceRoleSchema,
    LicenseSchema,
    MedicaidSchema,
    OnCallSchema,
    OwnerSchema,
    PersonSchema,
    PoliciesSchema,
    PositionSchema,
    RecordsSystemSchema,
    ServiceSettingSchema,
    SignaturesSchema,
    StaffDocumentSchema,
    StaffSchema,
    SubmissionSchema,
    TrainingSchema,
)

#: Field names per schema, for the unknown-field warning ("did you mean ...").
SCHEMAS: dict[str, type[Schema]] = {
    "": AgencyFileSchema,
    "submission": SubmissionSchema,
    "agency": AgencySchema,
    "agency.medicaid": MedicaidSchema,
    "agency.address": AddressSchema,
    "agency.authorized_official": PersonSchema,
    "agency.owners[]": OwnerSchema,
    "agency.owners[].exclusion_check": ExclusionCheckSchema,
    "agency.board[]": BoardMemberSchema,
    "agency.board[].exclusion_check": ExclusionCheckSchema,
    "positions[]": PositionSchema,
    "staff[]": StaffSchema,
    "staff[].degrees[]": DegreeSchema,
    "staff[].licenses[]": LicenseSchema,
    "staff[].licenses[].verified": DatedProofSchema,
    "staff[].background_check": BackgroundCheckSchema,
    "staff[].background_check.registry_recheck": DatedProofSchema,
    "staff[].background_check.aps_registry": DatedProofSchema,
    "staff[].training[]": TrainingSchema,
    "staff[].caseload_increase": CaseloadIncreaseSchema,
    "staff[].documents[]": StaffDocumentSchema,
    "staff[].exclusion_check": ExclusionCheckSchema,
    "staff[].experience_proof": ExperienceProofSchema,
    "staff[].experience_proof.roles[]": ExperienceRoleSchema,
    "policies": PoliciesSchema,
    "policies.on_call": OnCallSchema,
    "service_settings[]": ServiceSettingSchema,
    "records_system": RecordsSystemSchema,
    "agreement": AgreementSchema,
    "agreement.signatory": PersonSchema,
    "attachments[]": AttachmentSchema,
    "signatures": SignaturesSchema,
    "signatures.signer": PersonSchema,
}


def is_field(path: str) -> bool:
    """True when `path`, written as profiles write data fields (`policies.adopted`,
    `staff[].background_check.registry_check`, `staff[].training[].date`), names a field of the
    agency data."""
    parent, _, name = path.rpartition(".")
    schema = SCHEMAS.get(parent)
    return schema is not None and name.removesuffix("[]") in schema._declared_fields
