"""Evidence rules: signatures, exclusion screening, mandated-reporter training, experience proof."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from cmpacket.findings import Finding
from cmpacket.model import AgencyData, ExclusionCheck, Staff
from cmpacket.profiles import RuleSpec
from cmpacket.validators._dates import add_months
from cmpacket.validators._registry import Context, rule
from cmpacket.validators._rules_staff import experience_proven, meets_path, role_months

#: What each signed document is called in messages.
DOCUMENT_NAMES = {
    "application-summary": "the application letter",
    "records-attestation": "the records system attestation",
    "agreement": "the statement of assurances",
}


def _who(s: Staff) -> str:
    return f"{s.name or s.id} ({s.id})"


def signed_documents(data: AgencyData, spec: RuleSpec | None) -> list[str]:
    """The generated documents in this packet that carry a signature line."""
    wanted = list((spec.params if spec else {}).get("documents", DOCUMENT_NAMES))
    # With agreement.file the Department's own form is section B: no generated statement to sign.
    return [d for d in wanted if not (d == "agreement" and data.agreement.file)]


def signature_gaps(data: AgencyData, documents: list[str]) -> dict[str, tuple[str, str]]:
    """{document: (field path, what is missing)} for every document that is not signed."""
    sig = data.signatures
    if sig is None or not sig.method:
        return {d: ("signatures", "no `signatures:` says how it was signed") for d in documents}
    if sig.method == "wet-ink":
        return {
            d: (f"signatures.signed_copies.{d}", "wet-ink signing needs the signed scan")
            for d in documents
            if not sig.signed_copies.get(d)
        }
    signer = sig.signer if sig.signer and sig.signer.name else data.agency.authorized_official
    # digital: the date is the signing time's (signatures.date, else the as-of date)
    date_needed = sig.method != "digital"
    missing = [
        (path, what)
        for path, what, value in (
            ("signatures.signer.name", "the signer's name", signer.name),
            ("signatures.signer.title", "the signer's title", signer.title),
            ("signatures.date", "the date of signing", sig.date or not date_needed),
        )
        if not value
    ]
    if not missing:
        return {}
    path = missing[0][0] if len(missing) == 1 else "signatures"
    what = f"{sig.method} signing lacks " + " and ".join(w for _, w in missing)
    return {d: (path, what) for d in documents}


@rule("signature-missing")
def signature_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    documents = signed_documents(ctx.data, spec)
    for doc, (path, what) in signature_gaps(ctx.data, documents).items():
        yield spec.finding(
            path,
            f"{DOCUMENT_NAMES.get(doc, doc)} ({doc}) has a signature line but is unsigned: "
            f"{what}. Sign it electronically (signatures: {{method: electronic, date: YYYY-MM-DD}}) "
            f"or by hand (method: wet-ink, signed_copies: {{{doc}: uploads/signed/{doc}.pdf}}); "
            f"`--draft` builds it with blank signature lines.",
        )
    sig = ctx.data.signatures
    if sig and sig.date and sig.date > ctx.as_of:
        yield spec.finding(
            "signatures.date",
            f"signed on {sig.date}, after the as-of date {ctx.as_of}. Correct the date of signing.",
        )


def _check_problems(
    check: ExclusionCheck | None, as_of: date, max_months: int, lists: list[str]
) -> list[str]:
    if check is None or check.date is None:
        return ["no exclusion check (date, lists, file) is recorded"]
    problems = []
    oldest = add_months(as_of, -max_months)
    if check.date < oldest:
        problems.append(f"the check of {check.date} is older than {max_months} months")
    elif check.date > as_of:
        problems.append(f"the check is dated {check.date}, after the as-of date {as_of}")
    searched = {x.strip().upper() for x in check.lists}
    absent = [x for x in lists if x.upper() not in searched]
    if absent:
        problems.append(f"the lists {', '.join(absent)} were not searched")
    if not check.file:
        problems.append("no printout of the search results (file)")
    return problems


#: Words that name a body of people, not a person: an owner, director or officer written this way
#: was not screened as a person ("Board of Directors", "the trustees").
_COLLECTIVE = re.compile(
    r"\b(board|boards|directors|trustees|committee|council|members|officers|shareholders|"
    r"partners|stockholders|members of the board)\b",
    re.IGNORECASE,
)


def collective_name(name: str | None) -> bool:
    """Whether `name` names a group of people rather than one person (or one legal entity)."""
    return bool(name and _COLLECTIVE.search(name))


@rule("exclusion-check-missing")
def exclusion_check_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Every staff member, owner, director and officer screened as a person against the
    exclusion lists within the window; a collective name ("Board of Directors") screens no one."""
    months = int(spec.params.get("max_age_months", 12))
    lists = [str(x) for x in spec.params.get("lists", ["LEIE", "SAM", "HFS-OIG"])]
    agency = ctx.data.agency
    people: list[tuple[str, str, Any]] = []
    for i, o in enumerate(agency.owners):
        if collective_name(o.name):
            yield spec.finding(
                f"agency.owners[{i}].name",
                f"owner {o.name!r} names a group, not a person: a screening of that name screens "
                f"none of its members. A nonprofit has no owners: remove it, and list each "
                f"director and officer by name under agency.board: [{{name, title, "
                f"exclusion_check}}]; otherwise list each owner by name.",
            )
            continue
        people.append((f"agency.owners[{i}]", f"owner {o.name or i}", o.exclusion_check))
    for i, m in enumerate(agency.board):
        who = ", ".join(x for x in (m.name, m.title) if x) or f"board member {i + 1}"
        if not m.name or collective_name(m.name):
            yield spec.finding(
                f"agency.board[{i}].name",
                f"{who!r} is not a person's name: each director and officer is listed and "
                f"screened by name. Write one entry per person: {{name, title, exclusion_check}}.",
            )
            continue
        people.append((f"agency.board[{i}]", f"director or officer {who}", m.exclusion_check))
    people += [(f"staff[{i}]", _who(s), s.exclusion_check) for i, s in enumerate(ctx.data.staff)]
    for path, who, check in people:
        problems = _check_problems(check, ctx.as_of, months, lists)
        if problems:
            yield spec.finding(
                f"{path}.exclusion_check",
                f"{who}: {'; '.join(problems)}. Search {', '.join(lists)} for them, then "
                f"record exclusion_check: {{date, lists, file: uploads/....pdf}} (at least every "
                f"{months} months).",
            )


