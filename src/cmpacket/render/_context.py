"""The one builder of the template context: every variable a template receives is made here,
from the model, the profile, the report and the plan (docs/templates.md lists them)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from cmpacket import lifecycle
from cmpacket.findings import Report, StaffFacts
from cmpacket.model import AgencyData, Reporting, Staff, reporting_lines
from cmpacket.model.defaults import position_content, position_summary
from cmpacket.plan import (
    Piece,
    Planned,
    index_entries,
    prefix,
)
from cmpacket.profiles import Profile
from cmpacket.render._jinja import chapter_blocks, render_template
from cmpacket.render._oncall import on_call_context
from cmpacket.render._orgchart import org_chart, reports_to_title
from cmpacket.render._readiness import (
    answered,
    crosswalk,
    evidence_refs,
    evidence_rows,
    finding_groups,
    lapsing_groups,
    requirements,
)
from cmpacket.render._signature import signature_context
from cmpacket.templates import TemplateRegistry

BODIES = {
    "IDHS": "Illinois Department of Human Services",
    "IDPH": "Illinois Department of Public Health",
}
LICENCE_NAMES = {
    "LSW": "Licensed Social Worker",
    "LCSW": "Licensed Clinical Social Worker",
    "LPC": "Licensed Professional Counselor",
    "LCPC": "Licensed Clinical Professional Counselor",
    "RN": "Registered Professional Nurse",
    "APRN": "Advanced Practice Registered Nurse",
}
DEGREE_NAMES = {
    "associate": "Associate",
    "bachelor": "Bachelor's",
    "master": "Master's",
    "doctorate": "Doctorate",
}


def _param(profile: Profile, code: str, key: str, default: Any) -> Any:
    spec = profile.rule(code)
    return spec.params.get(key, default) if spec else default


def profile_context(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "title": profile.title,
        "program": dict(profile.program),
        "caseload_rule": profile.rule("caseload-over-limit") is not None,
        "training_rule": profile.rule("training-hours-short") is not None,
        "contact_rule": profile.rule("contact-frequency-missing") is not None,
        "provisional_tier": profile.rule("provisional-case-manager") is not None,
        "caseload_limit": _param(profile, "caseload-over-limit", "limit", 30),
        "training_hours": _param(profile, "training-hours-short", "hours", 12),
        "retention_min_years": _param(profile, "records-retention-short", "min_years", 6),
        "background_positions": _param(
            profile, "background-check-missing", "positions", "direct-care"
        ),
        "qualification_paths": profile.qualification_paths,
        "topics": list(profile.policy_topics),
    }


def staff_context(data: AgencyData, as_of: date, s: Staff, facts: StaffFacts) -> dict[str, Any]:
    """One staff member as the documents show them; what the rules found comes from `facts`."""
    pos = data.position(s.position)
    bc = s.background_check
    ex = s.exclusion_check
    return {
        "id": s.id,
        "name": s.name or s.id,
        "position": s.position,
        "position_title": (pos.title if pos and pos.title else s.position) or "",
        "hire_date": s.hire_date,
        "fte": s.fte,
        "degrees": [
            f"{DEGREE_NAMES.get(d.level or '', d.level or '')} in {d.field or '?'}, "
            f"{d.institution or ''} {d.year or ''}".strip().rstrip(",")
            for d in s.degrees
        ],
        "licenses": [
            {
                "type": lic.type or "",
                "name": LICENCE_NAMES.get((lic.type or "").upper(), lic.type or ""),
                "number": lic.number or "",
                "expires": lic.expires,
                "current": bool(lic.expires and lic.expires > as_of),
            }
            for lic in s.licenses
        ],
        "experience_months": s.case_management_experience_months,
        "background": {
            "registry_check": bc.registry_check if bc else None,
            "fingerprint": bc.fingerprint if bc else None,
            "status": (bc.status if bc else None) or "not recorded",
            "recheck": bc.registry_recheck.date if bc and bc.registry_recheck else None,
            "aps": bc.aps_registry.date if bc and bc.aps_registry else None,
        },
        "experience_proven": facts.experience_proven,
        "exclusion_check": {"date": ex.date, "lists": list(ex.lists)} if ex else None,
        "mandated_reporter_training": s.mandated_reporter_training,
        "training_hours": facts.training_hours,
        # `training_applies` false: the training rule does not cover this position (roster: n/a)
        "training_applies": facts.training_applies,
        "training_required": facts.training_required,
        "caseload": s.caseload,
        "caseload_applies": facts.caseload_applies,
        "caseload_limit": facts.caseload_limit,
        "proof_pages": "",
        "proof_page": 0,
    }


def _staff_by_position(data: AgencyData, key: str) -> Staff | None:
    return next((s for s in data.staff if s.position == key), None)


def base_context(data: AgencyData, profile: Profile, report: Report, draft: bool) -> dict[str, Any]:
    """Everything but page numbers (added by the assembler once the layout is known)."""
    a, sub = data.agency, data.submission
    as_of = report.as_of
    facts = report.staff or tuple(StaffFacts(s.id) for s in data.staff)
    officer = data.staff_member(data.records_system.privacy_officer)
    security = data.staff_member(data.records_system.security_officer)
    admin_pos = data.position("program-administrator")
    supervisor = _staff_by_position(data, "case-management-supervisor")
    signatory = data.agreement.signatory
    lines = reporting_lines(data.positions)
    return {
        "as_of": as_of,
        "draft": draft,
        "agency": {
            **{k: v for k, v in asdict(a).items() if k not in ("address", "medicaid")},
            "display_name": a.display_name,
            "address": a.address.one_line(),
            "address_parts": asdict(a.address),
            "counties": list(a.counties_served),
            "official": asdict(a.authorized_official),
            "medicaid": asdict(a.medicaid) if a.medicaid else {},
            "owners": [asdict(o) for o in a.owners],
            "board": [asdict(m) for m in a.board],
        },
        "submission": {
            **asdict(sub),
            "body_name": BODIES.get(sub.certifying_body or "", sub.certifying_body or ""),
        },
        "profile": profile_context(profile),
        "program": dict(profile.program),
        "positions": [position_context(data, profile, p, lines) for p in data.positions],
        "org_chart": org_chart(data),
        "on_call": on_call_context(data),
        "staff": [staff_context(data, as_of, s, f) for s, f in zip(data.staff, facts, strict=True)],
        "policies": asdict(data.policies),
        "settings": [asdict(s) for s in data.service_settings],
        "records": asdict(data.records_system),
        "agreement": {
            **asdict(data.agreement),
            "signatory": asdict(signatory) if signatory else {"name": "", "title": ""},
            "party": data.agreement.designee or data.agreement.department or "",
        },
        "attachments": [asdict(x) for x in data.attachments],
        "signature": signature_context(data, as_of),
        "evidence_refs": evidence_refs(data),
        "privacy_officer": _person(data, officer),
        "security_officer": _person(data, security),
        "supervisor": _person(data, supervisor),
        "administrator_title": (
            admin_pos.title if admin_pos and admin_pos.title else "Program Administrator"
        ),
        "readiness": report.as_dict(),
        "evidence": evidence_rows(data, report),  # proofs read against the data
        "fingerprint": "",
        "page_id_prefix": prefix(data),  # the stamped page ids: PCC-000041
    }


def _person(data: AgencyData, s: Staff | None) -> dict[str, str] | None:
    if s is None:
        return None
    pos = data.position(s.position)
    return {"name": s.name or s.id, "title": (pos.title if pos and pos.title else s.position) or ""}


def position_context(
    data: AgencyData, profile: Profile, p: Any, lines: Reporting | None = None
) -> dict[str, Any]:
    reports_to, up = reports_to_title(data, lines or reporting_lines(data.positions), p)
    duties, quals = position_content(p)
    bg = _param(profile, "background-check-missing", "positions", "direct-care")
    covered = p.direct_care if bg == "direct-care" else (bg == "all" or p.key in bg)
    holders = [s.name or s.id for s in data.staff if s.position == p.key]
    return {
        "key": p.key,
        "title": p.title or p.key.replace("-", " ").title(),
        "reports_to": reports_to,
        "reports_to_key": up,
        "summary": position_summary(p),
        "duties": list(duties),
        "qualifications": list(quals),
        "paths": [x.get("name", "") for x in profile.qualification_paths.get(p.key, [])],
        "direct_care": p.direct_care,
        "customer_contact": p.customer_contact,
        "background_check": covered,
        "case_manager": p.key in _param(profile, "caseload-over-limit", "positions", []),
        "training": p.key in _param(profile, "training-hours-short", "positions", []),
        "holders": holders,
    }


def packet_context(
    data: AgencyData,
    profile: Profile,
    report: Report,
    registry: TemplateRegistry,
    *,
    draft: bool,
    chapters: bool = True,
    receiver: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The context shared by every document of one packet, but what depends on the plan (see
    `with_plan`). Page numbers are not in it: templates place `pageref()` boxes the assembler
    fills (see `with_pages` for Word copies)."""
    ctx = base_context(data, profile, report, draft)
    ctx["chapters"] = policy_chapters(registry, ctx) if chapters else []
    ctx["receiver"] = receiver or {"name": "default", "title": "No limits (one PDF)"}
    ctx["requirements"] = requirements(profile, ctx["readiness"], ctx["evidence_refs"])
    ctx["finding_groups"] = finding_groups(ctx["readiness"]["findings"])
    ctx["lapsing_groups"] = lapsing_groups(ctx["readiness"]["lapsing"]["obligations"])
    ctx["crosswalk"] = crosswalk(profile, data, report, ctx["evidence_refs"])
    if not draft:  # the crosswalk points at pages; the proofs' self-check is the draft's
        ctx["evidence"] = []
    ctx["lifecycle"] = {"sequence": 0, "base": None, "deleted": [], "counts": {}}
    return ctx


