"""Stage 3, validation: requirement rules, profiles (YAML data with citations) and the report."""

from __future__ import annotations

from cmpacket.profiles import BUILTIN, Profile, RuleSpec
from cmpacket.validators import (  # noqa: F401
    _evidence,
    _license_table,
    _rules_agency,
    _rules_evidence,
    _rules_promises,
    _rules_staff,
    _rules_uploads,
)
from cmpacket.validators._check import (
    Checked,
    Prepared,
    check,
    load_profile,
    prepare,
    run_rules,
    upload_paths,
)
from cmpacket.validators._evidence import (
    EVIDENCE_RULES,
    match_payload,
    match_proof,
    more_pages_wanted,
    proof_checks,
    remember,
    shows_every_field,
)
from cmpacket.validators._obligations import obligations, with_responses
from cmpacket.validators._registry import RULES
from cmpacket.validators._responses import BaseState, check_response, due_date
from cmpacket.validators._rules_uploads import UploadUse, upload_uses

__all__ = [
    "BaseState",
    "check_response",
    "due_date",
    "EVIDENCE_RULES",
    "BUILTIN",
    "Checked",
    "Prepared",
    "RULES",
    "Profile",
    "RuleSpec",
    "UploadUse",
    "check",
    "load_profile",
    "more_pages_wanted",
    "shows_every_field",
    "prepare",
    "match_payload",
    "match_proof",
    "obligations",
    "proof_checks",
    "remember",
    "run_rules",
    "upload_paths",
    "upload_uses",
    "with_responses",
]