#: the words of a training log topic that make it the DCFS mandated-reporter training
DCFS_TOPICS = ("DCFS", "child abuse", "abused and neglected child")


def mandated_reporter_date(s: Staff, spec: RuleSpec) -> date | None:
    """The last mandated-reporter training: `mandated_reporter_training`, or a later training log
    entry whose topic names it (the rule's `topics`; by default DCFS or child abuse, so that the
    Adult Protective Services mandated-reporter training does not count for it)."""
    words = [str(w).casefold() for w in spec.params.get("topics", DCFS_TOPICS)]
    logged = [
        t.date for t in s.training if t.date and any(w in (t.topic or "").casefold() for w in words)
    ]
    days = [d for d in (s.mandated_reporter_training, *logged) if d]
    return max(days) if days else None


@rule("mandated-reporter-training-missing")
def mandated_reporter_training_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    months = int(spec.params.get("max_age_months", 36))
    grace = int(spec.params.get("new_hire_months", 3))
    positions = spec.params.get("positions", "all")
    oldest = add_months(ctx.as_of, -months)
    for i, s in enumerate(ctx.data.staff):
        if positions != "all" and s.position not in positions:
            continue
        day = mandated_reporter_date(s, spec)
        if day is None:
            if s.hire_date and s.hire_date > add_months(ctx.as_of, -grace):
                continue  # still within the new-hire window
            problem = "has no mandated-reporter training date"
        elif day < oldest:
            problem = (
                f"last completed mandated-reporter training on {day}, over {months} months ago"
            )
        elif day > ctx.as_of:
            problem = f"has a mandated-reporter training date {day} after the as-of date"
        else:
            continue
        yield spec.finding(
            f"staff[{i}].mandated_reporter_training",
            f"{_who(s)} {problem}. Complete the DCFS mandated reporter training and record the "
            f"completion date as mandated_reporter_training: YYYY-MM-DD.",
        )


def _relies_on_experience(ctx: Context, s: Staff) -> bool:
    """True when the claimed experience is what makes the person meet a path for their position."""
    options = ctx.profile.qualification_paths.get(s.position or "") or []
    if any(meets_path(s, p, ctx.as_of) for p in options):
        return False  # qualified without the unproven months (or by the proven ones)
    claimed = s.case_management_experience_months or 0
    return any(
        meets_path(s, {k: v for k, v in p.items() if k != "experience_months"}, ctx.as_of)
        and claimed >= int(p["experience_months"])
        for p in options
        if p.get("experience_months")
    )


@rule("experience-unproven")
def experience_unproven(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Claimed experience counts only as the case-management months of a dated, attested letter
    whose roles (title, from, to, case_management) show them."""
    otherwise = str(spec.params.get("unneeded_severity", "warning"))
    for i, s in enumerate(ctx.data.staff):
        months = s.case_management_experience_months
        if not months or experience_proven(s):
            continue
        p = s.experience_proof
        lacking = [
            n
            for n, v in (
                ("file", p and p.file),
                ("attested_by", p and p.attested_by),
                ("date", p and p.date),
                ("roles", p and p.roles),
            )
            if not v
        ]
        relies = _relies_on_experience(ctx, s)
        why = " It is what qualifies them for their position." if relies else ""
        if lacking:
            problem = f"without a complete proof (missing {', '.join(lacking)})."
            fix = (
                "Upload a dated letter from the employer naming each role with its dates and "
                "record experience_proof: {file, attested_by: 'name, title, organization', date, "
                "roles: [{title, from, to, case_management: true or false}]}."
            )
        else:
            counted = role_months(s)
            others = [r.title or "a role" for r in p.roles if not r.case_management] if p else []
            undated = (
                [
                    r.title or "a role"
                    for r in p.roles
                    if r.case_management and not (r.start and r.end and r.start <= r.end)
                ]
                if p
                else []
            )
            notes = ""
            if others:
                notes += f" Roles that are not case management count nothing: {', '.join(others)}."
            if undated:
                notes += f" Case-management roles without both dates: {', '.join(undated)}."
            problem = (
                f"but the letter's case-management roles show {counted} month"
                f"{'' if counted == 1 else 's'}.{notes}"
            )
            fix = (
                "Record the months the letter shows as case management "
                "(case_management_experience_months), or upload a letter that shows the rest."
            )
        yield spec.finding(
            f"staff[{i}].experience_proof",
            f"{_who(s)} claims {months} months of case management experience {problem}{why} {fix}",
            None if relies else otherwise,
        )
