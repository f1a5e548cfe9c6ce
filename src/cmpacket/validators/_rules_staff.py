"""Staff rules: caseload, training, licenses, qualifications, background checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from cmpacket.findings import Finding, StaffFacts
from cmpacket.model import AgencyData, Staff
from cmpacket.profiles import Profile, RuleSpec
from cmpacket.validators._dates import add_months, full_months_between
from cmpacket.validators._registry import Context, rule

LEVELS = {"associate": 1, "bachelor": 2, "master": 3, "doctorate": 4}


def applies(spec: RuleSpec, staff: Staff) -> bool:
    positions = spec.params.get("positions", "all")
    return positions == "all" or staff.position in positions


def _staff(ctx: Context, spec: RuleSpec) -> Iterator[tuple[int, Staff]]:
    for i, s in enumerate(ctx.data.staff):
        if applies(spec, s):
            yield i, s


def _who(s: Staff) -> str:
    return f"{s.name or s.id} ({s.id})"


def increase_problems(s: Staff, adopted: date | None) -> list[str]:
    """What keeps a recorded caseload increase from counting (empty: it is supported)."""
    inc = s.caseload_increase
    if inc is None:
        return ["no increase recorded"]
    problems = [
        f"no {n}" for n, v in (("approved date", inc.approved), ("basis", inc.basis)) if not v
    ]
    if inc.approved and adopted and inc.approved < adopted:
        problems.append(
            f"it was approved on {inc.approved}, before the policies allowing increases were "
            f"adopted on {adopted}"
        )
    elif inc.approved and adopted is None:
        problems.append("no policies.adopted date shows the policy allowing increases was in force")
    if not inc.file:
        problems.append("no approval document (file)")
    return problems


def caseload_limit(spec: RuleSpec, s: Staff, adopted: date | None = None) -> int:
    """The staff member's limit: the profile's, or an approved, supported increase.

    An increase counts only with an approval date on or after `adopted` (the policies' adoption),
    a basis and the approval document.
    """
    limit = int(spec.params.get("limit", 30))
    inc = s.caseload_increase
    if inc and inc.limit and not increase_problems(s, adopted):
        return max(limit, inc.limit)
    return limit


@rule("caseload-over-limit")
def caseload_over_limit(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    adopted = ctx.data.policies.adopted
    for i, s in _staff(ctx, spec):
        limit = caseload_limit(spec, s, adopted)
        if s.caseload is not None and s.caseload > limit:
            yield spec.finding(
                f"staff[{i}].caseload",
                f"{_who(s)} carries {s.caseload} customers, over the limit of {limit}. Reassign "
                f"cases, or record a competence-based increase (caseload_increase with limit, "
                f"approved date on or after policies.adopted, basis and the approval file).",
            )


@rule("caseload-increase-unsupported")
def caseload_increase_unsupported(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """An increase above the limit needs approval date, basis, approval document, and an approval
    dated on or after the policies' adoption. An error where the caseload needs the increase."""
    base = int(spec.params.get("limit", 30))
    otherwise = str(spec.params.get("unneeded_severity", "warning"))
    for i, s in _staff(ctx, spec):
        inc = s.caseload_increase
        if inc is None or inc.limit is None or inc.limit <= base:
            continue
        problems = increase_problems(s, ctx.data.policies.adopted)
        if problems:
            needed = s.caseload is not None and s.caseload > base
            yield spec.finding(
                f"staff[{i}].caseload_increase",
                f"{_who(s)} has an increase to {inc.limit} (above {base}) that does not count: "
                f"{'; '.join(problems)}. Record an approval dated on or after the policies' "
                f"adoption, its demonstrated-competence basis and the signed approval as file: "
                f"uploads/....pdf, or remove the increase.",
                None if needed else otherwise,
            )


def training_hours(s: Staff, window_start: date, as_of: date) -> float:
    logged = [t for t in s.training if t.date and window_start < t.date <= as_of]
    if s.training:
        return round(sum(t.hours for t in logged), 2)
    return float(s.training_hours_12mo or 0.0)


def training_required(spec: RuleSpec, s: Staff, as_of: date) -> float:
    hours = float(spec.params.get("hours", 12))
    months = int(spec.params.get("window_months", 12))
    start = add_months(as_of, -months)
    if spec.params.get("prorate", True) and s.hire_date and s.hire_date > start:
        return round(hours * full_months_between(s.hire_date, as_of) / months, 1)
    return hours


@rule("training-hours-short")
def training_hours_short(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    months = int(spec.params.get("window_months", 12))
    start = add_months(ctx.as_of, -months)
    for i, s in _staff(ctx, spec):
        need = training_required(spec, s, ctx.as_of)
        have = training_hours(s, start, ctx.as_of)
        if have < need:
            prorated = (
                " (prorated for the hire date)" if need < spec.params.get("hours", 12) else ""
            )
            yield spec.finding(
                f"staff[{i}].training",
                f"{_who(s)} has {have:g} in-service hours between {start} and {ctx.as_of}; "
                f"{need:g} required{prorated}. Log the missing training (date, hours, topic).",
            )


@rule("license-expired")
def license_expired(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, s in _staff(ctx, spec):
        for j, lic in enumerate(s.licenses):
            if lic.expires and lic.expires <= ctx.as_of:
                yield spec.finding(
                    f"staff[{i}].licenses[{j}].expires",
                    f"{_who(s)}'s {lic.type or 'license'} {lic.number or ''} expired on "
                    f"{lic.expires} (as of {ctx.as_of}). Renew it and upload the new license.",
                )


@rule("license-expiring-soon")
def license_expiring_soon(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    days = int(spec.params.get("days", 60))
    for i, s in _staff(ctx, spec):
        for j, lic in enumerate(s.licenses):
            if lic.expires and ctx.as_of < lic.expires <= ctx.as_of + timedelta(days=days):
                yield spec.finding(
                    f"staff[{i}].licenses[{j}].expires",
                    f"{_who(s)}'s {lic.type or 'license'} expires on {lic.expires}, within "
                    f"{days} days of {ctx.as_of}. Plan the renewal before the review.",
                )


@rule("license-proof-missing")
def license_proof_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, s in _staff(ctx, spec):
        for j, lic in enumerate(s.licenses):
            if not lic.file:
                yield spec.finding(
                    f"staff[{i}].licenses[{j}].file",
                    f"{_who(s)}'s {lic.type or 'license'} {lic.number or ''} has no uploaded "
                    f"proof. Add the IDFPR license printout as file: uploads/....pdf.",
                )


def meets_path(s: Staff, path: dict[str, Any], as_of: date) -> bool:
    """True when the staff member satisfies every condition of one qualification path."""
    level = path.get("degree_level")
    if level:
        fields = [f.lower() for f in path.get("degree_fields") or []]
        ok = any(
            LEVELS.get(d.level or "", 0) >= LEVELS[level]
            and (not fields or any(f in (d.field or "").lower() for f in fields))
            for d in s.degrees
        )
        if not ok:
            return False
    licenses = {x.upper() for x in path.get("licenses") or []}
    if licenses and not any(
        (lic.type or "").upper() in licenses and (lic.expires is None or lic.expires > as_of)
        for lic in s.licenses
    ):
        return False
    months = path.get("experience_months")
    return not months or proven_experience(s) >= months


def letter_complete(s: Staff) -> bool:
    """A dated proof file naming who attests it (an undated or unsigned letter does not count)."""
    p = s.experience_proof
    return bool(p and p.file and p.attested_by and p.date)


def role_months(s: Staff) -> int:
    """The months of case management the letter's roles show: the roles marked
    `case_management: true` with both dates, overlaps counted once; other roles (a case aide's,
    an intake worker's) count nothing."""
    p = s.experience_proof
    spans = sorted(
        (r.start, r.end)
        for r in (p.roles if p else ())
        if r.case_management and r.start and r.end and r.start <= r.end
    )
    merged: list[list[date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return sum(full_months_between(a, b) for a, b in merged)


def experience_proven(s: Staff) -> bool:
    """A complete letter whose case-management roles show every month claimed."""
    claimed = s.case_management_experience_months or 0
    return letter_complete(s) and role_months(s) >= claimed


def proven_experience(s: Staff) -> int:
    """The months of experience that count: the case-management months a complete letter's
    roles show, up to the claim; otherwise none."""
    if not letter_complete(s):
        return 0
    counted = role_months(s)
    claimed = s.case_management_experience_months
    return counted if claimed is None else min(claimed, counted)


@rule("qualification-not-met")
def qualification_not_met(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    paths = ctx.profile.qualification_paths
    for i, s in enumerate(ctx.data.staff):
        options = paths.get(s.position or "")
        if not options or any(meets_path(s, p, ctx.as_of) for p in options):
            continue
        names = "; ".join(p.get("name", "?") for p in options)
        unproven = ""
        if s.case_management_experience_months and not experience_proven(s):
            unproven = (
                f" Of the {s.case_management_experience_months} months of experience claimed, "
                f"{proven_experience(s)} count: only case-management roles of a dated, attested "
                f"letter (experience_proof with file, attested_by, date and roles) count."
            )
        yield spec.finding(
            f"staff[{i}]",
            f"{_who(s)} meets none of the qualification paths for {s.position!r}: {names}."
            f"{unproven} Record the degree, current license or proven experience that qualifies "
            f"them.",
        )


def _covered(ctx: Context, spec: RuleSpec, s: Staff) -> bool:
    positions = spec.params.get("positions", "direct-care")
    if positions == "direct-care":
        pos = ctx.data.position(s.position)
        return bool(pos and pos.direct_care)
    return positions == "all" or s.position in positions


@rule("background-check-missing")
def background_check_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, s in enumerate(ctx.data.staff):
        bc = s.background_check
        if _covered(ctx, spec, s) and not (bc and (bc.registry_check or bc.fingerprint)):
            yield spec.finding(
                f"staff[{i}].background_check",
                f"{_who(s)} holds a covered role ({s.position}) but has no Health Care Worker "
                f"Registry or fingerprint check recorded. Record the check dates and upload the "
                f"Registry printout.",
            )


@rule("background-check-late")
def background_check_late(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, s in enumerate(ctx.data.staff):
        bc = s.background_check
        if not (bc and s.hire_date and _covered(ctx, spec, s)):
            continue
        late = [
            (n, d)
            for n, d in (
                ("registry check", bc.registry_check),
                ("fingerprint check", bc.fingerprint),
            )
            if d and d > s.hire_date
        ]
        for name, day in late:
            yield spec.finding(
                f"staff[{i}].background_check",
                f"{_who(s)}'s {name} is dated {day}, after the hire date {s.hire_date}. "
                f"Checks must precede work; correct the dates or record why.",
            )


@rule("background-check-disqualified")
def background_check_disqualified(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for i, s in enumerate(ctx.data.staff):
        bc = s.background_check
        if not bc or bc.status not in ("disqualified", "pending"):
            continue
        waived = bc.waiver_date and (not s.hire_date or bc.waiver_date <= s.hire_date)
        if not waived:
            yield spec.finding(
                f"staff[{i}].background_check.status",
                f"{_who(s)}'s check status is {bc.status!r} with no waiver granted before work. "
                f"Remove them from direct care until IDPH grants a waiver, then record waiver_date.",
            )


def staff_facts(data: AgencyData, profile: Profile, as_of: date) -> tuple[StaffFacts, ...]:
    """What the rules make of each staff member, for the documents: training hours in the
    training rule's window and the hours it requires of them, the caseload limit in force, and
    whether their experience is proven. Computed here only, with the rules' own functions."""
    training = profile.rule("training-hours-short")
    caseload = profile.rule("caseload-over-limit")
    months = int(training.params.get("window_months", 12)) if training else 12
    start = add_months(as_of, -months)
    out = []
    for s in data.staff:
        loads = caseload is not None and applies(caseload, s)
        out.append(
            StaffFacts(
                staff_id=s.id,
                training_hours=training_hours(s, start, as_of),
                training_required=training_required(training, s, as_of) if training else None,
                training_applies=training is not None and applies(training, s),
                caseload_applies=loads,
                caseload_limit=(
                    caseload_limit(caseload, s, data.policies.adopted)
                    if caseload is not None and loads
                    else None
                ),
                experience_proven=experience_proven(s),
            )
        )
    return tuple(out)
