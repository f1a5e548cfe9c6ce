"""Evidence: each proof's text (read at intake) checked against the data (the license table's
number formats and renewal cycles are _license_table.py's). Pure functions of the data, the
profile and intake's facts.

Proofs are license uploads (number, holder's name, expiry date; and the lookup date when the
upload is also the license's `verified` lookup printout), License Lookup printouts of their own
(`licenses[].verified.file`: name, number, lookup date), Health Care Worker Registry printouts
(`background_check.file` and `background_check.registry_recheck.file`: the person's name and the
search date), Adult Protective Services Registry printouts (`background_check.aps_registry.file`:
name and search date), experience letters (`experience_proof.file`: the person's name and each
role's dates) and diplomas (documents of kind `diploma`: the person's name and a degree level the
data gives).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket.findings import Evidence, Finding
from cmpacket.intake import MAX_PAGES, has_text
from cmpacket.model import AgencyData, Staff, resolve_upload
from cmpacket.profiles import Profile, RuleSpec
from cmpacket.validators import _match as m
from cmpacket.validators._registry import Context, rule

EXPIRY_LABELS = ("expiration date", "expiration", "expires", "expiry", "valid through", "exp.")
CHECK_LABELS = ("search date", "check date", "date of search", "searched", "printed", "date")
LOOKUP_LABELS = ("lookup date", "date of lookup", "looked up", "verified on", "printed on")
#: the date fields a proof is checked for: (labels its value is printed after, name in words)
DATE_FIELDS = {
    "expires": (EXPIRY_LABELS, "expiration date"),
    "registry_check": (CHECK_LABELS, "registry check date"),
    "searched": (CHECK_LABELS, "search date"),
    "looked_up": (LOOKUP_LABELS, "lookup date"),
    "role_dates": (("from", "to"), "role date"),
}
KIND_WORDS = {
    "license": "license proof",
    "lookup": "license lookup printout",
    "registry": "registry printout",
    "aps": "APS Registry printout",
    "experience": "experience letter",
    "diploma": "diploma",
}
LEVEL_ORDER = ("associate", "bachelor", "master", "doctorate")
# the rules that read proofs or the license table: a profile turning them all off reads nothing
EVIDENCE_RULES = (
    "proof-mismatch",
    "proof-unchecked",
    "license-number-format",
    "license-expiry-off-cycle",
)


@dataclass(frozen=True)
class Miss:
    """One field a proof does not show as the data gives it."""

    field: str  # the evidence field: number, name, expires, registry_check, degree
    path: str  # the data's field path, e.g. staff[3].licenses[0].number
    message: str


@dataclass(frozen=True)
class Checked:
    """One proof's result: the evidence entry and the misses behind its `mismatched`."""

    evidence: Evidence
    misses: tuple[Miss, ...]
    unreadable_text: bool  # usable PDF, no text to read


