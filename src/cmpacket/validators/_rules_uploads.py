"""Upload rules: every referenced file is inside the folder, present, of a type cmpacket takes in
(PDF, image, document), readable and safe; pages without text are searchable or reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cmpacket.findings import Finding
from cmpacket.intake import OCR_INSTALL, missing_engine
from cmpacket.model import AgencyData, UploadRef, resolve_upload
from cmpacket.profiles import RuleSpec
from cmpacket.validators._registry import Context, rule


@dataclass(frozen=True)
class UploadUse:
    """One reference to an upload: the field path that names it and the resolved file."""

    path: str
    ref: UploadRef


def _uses(ctx: Context) -> list[UploadUse]:
    if ctx.uses is None:
        ctx.uses = upload_uses(ctx.data)
    return ctx.uses


def upload_uses(data: AgencyData) -> list[UploadUse]:
    """Every file reference in the data, in document order."""
    refs: list[tuple[str, str | None]] = []
    for i, o in enumerate(data.agency.owners):
        if o.exclusion_check:
            refs.append((f"agency.owners[{i}].exclusion_check.file", o.exclusion_check.file))
    for i, m in enumerate(data.agency.board):
        if m.exclusion_check:
            refs.append((f"agency.board[{i}].exclusion_check.file", m.exclusion_check.file))
    for i, s in enumerate(data.staff):
        for j, x in enumerate(s.licenses):
            refs.append((f"staff[{i}].licenses[{j}].file", x.file))
            if x.verified is not None:
                refs.append((f"staff[{i}].licenses[{j}].verified.file", x.verified.file))
        bc = s.background_check
        if bc:
            refs.append((f"staff[{i}].background_check.file", bc.file))
            for name in ("registry_recheck", "aps_registry"):
                again = getattr(bc, name)
                if again is not None:
                    refs.append((f"staff[{i}].background_check.{name}.file", again.file))
        for name in ("exclusion_check", "experience_proof", "caseload_increase"):
            evidence = getattr(s, name)
            if evidence is not None:
                refs.append((f"staff[{i}].{name}.file", evidence.file))
        refs += [(f"staff[{i}].documents[{j}].file", x.file) for j, x in enumerate(s.documents)]
    refs += [(f"attachments[{i}].file", a.file) for i, a in enumerate(data.attachments)]
    refs.append(("agreement.file", data.agreement.file))
    if data.signatures:
        refs += [
            (f"signatures.signed_copies.{key}", path)
            for key, path in sorted(data.signatures.signed_copies.items())
        ]
    root = data.folder.resolve()
    return [UploadUse(p, resolve_upload(data.folder, f, root)) for p, f in refs if f]


@rule("upload-outside-folder")
def upload_outside(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for use in _uses(ctx):
        if use.ref.problem == "outside":
            yield spec.finding(
                use.path,
                f"{use.ref.given!r} leaves the agency folder; it was not read. Copy the file into "
                f"uploads/ and refer to it as uploads/NAME (a PDF, image or document).",
            )


@rule("upload-path-invalid")
def upload_path_invalid(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for use in _uses(ctx):
        if use.ref.problem == "unprintable":
            shown = use.ref.given.encode("unicode_escape").decode("ascii")
            yield spec.finding(
                use.path,
                f"the path '{shown}' holds a control character (a NUL, a tab, a line break); it "
                f"was not read. Retype the file name as uploads/NAME (copying it from a "
                f"spreadsheet can bring such characters along).",
            )


@rule("upload-missing")
def upload_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    for use in _uses(ctx):
        if use.ref.problem == "missing":
            yield spec.finding(
                use.path, f"{use.ref.given!r} does not exist. Add the file or correct the path."
            )


def _fact_rule(kind: str) -> object:
    def check(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
        facts = ctx.uploads
        for use in _uses(ctx):
            fact = facts.get(use.ref.path) if use.ref.path else None
            for problem_kind, message in getattr(fact, "problems", ()):
                if problem_kind == kind:
                    yield spec.finding(use.path, f"{use.ref.given!r}: {message}")

    return check


for _code, _kind in (
    ("upload-unreadable", "unreadable"),
    ("upload-encrypted", "encrypted"),
    ("upload-repaired", "repaired"),
    ("upload-signature-dropped", "signature-dropped"),
):
    rule(_code)(_fact_rule(_kind))  # type: ignore[arg-type]

_too_large_each = _fact_rule("too-large")
_active_each = _fact_rule("active-content")
LISTED = 5  # uploads named in the note of harmless actions dropped


@rule("upload-active-content")
def upload_active_content(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """A warning for each upload whose active content matters (scripts, attached files, launch
    and outward actions: intake/_active.py); the harmless actions the packet drops anyway (an
    open action showing a page) are one note for the build, `upload-actions-removed`."""
    yield from _active_each(ctx, spec)  # type: ignore[operator]
    facts = ctx.uploads
    shown: dict[str, None] = {}
    for use in _uses(ctx):
        fact = facts.get(use.ref.path) if use.ref.path else None
        if fact is not None and fact.dropped:
            shown.setdefault(use.ref.given)
    if not shown:
        return
    files = list(shown)
    named = ", ".join(files[:LISTED]) + (
        f" and {len(files) - LISTED} more" if len(files) > LISTED else ""
    )
    what = "upload opens" if len(files) == 1 else "uploads open"
    yield Finding(
        "upload-actions-removed",
        "info",
        "uploads",
        f"{len(files)} {what} at a set page or view (an open action, as most PDF writers add): "
        f"{named}. The packet drops such actions and nothing on the pages changes; nothing to do.",
        spec.citation,
    )


@rule("upload-too-large")
def upload_too_large(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Each upload within the size and page limits, and all uploads within the total page limit."""
    yield from _too_large_each(ctx, spec)  # type: ignore[operator]
    limit = ctx.limits.get("max_total_pages")
    facts = ctx.uploads
    total = sum(f.pages for f in facts.values() if f.usable)
    if limit and total > float(limit):
        yield spec.finding(
            "uploads",
            f"the uploads add up to {total} pages, over the {float(limit):g}-page limit for a "
            f"packet. Remove duplicates or raise limits.max_total_pages.",
        )


@rule("upload-not-searchable")
def upload_not_searchable(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Pages without text that will stay so: no OCR engine (with --ocr auto), or --ocr never."""
    mode = ctx.ocr
    if mode != "never":
        lacking = missing_engine()
        if not lacking:
            return  # the build adds a text layer by OCR
        why = f"no OCR engine is installed ({lacking}). {OCR_INSTALL} Then build again"
    else:
        why = "OCR is off (--ocr never). Build with --ocr auto"
    facts = ctx.uploads
    seen: set[Path] = set()
    for use in _uses(ctx):
        path = use.ref.path
        fact = facts.get(path) if path is not None else None
        if path is None or fact is None or not fact.usable or not fact.textless or path in seen:
            continue
        seen.add(path)
        pages = (
            "its page has" if fact.pages == 1 else f"{fact.textless} of its {fact.pages} pages have"
        )
        yield spec.finding(
            use.path,
            f"{use.ref.given!r}: {pages} no text layer, so the packet cannot be searched for "
            f"their words; {why}, or upload a searchable PDF.",
        )
