"""Marshmallow schemas that load `agency.yaml` data into the frozen dataclasses of `_types`."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load, validate

from cmpacket.model import _types as t
from cmpacket.model._fields import (
    Choice,
    Flag,
    NamedFiles,
    Number,
    TextList,
    Whole,
    date_field,
    text,
)

DEGREE_LEVELS = ["associate", "bachelor", "master", "doctorate"]
CHECK_STATUSES = ["clear", "waiver-granted", "pending", "disqualified"]
RECORD_FORMATS = ["electronic", "paper", "hybrid"]
SECTIONS = ["agency", "agreement", "job-descriptions", "policies", "settings", "records", "staff"]
_LISTS = {"positions", "staff", "service_settings", "attachments"}


def _nested(schema: type[Schema], *, many: bool = False) -> fields.Field[Any]:
    if many:
        return fields.List(
            fields.Nested(schema, unknown=EXCLUDE), load_default=list, allow_none=True
        )
    return fields.Nested(schema, load_default=None, allow_none=True, unknown=EXCLUDE)


class _Base(Schema):
    """Drops nulls for list fields and builds the dataclass named by `model`."""

    model: Any = None

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _mapping_only(self, data: Any, **kwargs: Any) -> Any:
        return {} if data is None else data

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        clean = {}
        for key, value in data.items():
            if isinstance(value, list):
                value = tuple(value)
            if value is None and isinstance(self.fields[key], fields.List | TextList):
                value = ()
            clean[key] = value
        return self.model(**clean)


class AddressSchema(_Base):
    model = t.Address
    street, city, state, zip = text(), text(), text(), text()


class PersonSchema(_Base):
    model = t.Person
    name, title, email, phone = text(), text(), text(), text()


class ExclusionCheckSchema(_Base):
    model = t.ExclusionCheck
    date = date_field()
    lists = TextList(load_default=(), allow_none=True)
    file = text()


class OwnerSchema(_Base):
    model = t.Owner
    name = text()
    percent = Number(load_default=None, allow_none=True)
    exclusion_check = _nested(ExclusionCheckSchema)


class BoardMemberSchema(_Base):
    model = t.BoardMember
    name, title = text(), text()
    exclusion_check = _nested(ExclusionCheckSchema)


class MedicaidSchema(_Base):
    model = t.MedicaidEnrollment
    impact_application_id, provider_id, taxonomy = text(), text(), text()
    enrolled = date_field()


class AgencySchema(_Base):
    model = t.Agency
    legal_name, dba, fein, npi = text(), text(), text(), text()
    medicaid = _nested(MedicaidSchema)
    address = _nested(AddressSchema)
    phone, email, website, packet_prefix = text(), text(), text(), text()
    counties_served = TextList(load_default=(), allow_none=True)
    authorized_official = _nested(PersonSchema)
    owners = _nested(OwnerSchema, many=True)
    board = _nested(BoardMemberSchema, many=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["address"] = data.get("address") or t.Address()
        data["authorized_official"] = data.get("authorized_official") or t.Person()
        return super()._make(data, **kwargs)


class SubmissionSchema(_Base):
    model = t.Submission
    date = date_field()
    certifying_body = text(validate=Choice(["IDHS", "IDPH"]))
    program = text()
    medicaid = Flag(load_default=False, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["medicaid"] = bool(data.get("medicaid"))
        return super()._make(data, **kwargs)


class PositionSchema(_Base):
    model = t.Position
    key = text(required=True, allow_none=False)
    title, reports_to, summary = text(), text(), text()
    duties = TextList(load_default=(), allow_none=True)
    qualifications = TextList(load_default=(), allow_none=True)
    direct_care = Flag(load_default=False, allow_none=True)
    fte_count = Number(load_default=None, allow_none=True)
    customer_contact = Flag(load_default=None, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["direct_care"] = bool(data.get("direct_care"))
        contact = data.get("customer_contact")
        data["customer_contact"] = data["direct_care"] if contact is None else bool(contact)
        return super()._make(data, **kwargs)


class DegreeSchema(_Base):
    model = t.Degree
    level = text(validate=Choice(DEGREE_LEVELS))
    field, institution = text(), text()
    year = Whole(load_default=None, allow_none=True)


class DatedProofSchema(_Base):
    model = t.DatedProof
    date = date_field()
    file = text()


class LicenseSchema(_Base):
    model = t.License
    type, number, state = text(), text(), text()
    expires = date_field()
    file = text()
    verified = _nested(DatedProofSchema)


class BackgroundCheckSchema(_Base):
    model = t.BackgroundCheck
    registry_check, fingerprint = date_field(), date_field()
    status = text(validate=Choice(CHECK_STATUSES))
    waiver_date = date_field()
    file = text()
    registry_recheck = _nested(DatedProofSchema)
    aps_registry = _nested(DatedProofSchema)


class TrainingSchema(_Base):
    model = t.TrainingEntry
    date = date_field()
    hours = Number(load_default=0.0, allow_none=True)
    topic, provider = text(), text()

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["hours"] = data.get("hours") or 0.0
        return super()._make(data, **kwargs)


class CaseloadIncreaseSchema(_Base):
    model = t.CaseloadIncrease
    limit = Whole(load_default=None, allow_none=True)
    approved = date_field()
    basis = text()
    file = text()


class ExperienceRoleSchema(_Base):
    model = t.ExperienceRole
    title = text()
    start = date_field(data_key="from")
    end = date_field(data_key="to")
    case_management = Flag(load_default=False, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["case_management"] = bool(data.get("case_management"))
        return super()._make(data, **kwargs)


class ExperienceProofSchema(_Base):
    model = t.ExperienceProof
    file, attested_by = text(), text()
    date = date_field()
    roles = _nested(ExperienceRoleSchema, many=True)


class StaffDocumentSchema(_Base):
    model = t.StaffDocument
    kind, title, file = text(), text(), text()


class StaffSchema(_Base):
    model = t.Staff
    id = text(required=True, allow_none=False)
    name, position = text(), text()
    hire_date = date_field()
    fte = Number(load_default=None, allow_none=True)
    email = text()
    degrees = _nested(DegreeSchema, many=True)
    licenses = _nested(LicenseSchema, many=True)
    case_management_experience_months = Whole(load_default=None, allow_none=True)
    background_check = _nested(BackgroundCheckSchema)
    training = _nested(TrainingSchema, many=True)
    training_hours_12mo = Number(load_default=None, allow_none=True)
    caseload = Whole(load_default=None, allow_none=True)
    caseload_increase = _nested(CaseloadIncreaseSchema)
    competency_score = Number(load_default=None, allow_none=True)
    documents = _nested(StaffDocumentSchema, many=True)
    exclusion_check = _nested(ExclusionCheckSchema)
    mandated_reporter_training = date_field()
    experience_proof = _nested(ExperienceProofSchema)


class OnCallSchema(_Base):
    model = t.OnCall
    hours, handoff = text(), text()
    starts = date_field()
    shift_days = Whole(load_default=7, allow_none=True, validate=validate.Range(min=1, max=31))
    shifts = Whole(load_default=8, allow_none=True, validate=validate.Range(min=1, max=104))
    primary = TextList(load_default=(), allow_none=True)
    backup = TextList(load_default=(), allow_none=True)
    last_backup = text()

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["shift_days"] = data.get("shift_days") or 7
        data["shifts"] = data.get("shifts") or 8
        return super()._make(data, **kwargs)


class PoliciesSchema(_Base):
    model = t.Policies
    adopted = date_field()
    crisis_line, after_hours, contact_frequency = text(), text(), text()
    reassessment, response_time, grievance_contact = text(), text(), text()
    on_call = _nested(OnCallSchema)
    additions = fields.Dict(keys=fields.String(), values=text(), load_default=dict, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["additions"] = {k: v for k, v in (data.get("additions") or {}).items() if v}
        return super()._make(data, **kwargs)


class ServiceSettingSchema(_Base):
    model = t.ServiceSetting
    setting, description, safety = text(), text(), text()


class RecordsSystemSchema(_Base):
    model = t.RecordsSystem
    name = text()
    format = text(validate=Choice(RECORD_FORMATS))
    storage, access_control = text(), text()
    encryption_at_rest = Flag(load_default=None, allow_none=True)
    audit_log = Flag(load_default=None, allow_none=True)
    backup = text()
    retention_years = Number(load_default=None, allow_none=True)
    destruction, release_of_information, privacy_officer = text(), text(), text()
    security_officer = text()


class AgreementSchema(_Base):
    model = t.Agreement
    department, designee = text(), text()
    effective_date = date_field()
    term_months = Whole(load_default=None, allow_none=True)
    signatory = _nested(PersonSchema)
    file = text()


class SignaturesSchema(_Base):
    model = t.Signatures
    method = text(validate=Choice(list(t.SIGNATURE_METHODS)))
    signer = _nested(PersonSchema)
    date = date_field()
    signed_copies = NamedFiles(t.SIGNED_DOCUMENTS, load_default=dict, allow_none=True)
    certificate = text()

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["signed_copies"] = data.get("signed_copies") or {}
        return super()._make(data, **kwargs)


class AttachmentSchema(_Base):
    model = t.Attachment
    title, file = text(), text()
    section = text(validate=Choice(SECTIONS), load_default="agency", allow_none=False)


class AgencyFileSchema(Schema):
    """The whole `agency.yaml`; `load` returns a dict of dataclasses for `AgencyData`."""

    class Meta:
        unknown = EXCLUDE

    schema_version = Whole(load_default=1)
    profile = text(load_default="il-guide")
    submission = _nested(SubmissionSchema)
    agency = _nested(AgencySchema)
    positions = _nested(PositionSchema, many=True)
    staff = _nested(StaffSchema, many=True)
    policies = _nested(PoliciesSchema)
    service_settings = _nested(ServiceSettingSchema, many=True)
    records_system = _nested(RecordsSystemSchema)
    agreement = _nested(AgreementSchema)
    attachments = _nested(AttachmentSchema, many=True)
    signatures = _nested(SignaturesSchema)
    documents = fields.Dict(load_default=dict, allow_none=True)

    @post_load
    def _defaults(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        defaults = {
            "submission": t.Submission(),
            "agency": t.Agency(),
            "policies": t.Policies(),
            "records_system": t.RecordsSystem(),
            "agreement": t.Agreement(),
        }
        for key, value in data.items():
            if isinstance(value, list):
                value = tuple(value)
            if value is None:
                value = defaults.get(key, () if key in _LISTS else value)
            out[key] = value
        out["profile"] = out.get("profile") or "il-guide"
        out["documents"] = out.get("documents") or {}
        return out
