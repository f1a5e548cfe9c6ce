"""Requirement rules: profiles (YAML data with citations), the rule registry and validation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket.findings import Finding, Report
from cmpacket.model import AgencyData
from cmpacket.validators import (  # noqa: F401
    _rules_agency,
    _rules_evidence,
    _rules_staff,
    _rules_uploads,
)
from cmpacket.validators._profile import BUILTIN, Profile, RuleSpec, load_profile
from cmpacket.validators._registry import RULES, Context
from cmpacket.validators._rules_staff import caseload_limit, training_hours, training_required
from cmpacket.validators._rules_uploads import upload_uses

__all__ = [
    "BUILTIN",
    "RULES",
    "Profile",
    "RuleSpec",
    "caseload_limit",
    "load_profile",
    "run_rules",
    "training_hours",
    "training_required",
    "upload_uses",
]


def run_rules(
    data: AgencyData,
    profile: Profile,
    as_of: date,
    *,
    extra: Iterable[Finding] = (),
    strict: bool = False,
    template_roots: list[Path] | None = None,
    limits: dict[str, Any] | None = None,
    cache: dict[str, Any] | None = None,
) -> Report:
    """Run every rule the profile enables; returns the report with all findings collected."""
    ctx = Context(data, as_of, profile, cache if cache is not None else {})
    ctx.cache["template_roots"] = template_roots or []
    ctx.cache["limits"] = {**profile.limits, **(limits or {})}
    findings = list(extra)
    for spec in profile.rules:
        findings.extend(RULES[spec.code](ctx, spec))
    return Report(as_of=as_of, profile=profile.name, findings=tuple(findings), strict=strict)
