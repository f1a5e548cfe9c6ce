"""The checks of a response to the Department (SPEC §16): every item answered, a CAP item's
cause, correction, owner, date and how it is sustained, exhibits that exist, a base packet of
this agency, and the due date (profile data: days from the letter's receipt, unless the letter
states its own date)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cmpacket.findings import Finding, ResponseFacts
from cmpacket.model import AgencyData, Response, resolve_upload
from cmpacket.profiles import Profile

Path_ = tuple[str | int, ...]
Finding_ = Callable[[str, str, Path_, str], None]  # (code, severity, where, message)
CITATION = "see docs/responses.md"
CAP_FIELDS = ("cause", "correction", "owner", "sustain")


@dataclass(frozen=True)
class BaseState:
    """What the caller found of a response's base packet: unreadable (why), or its FEIN and what
    makes it unfit (fails verify, not the file its sidecar names)."""

    unreadable: str = ""
    fein: str | None = None
    problems: tuple[str, ...] = ()
    absent: bool = False  # the file does not exist (yet): `validate` warns, `respond` refuses


def due_date(response: Response, profile: Profile) -> tuple[date | None, str, bool]:
    """(due date, its basis, verified): the letter's own date, else the profile's days from the
    letter's receipt (or date)."""
    letter = response.letter
    if letter.due is not None:
        return letter.due, "the date the Department's letter sets", True
    rule = profile.responses.get(response.kind)
    if rule is None:
        return None, "", False
    start = letter.received if rule["from"] == "received" else letter.dated
    if start is None:
        return None, rule["citation"], bool(rule["verified"])
    return start + timedelta(days=int(rule["days"])), rule["citation"], bool(rule["verified"])


def check_response(
    response: Response,
    data: AgencyData,
    profile: Profile,
    as_of: date,
    *,
    base: BaseState | None,
    documents: Iterable[str],
) -> tuple[list[Finding], ResponseFacts]:
    """Every finding of one response, and what the readiness report and calendar show of it."""
    out: list[Finding] = []

    def finding(code: str, severity: str, where: Path_, message: str) -> None:
        shown = _shown(where)
        out.append(
            Finding(code, severity, f"{response.file}: {shown}", message, CITATION,
                    response.location(where))
        )  # fmt: skip

    known = set(documents)
    chapters = {t["key"] for t in profile.policy_topics}
    who = f"{response.name} ({response.letter.reference or 'no reference'})"
    if response.letter.file:
        _exhibit_file(data.folder, response.letter.file, ("letter", "file"), finding)
    answered = 0
    for i, item in enumerate(response.items):
        here: Path_ = ("items", i)
        if item.answer and item.answer.strip():
            answered += 1
        else:
            finding(
                "response-item-unanswered",
                "error",
                (*here, "answer"),
                f"item {item.id} of {who} has no answer. Write the agency's answer to the "
                f"Department's request in `answer:`.",
            )
        if response.kind == "cap":
            missing = [f for f in CAP_FIELDS if not getattr(item, f)]
            if item.completed is None and item.target is None:
                missing.append("completed or target")
            if missing:
                finding(
                    "cap-item-incomplete",
                    "error",
                    here,
                    f"item {item.id} of {who} is a corrective action without "
                    f"{', '.join(missing)}. A corrective action plan gives, for each finding, the "
                    f"root cause, the correction, who owns it, the date it was (completed:) or "
                    f"will be (target:) done, and how compliance is kept (sustain:).",
                )
        for j, exhibit in enumerate(item.exhibits):
            where = (*here, "exhibits", j)
            if exhibit.file:
                _exhibit_file(data.folder, exhibit.file, where, finding)
            elif exhibit.document not in known:
                near = ", ".join(sorted(k for k in known if ":" not in k)[:12])
                finding(
                    "response-exhibit-missing",
                    "error",
                    where,
                    f"item {item.id}: the packet has no document {exhibit.document!r}. Name one "
                    f"of its documents by key (e.g. {near}), or give an upload's path.",
                )
            elif exhibit.chapter and (
                exhibit.document != "policy-manual" or exhibit.chapter not in chapters
            ):
                finding(
                    "response-exhibit-missing",
                    "error",
                    where,
                    f"item {item.id}: {exhibit.chapter!r} is not a chapter of the policy manual. "
                    f"Chapters: {', '.join(sorted(chapters))}.",
                )
    if base is not None:
        _base(response, data, base, finding)
    due, basis, verified = due_date(response, profile)
    open_ = response.sent is None
    overdue = bool(open_ and due is not None and as_of > due)
    if overdue:
        finding(
            "response-overdue",
            "warning",
            ("letter",),
            f"the answer to {who} was due {due.isoformat() if due else ''} ({basis}); the as-of "
            f"date is {as_of.isoformat()}. Send it now, or ask the Department for more time "
            f"and give the new date as letter.due.",
        )
    facts = ResponseFacts(
        name=response.name,
        kind=response.kind,
        reference=response.letter.reference or "",
        sender=response.letter.sender or "",
        dated=response.letter.dated,
        received=response.letter.received,
        due=due,
        due_basis=basis,
        due_verified=verified,
        sent=response.sent,
        items=len(response.items),
        answered=answered,
        overdue=overdue,
    )
    return out, facts


def _shown(where: Path_) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "response"


def _exhibit_file(folder: Path, given: str, where: Path_, finding: Finding_) -> None:
    ref = resolve_upload(folder, given)
    if ref.path is None:
        why = "leaves the agency folder" if ref.problem == "outside" else "does not exist"
        finding(
            "response-exhibit-missing",
            "error",
            where,
            f"the exhibit {given!r} {why}. Put the file in the agency folder (e.g. under "
            f"uploads/) and give its path relative to the folder.",
        )


def _base(response: Response, data: AgencyData, base: BaseState, finding: Finding_) -> None:
    given = response.base or "(none given)"
    if base.absent:
        finding(
            "response-base-missing",
            "warning",
            ("base",),
            f"the base packet {given!r} does not exist yet: `cmpacket respond` needs it. Keep "
            f"the packet you sent the Department there (or build it with `cmpacket build`).",
        )
        return
    if base.unreadable:
        finding(
            "response-base-missing",
            "error",
            ("base",),
            f"the base packet {given!r} cannot be read: {base.unreadable}. Give the packet PDF "
            f"(or its manifest.json) the Department received, e.g. out/<agency>-packet.pdf.",
        )
        return
    problems = list(base.problems)
    if base.fein != data.agency.fein:
        problems.insert(0, f"it is the packet of FEIN {base.fein!r}, not {data.agency.fein!r}")
    for why in problems:
        finding(
            "response-base-mismatch",
            "error",
            ("base",),
            f"{given!r} cannot be the base of this response: {why}. Give the packet this agency "
            f"sent the Department, unchanged.",
        )
