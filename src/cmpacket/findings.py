"""Findings and reports: the plain data every stage passes along (SPEC §4)."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

SEVERITIES = ("error", "warning", "info")


def format_path(path: Sequence[str | int]) -> str:
    """A field path as findings and messages show it: ('staff', 2, 'hire_date') ->
    'staff[2].hire_date'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Finding:
    """One problem or note about the agency's data, uploads or a packet."""

    code: str
    severity: str
    path: str
    message: str
    citation: str = ""
    # where the user wrote it: "agency.yaml:41", "staff.csv:5 (column caseload)" or
    # "staff.xlsx: sheet 'staff', cell C7 (hire_date)"; "" for a path that names no data
    location: str = ""

    def as_dict(self) -> dict[str, Any]:
        """As JSON gives it: `location` is null where the path names no data (a file name)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "citation": self.citation,
            "location": self.location or None,
        }

    def at(self, location: str) -> Finding:
        """The finding placed where the user wrote it (a finding is built here directly:
        `dataclasses.replace` took a second for a hundred thousand findings)."""
        return Finding(self.code, self.severity, self.path, self.message, self.citation, location)

    def text_line(self) -> str:
        where = f"{self.location}: " if self.location else ""
        cite = f" [{self.citation}]" if self.citation else ""
        return f"{where}{self.path}: {self.message}{cite}"


EVIDENCE_FIELDS = {
    "number": "license number",
    "name": "name",
    "expires": "expiration date",
    "registry_check": "check date",
    "searched": "search date",
    "looked_up": "lookup date",
    "role_dates": "role dates",
    "degree": "degree level",
}


ITEM_WORDS = {
    "licenses": "license",
    "degrees": "degree",
    "documents": "document",
    "training": "training entry",
    "owners": "owner",
    "board": "board member",
    "positions": "position",
    "attachments": "attachment",
    "service_settings": "service setting",
}


def path_words(path: str, staff_names: Sequence[str] = ()) -> str:
    """A data path in words, for pages a reviewer reads: `staff[3].licenses[0].number` with
    Maria Lopez fourth in the roster reads `Maria Lopez, license 1, number`."""
    words = []
    for token in path.split("."):
        name, _, index = token.partition("[")
        i = int(index.rstrip("]")) if index.rstrip("]").isdigit() else None
        if name == "staff" and i is not None:
            words.append(staff_names[i] if i < len(staff_names) else f"staff member {i + 1}")
        elif i is not None:
            words.append(f"{ITEM_WORDS.get(name, name.replace('_', ' '))} {i + 1}")
        elif name not in ("agency", "records_system", "policies", "submission"):
            words.append(name.replace("_", " "))
    return ", ".join(words) or path.replace("_", " ")


def contradicted_proofs(evidence: Sequence[Evidence], staff_names: Sequence[str]) -> list[str]:
    """One line per proof whose text contradicts the data (open `proof-mismatch`), for the last
    lines a final build prints: which proof, where it is, what it does not show."""
    lines = []
    for e in evidence:
        if not e.mismatched:
            continue
        fields = " and ".join(field_label(f) for f in e.mismatched)
        page = f", packet p. {e.page}" if e.page else ""
        lines.append(
            f"proof-mismatch: {path_words(e.path, staff_names)} ({e.file}{page}) does not show "
            f"the {fields} the data gives; the crosswalk does not cite it. Check the proof "
            "against the data (OCR can misread a scan); --strict refuses such a build."
        )
    return lines


def field_label(name: str) -> str:
    """An evidence field in words: `expires` -> `expiration date`."""
    return EVIDENCE_FIELDS.get(name, name)


@dataclass(frozen=True)
class Evidence:
    """One proof read and checked against the data (validators/_evidence.py): `path` is the proof's
    place in the data (`staff[3].licenses[0]`, also its packet piece key), `page` its first packet
    page once the packet is assembled (None before, and in `validate`)."""

    path: str
    file: str
    checked: bool
    matched: tuple[str, ...] = ()
    mismatched: tuple[str, ...] = ()
    page: int | None = None
    staff_id: str = ""
    kind: str = ""  # license, lookup, registry, aps, experience or diploma

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "file": self.file,
            "checked": self.checked,
            "matched": list(self.matched),
            "mismatched": list(self.mismatched),
            "page": self.page,
        }


# the fields each kind of proof is checked for, when the data gives them
PROOF_FIELDS = {
    "license": ("number", "name", "expires"),  # and looked_up, when it is the lookup printout
    "lookup": ("number", "name", "looked_up"),
    "registry": ("name", "registry_check"),
    "aps": ("name", "searched"),
    "experience": ("name", "role_dates"),
    "diploma": ("name", "degree"),
}


@dataclass(frozen=True)
class StaffFacts:
    """What the rules found of one staff member, as data for the documents (the roster, job
    descriptions), which never redo the rules' arithmetic. `training_required` and
    `caseload_limit` are None where the profile's rule does not cover the person."""

    staff_id: str
    training_hours: float = 0.0  # in the training rule's window before the as-of date
    training_required: float | None = None
    training_applies: bool = False
    caseload_applies: bool = False
    caseload_limit: int | None = None  # the profile's, or an approved and supported increase
    experience_proven: bool = False  # a dated proof naming who attests it