def with_lifecycle(
    ctx: dict[str, Any], base: dict[str, Any] | None, ops: list[dict[str, Any]]
) -> dict[str, Any]:
    """The context of a packet built after `base` (its `lifecycle.base` record): the index marks
    each document `new`, `replaced` or `unchanged` (a staff member's proofs together) and lists
    the documents deleted since the base."""
    if base is None:
        return ctx
    marks = lifecycle.marks(ops)
    toc = []
    for row in ctx["toc"]:
        mark = marks.get(row["key"], "")
        if row["level"] == "staff":
            theirs = {m for k, m in marks.items() if k.startswith(row["key"] + ":")}
            mark = (
                "unchanged"
                if theirs == {"unchanged"}
                else "new"
                if theirs == {"new"}
                else ("replaced" if theirs else "")
            )
        toc.append(dict(row, change=mark))
    deleted = [
        {"title": op["title"], "kind": op["kind"], "base_pages": op["base_pages"]}
        for op in ops
        if op["operation"] == "delete"
    ]
    state = {
        "sequence": int(base["sequence"]) + 1,
        "base": dict(base),
        "deleted": deleted,
        "counts": lifecycle.summary(ops),
    }
    return dict(ctx, toc=toc, lifecycle=state)


def with_plan(ctx: dict[str, Any], planned: Planned) -> dict[str, Any]:
    """The context with the plan: the inputs' fingerprint, the index and the parts, and which
    staff members have proof pages to link to."""
    proofs = {p.staff_id for p in planned.pieces if p.staff_id}
    staff = [dict(s, ref=f"staff/{s['id']}" if s["id"] in proofs else "") for s in ctx["staff"]]
    return dict(
        ctx,
        crosswalk=answered(ctx.get("crosswalk", []), planned.pieces),
        fingerprint=planned.fingerprint,
        toc=index_entries(planned.pieces, planned.part_of),
        parts=[dict(p) for p in planned.parts],
        staff=staff,
    )