def _long(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _proofs(s: Staff, i: int) -> Iterator[tuple[str, str, str, Any]]:
    """(proof path, kind, given file, data item) for each proof of one staff member."""
    for j, lic in enumerate(s.licenses):
        if lic.file:
            yield f"staff[{i}].licenses[{j}]", "license", lic.file, lic
        looked = lic.verified
        if looked and looked.file and looked.file != lic.file:
            yield f"staff[{i}].licenses[{j}].verified", "lookup", looked.file, lic
    bc = s.background_check
    if bc and bc.file:
        yield f"staff[{i}].background_check", "registry", bc.file, bc
    if bc and bc.registry_recheck and bc.registry_recheck.file:
        path = f"staff[{i}].background_check.registry_recheck"
        yield path, "registry", bc.registry_recheck.file, bc.registry_recheck
    if bc and bc.aps_registry and bc.aps_registry.file:
        path = f"staff[{i}].background_check.aps_registry"
        yield path, "aps", bc.aps_registry.file, bc.aps_registry
    p = s.experience_proof
    if p and p.file and p.roles:
        yield f"staff[{i}].experience_proof", "experience", p.file, p
    for j, doc in enumerate(s.documents):
        if doc.file and (doc.kind or "").strip().lower() == "diploma":
            yield f"staff[{i}].documents[{j}]", "diploma", doc.file, doc


def evidence(ctx: Context) -> list[Checked]:
    """Every proof of every staff member, checked once per validation (shared by the rules)."""
    if "evidence" not in ctx.cache:
        out = []
        known = {u.ref.given: u.ref for u in ctx.uses or ()}  # resolved once by validation
        for i, s in enumerate(ctx.data.staff):
            for path, kind, given, item in _proofs(s, i):
                ref = known.get(given) or resolve_upload(ctx.data.folder, given)
                facts = ctx.uploads.get(ref.path) if ref.path else None
                text = tuple(facts.text) if facts is not None and facts.usable else ()
                readable = has_text(list(text))
                misses: tuple[Miss, ...] = ()
                matched: tuple[str, ...] = ()
                if readable:
                    matched, misses = match_proof(
                        text, kind, given, _values(s, i, path, kind, item)
                    )
                out.append(
                    Checked(
                        Evidence(
                            path=path,
                            file=given,
                            checked=readable,
                            matched=matched,
                            mismatched=tuple(dict.fromkeys(x.field for x in misses)),
                            staff_id=s.id,
                            kind=kind,
                        ),
                        misses,
                        unreadable_text=facts is not None and facts.usable and not readable,
                    )
                )
        ctx.cache["evidence"] = out
    result: list[Checked] = ctx.cache["evidence"]
    return result


def _values(s: Staff, i: int, path: str, kind: str, item: Any) -> tuple[tuple[str, str, Any], ...]:
    """(field, data path, value) the proof is checked against; absent values are not checked."""
    name = ("name", f"staff[{i}].name", s.name)
    if kind in ("license", "lookup"):
        base = path.removesuffix(".verified")
        looked = item.verified
        lookup = looked.date if looked and looked.file in (None, "", item.file) else None
        if kind == "lookup":
            lookup = looked.date if looked else None
        return (
            ("number", f"{base}.number", item.number),
            name,
            *((("expires", f"{base}.expires", item.expires),) if kind == "license" else ()),
            ("looked_up", f"{base}.verified.date", lookup),
        )
    if kind == "registry":
        day = item.date if path.endswith("registry_recheck") else item.registry_check
        field = f"{path}.date" if path.endswith("registry_recheck") else f"{path}.registry_check"
        return (name, ("registry_check", field, day))
    if kind == "aps":
        return (name, ("searched", f"{path}.date", item.date))
    if kind == "experience":
        dates = []
        for k, role in enumerate(item.roles):
            for key, day in (("from", role.start), ("to", role.end)):
                if day is not None:
                    dates.append(("role_dates", f"{path}.roles[{k}].{key}", day))
        return (name, *dates)
    levels = tuple(
        (f"staff[{i}].degrees[{k}].level", d.level) for k, d in enumerate(s.degrees) if d.level
    )
    return (name, ("degree", "", levels or None))


Values = tuple[tuple[str, str, Any], ...]
ProofCheck = tuple[str, str, Values]  # (kind, file as given, values), for `match_proof`
Match = tuple[tuple[str, ...], tuple[Miss, ...]]
_MEMO: dict[tuple[bytes, str, str, Values], Match] = {}  # keyed by the text's digest
MEMO_SIZE = 1 << 17  # proofs remembered: every proof of a 40,000-proof agency (was 8,192: cleared
# over and over at 3,000 staff, so the validators matched again what the workers had matched)


def match_proof(pages: tuple[str, ...], kind: str, given: str, values: Values) -> Match:
    """What one proof's text shows of the data's values: (fields matched, misses). Remembered
    on the text and the values, so an unchanged proof checked against unchanged data is matched
    once per process; a build also matches on its intake workers and keeps the results in its
    cache (`remember`)."""
    key = (_digest(pages), kind, given, values)
    hit = _MEMO.get(key)
    if hit is None:
        hit = _match(pages, kind, given, values)
        remember(pages, kind, given, values, hit)
    return hit


def remember(pages: tuple[str, ...], kind: str, given: str, values: Values, result: Match) -> None:
    """A match made elsewhere (a worker, the build cache), so `match_proof` need not redo it."""
    if len(_MEMO) >= MEMO_SIZE:
        _MEMO.clear()
    _MEMO[(_digest(pages), kind, given, values)] = result


def _digest(pages: tuple[str, ...]) -> bytes:
    """What the memo knows a proof's text by: remembering the text itself kept every proof's
    text (60 MB at 2,000 staff) alive after validation."""
    h = hashlib.blake2b(digest_size=20)
    for page in pages:
        data = page.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.digest()


def match_payload(pages: tuple[str, ...], check: ProofCheck) -> list[Any]:
    """`match_proof` as JSON-able data, for intake's workers and the build's cache."""
    matched, misses = match_proof(pages, *check)
    return [list(matched), [[x.field, x.path, x.message] for x in misses]]


def shows_every_field(payloads: list[Any]) -> bool:
    """Whether `match_payload` results show every field their checks look for: a proof that
    does not is read on (its next page), as `more_pages_wanted` asks of the evidence."""
    return all(not misses for _, misses in payloads)


def remember_payloads(pages: tuple[str, ...], found: Iterable[tuple[ProofCheck, Any]]) -> None:
    """Matches intake made of a proof's text (`match_payload` results), so they are not redone."""
    for (kind, given, values), (matched, misses) in found:
        result = (tuple(matched), tuple(Miss(*x) for x in misses))
        remember(pages, kind, given, values, result)


def _match(pages: tuple[str, ...], kind: str, given: str, values: Values) -> Match:
    proof = m.ProofText(pages)
    matched: list[str] = []
    misses: list[Miss] = []
    for field, path, value in values:
        if value is None or value == "":
            continue
        miss = _field(proof, kind, given, field, path, value)
        if miss is None:
            matched.append(field)
        else:
            misses.append(miss)
    return tuple(dict.fromkeys(matched)), tuple(misses)


def _field(
    proof: m.ProofText, kind: str, given: str, field: str, path: str, value: Any
) -> Miss | None:
    what = KIND_WORDS[kind]
    fix = "Check which is right: correct the data, or upload the right proof."
    if field == "number":
        if m.find_number(proof, str(value)):
            return None
        shown = m.shown_number(proof, str(value))
        seen = f"shows license number {shown!r}" if shown else "does not show the license number"
        return Miss(field, path, f"{given!r} ({what}) {seen}; the data gives {value!r}. {fix}")
    if field == "name":
        if m.find_name(proof, str(value)):
            return None
        shown = m.shown_name(proof)
        seen = f"shows the name {shown!r}" if shown else "does not show the name"
        return Miss(field, path, f"{given!r} ({what}) {seen}; the data gives {value!r}. {fix}")
    if field in DATE_FIELDS:
        if m.find_date(proof, value):
            return None
        labels, noun = DATE_FIELDS[field]
        # a lookup date or a role's dates only where labeled: a license printout's only date is
        # its expiry, a letter's is its own date
        labeled = field not in ("looked_up", "role_dates") or proof.labeled(labels)
        shown = m.shown_date(proof, labels) if labeled else ""
        seen = f"shows {shown!r} as the {noun}" if shown else f"does not show the {noun}"
        return Miss(
            field,
            path,
            f"{given!r} ({what}) {seen}; the data gives {_long(value)} ({value.isoformat()}). "
            f"{fix}",
        )
    # degree: any of the levels the data gives
    levels = dict((lvl, p) for p, lvl in value)
    found = m.degree_levels(proof)
    if found & set(levels):
        return None
    want = max(levels, key=lambda lvl: LEVEL_ORDER.index(lvl) if lvl in LEVEL_ORDER else -1)
    seen = (
        f"names a {' or '.join(sorted(found))} degree" if found else "does not name a degree level"
    )
    return Miss(
        field,
        levels[want],
        f"{given!r} ({what}) {seen}; the data gives {' or '.join(levels)}. {fix}",
    )


@rule("proof-mismatch")
def proof_mismatch(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for checked in evidence(ctx):
        for miss in checked.misses:
            yield spec.finding(miss.path, miss.message)


@rule("proof-unchecked")
def proof_unchecked(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for checked in evidence(ctx):
        if checked.unreadable_text:
            e = checked.evidence
            yield spec.finding(
                f"{e.path}.file",
                f"{e.file!r} has no readable text (a scan without OCR): compare it by eye, or "
                f"upload a PDF saved from the source.",
            )


def proof_evidence(ctx: Context) -> tuple[Evidence, ...]:
    """The report's evidence entries, when the profile reads proofs at all."""
    if not reads_proofs(ctx.profile):
        return ()
    return tuple(c.evidence for c in evidence(ctx))


def reads_proofs(profile: Profile) -> bool:  # the first two of EVIDENCE_RULES
    """True when the profile checks proofs against the data, so their text must be read."""
    return bool(profile.rule("proof-mismatch") or profile.rule("proof-unchecked"))


def proof_checks(
    data: AgencyData | None, profile: Profile | None, uses: list[Any]
) -> dict[Path, tuple[ProofCheck, ...]]:
    """The uploads whose text the evidence checks read (license uploads and lookups, registry
    and APS Registry printouts, experience letters, diplomas), each with what it is checked for: only these are read at intake, and none when
    the profile reads no proofs (or the data could not be loaded)."""
    if data is None or profile is None or not reads_proofs(profile):
        return {}
    known = {u.ref.given: u.ref for u in uses}
    out: dict[Path, tuple[ProofCheck, ...]] = {}
    for i, s in enumerate(data.staff):
        for path, kind, given, item in _proofs(s, i):
            ref = known.get(given) or resolve_upload(data.folder, given)
            if ref.path is not None:
                check = (kind, given, _values(s, i, path, kind, item))
                out[ref.path] = (*out.get(ref.path, ()), check)
    return out


def more_pages_wanted(
    evidence: tuple[Evidence, ...], uploads: dict[Path, Any], uses: list[Any]
) -> set[Path]:
    """Proofs read only in part (their first page) that did not show every field, or showed no
    text: their next page is read and the proofs checked again (intake.MAX_PAGES)."""

    known = {u.ref.given: u.ref.path for u in uses}
    out = set()
    for e in evidence:
        path = known.get(e.file)
        facts = uploads.get(path) if path is not None else None
        if path is None or facts is None or not (e.mismatched or not e.checked):
            continue
        if len(facts.text) < min(facts.pages, MAX_PAGES):
            out.add(path)
    return out