@dataclass(frozen=True)
class ResponseFacts:
    """One response to the Department as the readiness report, `validate` and the calendar show
    it: its letter, when it is due (and on what basis), whether it went out, how far along."""

    name: str
    kind: str  # rfi | cap
    reference: str
    sender: str
    dated: date | None
    received: date | None
    due: date | None
    due_basis: str
    due_verified: bool
    sent: date | None
    items: int
    answered: int
    overdue: bool

    @property
    def open(self) -> bool:
        return self.sent is None

    def as_dict(self) -> dict[str, Any]:
        def day(value: date | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "name": self.name,
            "kind": self.kind,
            "reference": self.reference,
            "from": self.sender,
            "dated": day(self.dated),
            "received": day(self.received),
            "due": day(self.due),
            "due_basis": self.due_basis,
            "sent": day(self.sent),
            "items": self.items,
            "answered": self.answered,
            "overdue": self.overdue,
        }


#: The readiness report's "Lapsing within 90 days": obligations due within this many days of the
#: as-of date (and every overdue one).
LAPSING_DAYS = 90


@dataclass(frozen=True)
class Obligation:
    """One dated obligation the data implies (validators/_obligations.py): a license's expiry, a
    training year's end, a re-check, a response's due date. `key` names who and what, never the
    date, so a calendar event made from it keeps its identity when the date moves (a renewed
    license); `what` and `basis` never carry a license number or another identifier."""

    key: str  # e.g. "staff:S-004|license:LSW|expires"
    kind: str  # e.g. license-expiry, training-year, exclusion-screening, response-due
    due: date
    who: str  # the person's name, or the agency's for the agency's own obligations
    what: str  # "LSW license expires"
    basis: str  # why this date: the data it counts from and the interval
    citation: str = ""
    verified: bool = False
    overdue: bool = False  # due before the as-of date
    path: str = ""  # the data field to update once it is done

    @property
    def summary(self) -> str:
        return f"{self.who}: {self.what}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.due.isoformat(),
            "summary": self.summary,
            "kind": self.kind,
            "who": self.who,
            "what": self.what,
            "basis": self.basis,
            "citation": self.citation,
            "verified": self.verified,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class Report:
    """The result of validation: `ready` is true when no finding is an error."""

    as_of: date
    profile: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    strict: bool = False
    evidence: tuple[Evidence, ...] = ()  # one per proof read (validators/_evidence.py)
    staff: tuple[StaffFacts, ...] = ()  # one per staff member, in data order
    responses: tuple[ResponseFacts, ...] = ()  # the agency's responses to the Department
    obligations: tuple[Obligation, ...] = ()  # every dated obligation, by date (the calendar's)

    def __post_init__(self) -> None:
        found = _promoted(self.findings) if self.strict else self.findings
        object.__setattr__(self, "findings", tuple(sorted(found, key=_order)))

    @cached_property
    def counts(self) -> dict[str, int]:
        counted = Counter(f.severity for f in self.findings)
        return {s: counted[s] for s in SEVERITIES}

    @property
    def ready(self) -> bool:
        return self.counts["error"] == 0

    def lapsing(self, days: int = LAPSING_DAYS) -> tuple[Obligation, ...]:
        """The obligations overdue or due within `days` of the as-of date, by date."""
        last = self.as_of + timedelta(days=days)
        return tuple(o for o in self.obligations if o.due <= last)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "as_of": self.as_of.isoformat(),
            "profile": self.profile,
            "counts": self.counts,
            "findings": [f.as_dict() for f in self.findings],
            "evidence": [e.as_dict() for e in self.evidence],
            **({"responses": [r.as_dict() for r in self.responses]} if self.responses else {}),
            "lapsing": {
                "within_days": LAPSING_DAYS,
                "obligations": [o.as_dict() for o in self.lapsing()],
            },
        }

    def with_findings(self, more: tuple[Finding, ...]) -> Report:
        """The report with more findings (e.g. what assembly found of the receiver's fit),
        promoted as its own were and each put in its place (after its equals, as sorting all of
        them again would)."""
        merged = list(self.findings)
        for f in _promoted(more) if self.strict else more:
            bisect.insort(merged, f, key=_order)
        return self.keeping_findings(findings=tuple(merged))

    def with_pages(self, refs: dict[str, tuple[int, int]]) -> Report:
        """The report with each proof's first packet page filled in from the assembled packet's
        page references (`doc/<piece key>`); the evidence's path is its piece key."""
        filled = tuple(
            replace(e, page=refs[f"doc/{e.path}"][0] if f"doc/{e.path}" in refs else None)
            for e in self.evidence
        )
        return self.keeping_findings(evidence=filled)

    def keeping_findings(self, **changes: Any) -> Report:
        """The report with `changes` to its other fields; its findings, already promoted and
        sorted, kept as they are (not sorted again: a hundred thousand findings take a while)."""
        new = object.__new__(Report)
        for f in fields(Report):
            object.__setattr__(new, f.name, changes.pop(f.name, getattr(self, f.name)))
        if changes:
            raise TypeError(f"Report has no field {', '.join(changes)}")
        return new


def _promoted(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """`--strict`: warnings are errors."""
    return tuple(
        Finding(**{**f.__dict__, "severity": "error"}) if f.severity == "warning" else f
        for f in findings
    )


def _order(f: Finding) -> tuple[int, str, str, str]:
    return (SEVERITIES.index(f.severity), _natural(f.path), f.code, f.message)


def _natural(path: str) -> str:
    """Sort `staff[10]` after `staff[9]`."""
    return _DIGITS.sub(_six_digits, path)


_DIGITS = re.compile(r"\d+")


def _six_digits(m: re.Match[str]) -> str:
    return m.group(0).zfill(6)
