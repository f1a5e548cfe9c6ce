"""The readiness report's rows: every requirement of the profile, its status and evidence page.

A requirement's title and the packet section that evidences it are profile data (`title:` and
`section:` of each rule entry in the profile YAML; `il-guide.yaml` holds the shared defaults the
other built-in profiles extend)."""

from __future__ import annotations

import re
from typing import Any

from cmpacket.findings import PROOF_FIELDS, field_label
from cmpacket.model import AgencyData
from cmpacket.plan import Piece, attachment_keys, section_title


def requirements(
    profile: Any, report: dict[str, Any], evidence: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per rule of the profile; `ref` points at the page that evidences it: the document
    named in `evidence` (code -> page reference) or else the start of its section."""
    evidence = evidence or {}
    by_code: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    rows = []
    for spec in profile.rules:
        title = spec.title or spec.code
        section = spec.section or "A"
        hits = by_code.get(spec.code, [])
        worst = next(
            (s for s in ("error", "warning", "info") if any(f["severity"] == s for f in hits)), None
        )
        rows.append(
            {
                "code": spec.code,
                "title": title,
                "status": worst or "met",
                "count": len(hits),
                "ref": evidence.get(spec.code, f"section/{section}"),
                "page": 0,
                "section": section,
                "citation": spec.citation,
                "verified": spec.verified,
            }
        )
    return rows


PER_CODE = 5  # findings of one code shown in the packet; readiness.json holds every one
SEVERITIES = ("error", "warning", "info")


def finding_groups(
    findings: list[dict[str, Any]], per_code: int = PER_CODE
) -> list[dict[str, Any]]:
    """The open findings as `validate` prints them: by severity (errors first), then by code in
    order of first appearance, the first `per_code` of each code shown and the rest counted
    (`more`). A first build of 500 staff has thousands of findings: listed one a row, they were
    most of the draft's layout time and pages, while `readiness.json` and `validate --all` hold
    every one."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in sorted(findings, key=lambda f: order.get(f["severity"], len(order))):
        groups.setdefault((f["severity"], f["code"]), []).append(f)
    return [
        {"severity": severity, "code": code, **_shown(found, per_code)}
        for (severity, code), found in groups.items()
    ]


def _shown(found: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """A group's `count`, the first `limit` items (`shown`), how many more there are (`more`)
    and the `limit`: what the packet prints of a long list whose file lists every one."""
    return {
        "count": len(found),
        "shown": found[:limit],
        "more": max(0, len(found) - limit),
        "limit": limit,
    }


PER_KIND = 10  # lapsing obligations of one kind shown in the packet; the calendar lists every one
KIND_TITLES = {
    "license-expiry": "License expiries",
    "license-renewal": "License renewals",
    "training-year": "Training years",
    "mandated-reporter-training": "Mandated-reporter training",
    "exclusion-screening": "Exclusion screenings",
    "agreement-term-end": "The agreement's term",
    "response-due": "Responses due",
}


def lapsing_groups(
    obligations: list[dict[str, Any]], per_kind: int = PER_KIND
) -> list[dict[str, Any]]:
    """The lapsing obligations (readiness.json's `lapsing.obligations`, by date) grouped by kind,
    the group due first first; the first `per_kind` of each shown and the rest counted (`more`),
    with how many are overdue. A first build of 2,000 staff has thousands: listed one a row, they
    were one table WeasyPrint took minutes and 600 MB to lay out, while `cmpacket calendar`
    lists every one. `title`: the kind in words (a profile's schedule entry by its own title)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for o in obligations:
        groups.setdefault(o["kind"], []).append(o)
    return [
        {
            "kind": kind,
            "title": KIND_TITLES.get(kind) or found[0]["what"],
            "overdue": sum(1 for o in found if o["overdue"]),
            **_shown(found, per_kind),
        }
        for kind, found in groups.items()
    ]


_STAFF_INDEX = re.compile(r"^staff\[(\d+)\]")


def evidence_rows(data: Any, report: Any) -> list[dict[str, Any]]:
    """The evidence table: one row per staff member with proofs, listing each proof read with the
    fields matched and mismatched in words, `complete` (every field its kind is checked for was
    found) and `ref`, its piece for `pageref()`. One row per person, not per proof: at 500 staff a
    1,500-row table costs three times the layout."""

    kinds = {
        "license": "License",
        "lookup": "License lookup",
        "registry": "Registry printout",
        "aps": "APS Registry printout",
        "experience": "Experience letter",
        "diploma": "Diploma",
    }
    staff = {s.id: s for s in data.staff}
    rows: dict[str, dict[str, Any]] = {}
    for e in report.evidence:
        # the person the proof's path names: two staff may share an id (an error a draft shows)
        at = _STAFF_INDEX.match(e.path)
        s = data.staff[int(at[1])] if at and int(at[1]) < len(data.staff) else staff.get(e.staff_id)
        proof = kinds.get(e.kind, e.kind)
        if e.path.endswith(".registry_recheck"):
            proof = "Registry re-check"
        if e.kind == "license" and s is not None:
            j = int(e.path.rsplit("[", 1)[1].rstrip("]"))
            if j < len(s.licenses):
                lic = s.licenses[j]
                proof = f"{lic.type or 'License'} {lic.number or ''}".strip()
        row = rows.setdefault(
            e.staff_id,
            {
                "staff": (s.name or s.id) if s else e.staff_id,
                "staff_id": e.staff_id,
                "ref": f"staff/{e.staff_id}",  # the pages of this person's proofs
                "proofs": [],
            },
        )
        row["proofs"].append(
            {
                "proof": proof,
                "file": e.file,
                "checked": e.checked,
                "matched": [field_label(f) for f in e.matched],
                "mismatched": [field_label(f) for f in e.mismatched],
                "complete": e.checked
                and not e.mismatched
                and set(PROOF_FIELDS.get(e.kind, ())) <= set(e.matched),
                "ref": f"doc/{e.path}",
            }
        )
    return list(rows.values())


# Requirement code -> the proofs (upload pieces of each staff member, and the owners' screening)
# whose pages answer it in the crosswalk, besides the staff roster.
ANSWERING_PROOFS: dict[str, tuple[str, ...]] = {
    "license-expired": ("licenses",),
    "license-proof-missing": ("licenses",),
    "qualification-not-met": ("documents", "licenses", "experience_proof"),
    "experience-unproven": ("experience_proof",),
    "background-check-missing": ("background_check",),
    "background-check-late": ("background_check",),
    "background-check-disqualified": ("background_check",),
    "caseload-increase-unsupported": ("caseload_increase",),
    "caseload-over-limit": ("caseload_increase",),
    "exclusion-check-missing": ("owners", "exclusion_check"),
}
# Requirement code -> the generated documents that answer it (where not the whole section).
ANSWERING_DOCS: dict[str, tuple[str, ...]] = {
    "agency-info-missing": ("application-summary",),
    "medicaid-enrollment-incomplete": ("application-summary",),
    "npi-invalid": ("application-summary",),
    "signature-missing": ("application-summary", "agreement", "records-attestation"),
    "policy-topic-missing": ("policy-manual",),
    "contact-frequency-missing": ("policy-manual",),
    "records-system-incomplete": ("records-attestation",),
    "records-retention-short": ("records-attestation",),
    "service-settings-missing": ("service-settings",),
    "training-hours-short": ("staff-roster",),
    "mandated-reporter-training-missing": ("staff-roster",),
    "provisional-case-manager": ("staff-roster",),
}
MAX_PROOF_REFS = 12  # more than this and the row cites the section's pages instead


def contradicted_refs(report: Any) -> set[str]:
    """The page references of proofs whose text contradicts the data (open `proof-mismatch`):
    the crosswalk never cites them as the answer to a requirement."""
    return {f"doc/{e.path}" for e in report.evidence if e.mismatched}


def _proof_refs(data: Any, kind: str) -> list[tuple[str, str]]:
    """(page reference, label) of each proof of one kind, in roster order."""
    if kind == "owners":
        return [
            (f"doc/agency.owners[{i}].exclusion_check", o.name or f"owner {i + 1}")
            for i, o in enumerate(data.agency.owners)
            if o.exclusion_check is not None and o.exclusion_check.file
        ]
    out = []
    for i, s in enumerate(data.staff):
        value = getattr(s, kind, None)
        if isinstance(value, (list, tuple)):
            keys = [f"staff[{i}].{kind}[{j}]" for j, item in enumerate(value) if item.file]
        else:
            keys = [f"staff[{i}].{kind}"] if value is not None and value.file else []
        out += [(f"doc/{k}", s.name or s.id) for k in keys]
    return out


def crosswalk(
    profile: Any, data: Any, report: Any, evidence: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The final packet's front matter: one row per requirement of the program (the profile's
    rules but its `preparation_checks`), in the profile's words, with its citation and the pages
    that answer it (`answers`: page references with a label; `with_plan` names the documents).
    No status: the reviewer grades, the packet only points. A proof whose text contradicts the
    data is never an answer."""
    evidence = evidence or {}
    skip = set(profile.preparation_checks)
    bad = contradicted_refs(report)
    rows = []
    for spec in profile.rules:
        if spec.code in skip:
            continue
        section = spec.section or "A"
        primary = evidence.get(spec.code, "")
        if spec.code in ANSWERING_PROOFS:
            primary = primary or "doc/staff-roster"
        if not primary or primary in bad:
            primary = f"section/{section}"
        docs = [f"doc/{key}" for key in ANSWERING_DOCS.get(spec.code, ())]
        if docs and spec.code not in evidence:
            primary = docs[0]
        answers = [{"ref": primary, "label": "", "proof": False}]
        answers += [{"ref": ref, "label": "", "proof": False} for ref in docs[1:]]
        proofs = [
            (ref, label)
            for kind in ANSWERING_PROOFS.get(spec.code, ())
            for ref, label in _proof_refs(data, kind)
            if ref not in bad and ref != primary
        ]
        if len(proofs) > MAX_PROOF_REFS:
            answers.append({"ref": f"section/{section}", "label": "", "proof": False})
        else:
            answers += [{"ref": ref, "label": label, "proof": True} for ref, label in proofs]
        rows.append(
            {
                "code": spec.code,
                "title": spec.title or spec.code,
                "citation": spec.citation,
                "section": section,
                "answers": answers,
            }
        )
    return rows


def answered(rows: list[dict[str, Any]], pieces: list[Piece]) -> list[dict[str, Any]]:
    """The crosswalk's answers named by the documents they point at (a section by its letter
    and title); a reference to no planned page (an upload the plan left out) is dropped."""
    titles = {f"doc/{p.key}": p.title for p in pieces}
    for p in pieces:
        name = p.section_title or f"{p.section}. {section_title(p.section)}"
        titles.setdefault(f"section/{p.section}", f"Section {name}")
    out = []
    for row in rows:
        answers = [
            dict(a, label=a["label"] or titles[a["ref"]])
            for a in row["answers"]
            if a["ref"] in titles
        ]
        if not answers:  # nothing planned to point at: the section
            ref = f"section/{row['section']}"
            answers = [{"ref": ref, "label": titles.get(ref, ""), "proof": False}]
        out.append(
            dict(
                row,
                answers=[a for a in answers if not a["proof"]],
                proofs=[a for a in answers if a["proof"]],
            )
        )
    return out


EVIDENCE_WORDS = ("resolution", "minutes", "adopt", "approv")


def evidence_refs(data: AgencyData) -> dict[str, str]:
    """Requirement code -> the page reference that shows its evidence, where it is not simply the
    start of the requirement's section (the board resolution, not the manual's first page)."""
    refs = {}
    for name, code in (
        ("caseload_increase", "caseload-increase-unsupported"),
        ("experience_proof", "experience-unproven"),
    ):
        i = next(
            (i for i, s in enumerate(data.staff) if getattr(getattr(s, name), "file", None)), -1
        )
        if i >= 0:
            refs[code] = f"doc/staff[{i}].{name}"
    for i, a in enumerate(data.attachments):
        title = (a.title or "").lower()
        if a.file and a.section == "policies" and any(w in title for w in EVIDENCE_WORDS):
            refs["policies-not-adopted"] = f"doc/{attachment_keys(data)[i]}"
            break
    return refs
