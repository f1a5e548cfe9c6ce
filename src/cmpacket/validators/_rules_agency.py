"""Agency rules: identifiers, Medicaid data, agreement, positions, policies, settings, records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cmpacket.findings import Finding
from cmpacket.model import reporting_lines
from cmpacket.model.defaults import position_content
from cmpacket.profiles import RuleSpec
from cmpacket.validators._registry import Context, rule


def npi_valid(npi: str) -> bool:
    """10 digits whose last is the Luhn check digit over '80840' + the first nine (45 CFR 162.406)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


@rule("fein-invalid")
def fein_invalid(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    fein = ctx.data.agency.fein
    if not fein:
        yield spec.finding(
            "agency.fein", "no FEIN given. Add the IRS employer number as NN-NNNNNNN."
        )
    elif not re.fullmatch(r"\d{2}-\d{7}", fein) or fein.startswith("00"):
        yield spec.finding(
            "agency.fein", f"{fein!r} is not a FEIN. Write the IRS employer number as NN-NNNNNNN."
        )


@rule("npi-invalid")
def npi_invalid(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    npi = ctx.data.agency.npi
    if npi and not npi_valid(npi):
        yield spec.finding(
            "agency.npi",
            f"{npi!r} is not a valid NPI (10 digits, last one a Luhn check digit with prefix "
            f"80840). Copy the type 2 NPI from NPPES.",
        )


@rule("medicaid-enrollment-incomplete")
def medicaid_incomplete(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    if not ctx.data.submission.medicaid:
        return
    agency = ctx.data.agency
    if not agency.npi:
        yield spec.finding(
            "agency.npi", "submission.medicaid is true but no NPI is given. Add the type 2 NPI."
        )
    med = agency.medicaid
    if not med or not (med.impact_application_id or med.provider_id):
        yield spec.finding(
            "agency.medicaid",
            "submission.medicaid is true but neither an IMPACT application id nor a Medicaid "
            "provider id is given. Add agency.medicaid.impact_application_id or provider_id.",
        )
    elif not med.taxonomy:
        yield spec.finding(
            "agency.medicaid.taxonomy", "no provider taxonomy code. Add it, e.g. 251B00000X."
        )


@rule("agreement-incomplete")
def agreement_incomplete(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    ag = ctx.data.agreement
    sig = ag.signatory
    checks = [
        ("agreement.department", ag.department, "the Department (or its designee) as a party"),
        ("agreement.effective_date", ag.effective_date, "an effective date (YYYY-MM-DD)"),
        ("agreement.signatory", sig and sig.name and sig.title, "a signatory with name and title"),
    ]
    for path, value, what in checks:
        if not value:
            yield spec.finding(path, f"the written agreement lacks {what}. Add it.")


PROGRAM_NOT_NAMED = RuleSpec(
    code="program-not-named",
    severity="error",
    citation="The Department routes a certification packet to the program whose rule it "
    "certifies under (e.g. 77 Ill. Adm. Code 630, 89 Ill. Adm. Code 686 Subpart J)",
    verified=False,
    title="The packet names the program it applies to",
    section="A",
)


@rule("program-not-named")
def program_not_named(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Runs for every profile (`run_rules`), named in its rules or not: a packet without a
    program the Department can route it to is a draft at most."""
    program = ctx.profile.program
    if not program.get("routable"):
        yield spec.finding(
            "profile",
            "the profile names no program the Department can route the packet to (its "
            "program has no `routable: true`); a final packet needs one. Name the program the "
            "agency applies to in `profile:` (`cmpacket profiles list` shows which do); "
            "--draft still builds.",
        )


@rule("agency-info-missing")
def agency_info_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    a = ctx.data.agency
    needed = {
        "agency.legal_name": a.legal_name,
        "agency.address.street": a.address.street,
        "agency.address.city": a.address.city,
        "agency.phone": a.phone,
        "agency.authorized_official.name": a.authorized_official.name,
        "agency.counties_served": a.counties_served,
        "submission.certifying_body": ctx.data.submission.certifying_body,
    }
    for path, value in needed.items():
        if not value:
            yield spec.finding(
                path, "is empty; the cover letter and agreement need it. Fill it in."
            )


@rule("job-description-missing")
def job_description_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    keys = [p.key for p in ctx.data.positions]
    for key in spec.params.get("key_positions", []):
        if key not in keys:
            yield spec.finding(
                "positions",
                f"no job description for the key position {key!r}. Add it under positions: "
                f"(built-in duties and qualifications exist for it).",
            )
    for i, p in enumerate(ctx.data.positions):
        duties, quals = position_content(p)
        missing = [n for n, v in (("duties", duties), ("qualifications", quals)) if not v]
        if missing:
            yield spec.finding(
                f"positions[{i}]",
                f"position {p.key!r} has no {' or '.join(missing)} and no built-in default. "
                f"Write the {' and '.join(missing)} as lists.",
            )
    for i, s in enumerate(ctx.data.staff):
        if s.position not in keys:
            yield spec.finding(
                f"staff[{i}].position",
                f"{s.name or s.id} holds {s.position!r}, which has no job description. Use one of "
                f"{', '.join(keys) or '(no positions yet)'} or add the position.",
            )


def _field(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = getattr(data, part, None)
    return data


@rule("policy-topic-missing")
def policy_topic_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    roots = ctx.template_roots
    for topic in ctx.profile.policy_topics:
        key = topic["key"]
        name = f"policies/{key}.txt.j2"
        has_text = key in ctx.data.policies.additions or any((r / name).is_file() for r in roots)
        if roots and not has_text:
            yield spec.finding(
                f"policies.additions.{key}",
                f"the manual would have no chapter on {topic['title']!r}: no template {name} and "
                f"no text in policies.additions.{key}. Add one of them.",
            )
        for dotted in topic.get("requires") or []:
            if not _field(ctx.data, dotted):
                yield spec.finding(
                    dotted,
                    f"the chapter {topic['title']!r} needs {dotted}, which is empty. Fill it in.",
                )


@rule("service-settings-missing")
def service_settings_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    settings = ctx.data.service_settings
    need = int(spec.params.get("min_settings", 1))
    if len(settings) < need:
        yield spec.finding(
            "service_settings",
            f"{len(settings)} service setting(s) described; at least {need} required. Describe how "
            f"you serve customers at home, in the community, in the office or by telehealth.",
        )
    for i, s in enumerate(settings):
        if not s.setting or not s.description:
            yield spec.finding(
                f"service_settings[{i}]",
                f"setting {s.setting or '(unnamed)'!r} has no {'name' if not s.setting else 'description'}. "
                f"Describe how services are delivered there.",
            )


@rule("records-system-incomplete")
def records_incomplete(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    rs = ctx.data.records_system
    for name in spec.params.get("required", []):
        if getattr(rs, name, None) in (None, "", False):
            yield spec.finding(
                f"records_system.{name}",
                f"the records system description lacks {name.replace('_', ' ')}. Describe it.",
            )
    for name in ("privacy_officer", "security_officer"):
        officer = getattr(rs, name)
        if officer and ctx.data.staff and ctx.data.staff_member(officer) is None:
            yield spec.finding(
                f"records_system.{name}",
                f"{name.replace('_', ' ')} {officer!r} is not a staff id. Use one of the staff ids.",
            )


@rule("records-retention-short")
def records_retention_short(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    years = ctx.data.records_system.retention_years
    need = float(spec.params.get("min_years", 6))
    if years is not None and years < need:
        yield spec.finding(
            "records_system.retention_years",
            f"records are kept {years:g} years; the profile requires at least {need:g}. Raise "
            f"retention_years to {need:g} or more.",
        )


@rule("staff-id-duplicate")
def staff_id_duplicate(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, s in enumerate(ctx.data.staff):
        if s.id in seen:
            yield spec.finding(
                f"staff[{i}].id",
                f"staff id {s.id!r} is also used by staff[{seen[s.id]}]. Give each person a unique id.",
            )
        seen.setdefault(s.id, i)


@rule("policies-not-adopted")
def policies_not_adopted(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    adopted = ctx.data.policies.adopted
    if adopted is None:
        yield spec.finding(
            "policies.adopted",
            "no governing-body approval date. Record when the board adopted them.",
        )
    elif adopted > ctx.as_of:
        yield spec.finding(
            "policies.adopted", f"adopted {adopted}, after the as-of date {ctx.as_of}. Correct it."
        )


@rule("provisional-case-manager")
def provisional_case_manager(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    threshold = float(spec.params.get("competency_score", 98))
    positions = spec.params.get("positions", ["case-manager"])
    for i, s in enumerate(ctx.data.staff):
        if s.position in positions and (s.competency_score or 0) < threshold:
            shown = (
                "no score" if s.competency_score is None else f"a score of {s.competency_score:g}%"
            )
            yield spec.finding(
                f"staff[{i}].competency_score",
                f"{s.name or s.id} holds {s.position!r} with {shown} (below {threshold:g}%): they "
                f"act as a provisional case manager whose plans need approval. Change the position "
                f"to provisional-case-manager or record the review score.",
            )


@rule("contact-frequency-missing")
def contact_frequency_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    text = (ctx.data.policies.contact_frequency or "").lower()
    words = [w.lower() for w in spec.params.get("must_mention", [])]
    missing = [w for w in words if w not in text]
    if missing:
        yield spec.finding(
            "policies.contact_frequency",
            f"{ctx.data.policies.contact_frequency!r} does not state {', '.join(missing)}. State the "
            f"minimum contact frequency the profile requires.",
        )


@rule("reports-to-invalid")
def reports_to_invalid(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """`positions[].reports_to` names another position (its key or exact title) or the Board, and
    the reporting lines have no cycle: the organization chart is drawn from them."""
    positions = ctx.data.positions
    lines = reporting_lines(positions)
    keys = ", ".join(p.key for p in positions) or "(no positions yet)"
    for i, value in lines.unknown:
        yield spec.finding(
            f"positions[{i}].reports_to",
            f"{positions[i].key!r} reports to {value!r}, which is neither a position nor the "
            f"Board. Write the key of the position it reports to ({keys}) or 'Board of "
            f"Directors'.",
        )
    for loop in lines.cycles:
        chain = " \u2192 ".join(positions[j].key for j in (*loop, loop[0]))
        yield spec.finding(
            f"positions[{loop[0]}].reports_to",
            f"the reporting lines run in a circle ({chain}), so the organization chart has no "
            f"top. Make the top position report to the Board of Directors.",
        )


@rule("on-call-schedule-invalid")
def on_call_schedule_invalid(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """`policies.on_call` names staff who exist, a start date, a primary and a backup who differ
    in every shift (the manual promises both for every hour)."""
    oc = ctx.data.policies.on_call
    if oc is None:
        return
    ids = {s.id for s in ctx.data.staff}
    if not oc.starts:
        yield spec.finding(
            "policies.on_call.starts",
            "no start date: the schedule cannot date its shifts. "
            "Give the first shift's first day (YYYY-MM-DD).",
        )
    for name in ("primary", "backup"):
        people = getattr(oc, name)
        if not people:
            yield spec.finding(
                f"policies.on_call.{name}",
                f"no {name} on-call staff: every shift names a primary and a backup. List staff "
                f"ids in rotation order.",
            )
        for j, sid in enumerate(people):
            if sid not in ids:
                yield spec.finding(
                    f"policies.on_call.{name}[{j}]",
                    f"{sid!r} is not a staff id. Use the id of a staff member (staff[].id).",
                )
    if oc.last_backup and oc.last_backup not in ids:
        yield spec.finding(
            "policies.on_call.last_backup",
            f"{oc.last_backup!r} is not a staff id. Use the id of a staff member (staff[].id).",
        )
    if oc.primary and oc.backup:
        same = sorted(
            {
                k + 1
                for k in range(oc.shifts)
                if oc.primary[k % len(oc.primary)] == oc.backup[k % len(oc.backup)]
            }
        )
        if same:
            yield spec.finding(
                "policies.on_call.backup",
                f"shift{'s' if len(same) > 1 else ''} {', '.join(map(str, same[:5]))} name the "
                f"same person as primary and backup. Order the backup list so they differ.",
            )
