"""Stage 3, validation: requirement rules, profiles (YAML data with citations) and the report."""

from __future__ import annotations

from cmpacket.validators import (  # noqa: F401
    _evidence,
    _rules_agency,
    _rules_evidence,
    _rules_staff,
    _rules_uploads,
)
from cmpacket.validators._check import Checked, Prepared, check, prepare, run_rules, upload_paths
from cmpacket.validators._evidence import (
    EVIDENCE_RULES,
    PROOF_FIELDS,
    match_proof,
    more_pages_wanted,
    proof_checks,
    remember,
)
from cmpacket.validators._profile import BUILTIN, Profile, RuleSpec, load_profile
from cmpacket.validators._registry import RULES
from cmpacket.validators._rules_staff import caseload_limit, training_hours, training_required
from cmpacket.validators._rules_uploads import UploadUse, upload_uses

__all__ = [
    "EVIDENCE_RULES",
    "PROOF_FIELDS",
    "BUILTIN",
    "Checked",
    "Prepared",
    "RULES",
    "Profile",
    "RuleSpec",
    "UploadUse",
    "caseload_limit",
    "check",
    "load_profile",
    "more_pages_wanted",
    "prepare",
    "match_proof",
    "proof_checks",
    "remember",
    "run_rules",
    "training_hours",
    "training_required",
    "upload_paths",
    "upload_uses",
]