def build_context(
    data: AgencyData,
    profile: Profile,
    report: Report,
    planned: Planned,
    registry: TemplateRegistry,
    *,
    draft: bool,
    chapters: bool = True,
    receiver: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole context of one packet's documents (`packet_context` `with_plan`)."""
    ctx = packet_context(
        data, profile, report, registry, draft=draft, chapters=chapters, receiver=receiver
    )
    return with_plan(ctx, planned)


def piece_context(ctx: dict[str, Any], piece: Piece) -> dict[str, Any]:
    """The context one document is rendered with: a job description also gets its `position`."""
    if piece.kind == "job-description":
        key = piece.extra["position_key"]
        return dict(ctx, position=next(p for p in ctx["positions"] if p["key"] == key))
    if piece.kind == "part-cover":
        return dict(ctx, part=ctx["parts"][piece.extra["part"] - 1])
    if piece.kind == "empty-section":
        return dict(ctx, empty={"title": piece.title, "why": piece.extra["why"]})
    return dict(ctx)


def with_pages(ctx: dict[str, Any], refs: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """A copy of the context with packet page numbers written out (`requirements[].page`,
    `staff[].proof_pages`), for Word copies, which have no assembler to fill references."""
    reqs = [dict(r, page=refs.get(r["ref"], (0, 0))[0]) for r in ctx["requirements"]]
    staff = []
    for s in ctx["staff"]:
        first, last = refs.get(s["ref"], (0, 0)) if s["ref"] else (0, 0)
        pages = "" if not first else (f"p. {first}" if first == last else f"pp. {first}-{last}")
        staff.append(dict(s, proof_pages=pages))
    return dict(ctx, requirements=reqs, staff=staff)


def policy_chapters(registry: TemplateRegistry, context: dict[str, Any]) -> list[dict[str, Any]]:
    """One chapter per policy topic of the profile: its template's text plus the agency's additions."""
    chapters = []
    additions = context["policies"].get("additions") or {}
    for number, topic in enumerate(context["profile"]["topics"], start=1):
        key = topic["key"]
        name = f"policies/{key}.txt.j2"
        text = render_template(registry, name, context) if registry.exists(name) else ""
        extra = str(additions.get(key) or "").strip()
        if extra and extra not in text:
            # A template that places the addition itself (e.g. crisis-services) is left alone;
            # otherwise the addition gets its own heading after the built-in text.
            heading = "## Additional agency procedures\n" if text.strip() else ""
            text = text.rstrip() + "\n\n" + heading + extra
        chapters.append(
            {
                "key": key,
                "number": number,
                "title": topic["title"],
                "citation": topic.get("citation", ""),
                "blocks": chapter_blocks(text),
            }
        )
    return chapters
