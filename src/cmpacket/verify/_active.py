"""Active content in a received packet: what a viewer would run, launch, send or open by itself.

A packet cmpacket builds holds none: uploads are sanitized (intake/_active.py), and what cmpacket
writes is page content, bookmarks, links (GoTo within the file, URI links of the documents, GoToR
links from one part of a packet to another), its manifest.json attachment and, when signed,
pyHanko's signature field. Anything else found here was added after the build
(`packet-active-content`, an error).

Every walk is bounded: pages under the page cap `verify` already applies, a budget of
annotations, form fields and name-tree nodes, and action chains (`/Next`) followed at most
MAX_CHAIN steps, each object once (a cycle ends the walk).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary

from cmpacket.verify._pdfwalk import (
    DICTS,
    MAX_NAMES,
    head,
    name_of,
    name_tree,
    quote,
    text_of,
)
from cmpacket.verify._result import PDF_ERRORS, VerifyResult, first_line

__all__ = ["check_active_content"]

CODE = "packet-active-content"
MAX_CHAIN = 64  # actions followed from one trigger through /Next
MAX_ANNOTS = 1_000_000  # annotations looked at in the whole file
MAX_FIELDS = 100_000  # form fields looked at
ADVICE = (
    "A packet cmpacket builds never holds active content: this was added after the build. "
    "Do not open the file in a PDF viewer; ask the sender for the original."
)

# Actions that run code, launch or import files, send data or open embedded files: active
# wherever they are, a click away or automatic. (GoTo, Named, Thread... only move the view.)
ACTIVE = {
    "/JavaScript": "runs JavaScript",
    "/Launch": "launches a file or program",
    "/ImportData": "imports form data from a file",
    "/SubmitForm": "sends form data",
    "/GoToE": "opens a file embedded in the packet",
    "/RichMediaExecute": "runs a rich-media command",
}
# Actions a link may carry (cmpacket writes URI links, and GoToR links between parts) but that
# no open action or trigger (`/OpenAction`, `/AA`) of a cmpacket packet ever is: done unasked,
# they reach outside the file as soon as it is opened.
REACHING = {"/URI": "opens a web address", "/GoToR": "opens another file"}
# Annotations that carry files or media rather than an action.
CARRYING = {
    "/FileAttachment": "a file attached to the page",
    "/RichMedia": "rich media (Flash, video or 3D with scripts) a viewer may play",
    "/3D": "a 3D model, which may carry scripts a viewer runs",
}
WHEN = {  # trigger names (PDF 32000-1, tables 194-197)
    "/WC": "before the packet closes",
    "/WS": "before it is saved",
    "/DS": "after it is saved",
    "/WP": "before it is printed",
    "/DP": "after it is printed",
    "/E": "when the pointer enters it",
    "/X": "when the pointer leaves it",
    "/D": "when the mouse button is pressed",
    "/U": "when the mouse button is released",
    "/Fo": "when it gets the focus",
    "/Bl": "when it loses the focus",
    "/PO": "when its page opens",
    "/PC": "when its page closes",
    "/PV": "when its page becomes visible",
    "/PI": "when its page is no longer visible",
    "/K": "on each keystroke",
    "/F": "when its value is formatted",
    "/V": "when its value changes",
    "/C": "when its value is recalculated",
}
PAGE_WHEN = {"/O": "when the page opens", "/C": "when the page closes"}


def check_active_content(
    pdf: pikepdf.Pdf,
    n: int | None,
    manifest: dict[str, Any] | None,
    result: VerifyResult,
    offset: int = 0,
) -> None:
    """Record a `packet-active-content` error for each open action, trigger, script, launch,
    attached file or XFA form in the catalog and, when the page tree could be walked (`n` is
    not None), on each page and its annotations (numbered from `offset` + 1) and form fields."""
    parts = (manifest or {}).get("parts") or []
    siblings = {str(p.get("file")) for p in parts if isinstance(p, dict)}
    _guarded(result, "the catalog", _catalog, pdf, result)
    if n is None:
        return
    seen: set[tuple[int, int]] = set()  # annotations already checked (widgets are fields too)
    budget = [MAX_ANNOTS]
    for i, page in enumerate(pdf.pages, start=1 + offset):
        where = f"page {i}"
        _guarded(result, where, _page, page.obj, where, siblings, seen, budget, result)
        if budget[0] < 0:
            result.fail(
                CODE,
                "packet",
                f"the file has more than {MAX_ANNOTS:,} annotations; the rest "
                f"were not checked for active content. {ADVICE}",
            )
            break
    _guarded(result, "the form", _fields, pdf, seen, result)


def _guarded(result: VerifyResult, where: str, check: Callable[..., None], *args: Any) -> None:
    """Run one check; a part of the file that cannot be read is reported, not raised."""
    try:
        check(*args)
    except (*PDF_ERRORS, RecursionError) as exc:
        result.fail(
            "packet-damaged",
            where.removeprefix("the "),
            f"{where} cannot be read ({first_line(exc)}), so it was not checked for active "
            f"content; the file is damaged or was altered. Ask for the original file.",
        )


def _catalog(pdf: pikepdf.Pdf, result: VerifyResult) -> None:
    root = pdf.Root
    opening = root.get("/OpenAction")
    if opening is not None:
        _report(result, "catalog", "the catalog's OpenAction", opening, automatic=True)
    _triggers(result, "catalog", "the catalog's action", root.get("/AA"), automatic=True)
    names = root.get("/Names")
    listed: set[tuple[int, int]] = set()
    if isinstance(names, Dictionary):
        _scripts(names, result)
        listed = _attachments(names, result)
    _associated(root.get("/AF"), "catalog", "the catalog", result, listed)
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and form.get("/XFA") is not None:
        result.fail(
            CODE,
            "catalog",
            f"the catalog's form (/AcroForm /XFA) is an XFA form, whose scripts a viewer runs. "
            f"{ADVICE}",
        )


def _scripts(names: Dictionary, result: VerifyResult) -> None:
    tree = names.get("/JavaScript")
    if tree is None:
        return
    entries, more = name_tree(tree)
    count = f"{len(entries):,}{'+' if more else ''}"
    listed = ", ".join(quote(key) for key, _ in entries[:5])
    result.fail(
        CODE,
        "catalog",
        f"the catalog's document scripts (/Names /JavaScript) hold {count} script(s)"
        f"{' (' + listed + ')' if listed else ''}, which a viewer runs when the packet opens. "
        f"{ADVICE}",
    )


def _attachments(names: Dictionary, result: VerifyResult) -> set[tuple[int, int]]:
    """Each attached file but the manifest is a finding; returns every attached file's
    specification (object numbers): the catalog's /AF may list them too (the manifest's, as
    cmpacket writes it), and each is named once."""
    tree = names.get("/EmbeddedFiles")
    if tree is None:
        return set()
    entries, more = name_tree(tree)
    keys = [key for key, _ in entries]
    own = next((k for k in ("manifest.json", "response-manifest.json") if k in keys), None)
    listed = {spec.objgen for _, spec in entries if isinstance(spec, DICTS) and spec.is_indirect}
    for key in keys:
        if key == own:
            own = None  # the manifest is the first entry of its name; a second one is foreign
            continue
        result.fail(
            CODE,
            "catalog",
            f"the packet has an attached file {quote(key)} (/Names /EmbeddedFiles) besides its "
            f"manifest: no hash of the manifest covers it, and a viewer offers to open it. "
            f"{ADVICE}",
        )
    if more:
        result.fail(
            CODE,
            "catalog",
            f"the packet lists more than {MAX_NAMES:,} attached files; the rest were not "
            f"checked. {ADVICE}",
        )
    return listed


def _associated(
    files: Any,
    where: str,
    subject: str,
    result: VerifyResult,
    attached: Collection[tuple[int, int]] = (),
) -> None:
    """PDF 2.0's associated files (`/AF`, PDF 32000-2 14.13): cmpacket lists only its manifest,
    the catalog's attached file; any file not attached as well (those are named once, there) is
    one a viewer offers to open that no hash of the manifest covers."""
    if files is None:
        return
    specs = head(files, MAX_NAMES) if isinstance(files, Array) else [files]
    specs = [s for s in specs if not (isinstance(s, DICTS) and s.objgen in attached)]
    if not specs:
        return
    shown = ", ".join(quote(_filename_of(spec)) for spec in specs[:5])
    more = f" and {len(specs) - 5:,} more" if len(specs) > 5 else ""
    result.fail(
        CODE,
        where,
        f"{subject} has associated files (/AF): {shown or 'an empty list'}{more}. No hash of "
        f"the manifest covers them, and a viewer offers to open them. {ADVICE}",
    )


def _filename_of(spec: Any) -> str:
    """The name a file specification gives its file (/UF, then /F), or what it is."""
    if isinstance(spec, DICTS):
        for key in ("/UF", "/F"):
            if isinstance(spec.get(key), pikepdf.String):
                return text_of(spec.get(key))
        return "a file without a name"
    return text_of(spec)


def _page(
    page: Dictionary,
    where: str,
    siblings: set[str],
    seen: set[tuple[int, int]],
    budget: list[int],
    result: VerifyResult,
) -> None:
    _triggers(result, where, f"{where}'s action", page.get("/AA"), automatic=True, when=PAGE_WHEN)
    _associated(page.get("/AF"), where, where, result)
    annots = page.get("/Annots")
    if not isinstance(annots, Array):
        return
    for annot in annots:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if not isinstance(annot, DICTS):
            continue
        if annot.objgen != (0, 0):
            seen.add(annot.objgen)
        _annotation(annot, where, siblings, result)


def _annotation(annot: Any, where: str, siblings: set[str], result: VerifyResult) -> None:
    kind = name_of(annot.get("/Subtype")) or "untyped"
    subject = f"{where} has a {kind} annotation"
    carried = CARRYING.get(f"/{kind}")
    if carried is not None:
        result.fail(CODE, where, f"{subject}: {carried}. {ADVICE}")
    action = annot.get("/A")
    if action is not None:
        _report(result, where, f"{subject} whose action (/A)", action, siblings=siblings)
    _triggers(result, where, f"{subject} whose action", annot.get("/AA"), automatic=True)


def _fields(pdf: pikepdf.Pdf, seen: set[tuple[int, int]], result: VerifyResult) -> None:
    """Form fields that are not a page's annotation (a field with several widgets) and their
    triggers (keystroke, format, validate, calculate)."""
    form = pdf.Root.get("/AcroForm")
    top = form.get("/Fields") if isinstance(form, Dictionary) else None
    if not isinstance(top, Array):
        return
    stack, visited, budget = list(top), set(), MAX_FIELDS
    while stack and budget > 0:
        field = stack.pop()
        budget -= 1
        if not isinstance(field, DICTS) or field.objgen in visited:
            continue
        if field.objgen != (0, 0):
            visited.add(field.objgen)
        kids = field.get("/Kids")
        if isinstance(kids, Array):
            stack.extend(head(kids, MAX_FIELDS))
        if field.objgen in seen:
            continue  # a widget on a page: checked there
        name = field.get("/T")
        where = f"form field {quote(name)}" if name is not None else "a form field"
        if field.get("/A") is not None:
            _report(result, "form", f"{where}'s action (/A)", field.get("/A"))
        _triggers(result, "form", f"{where}'s action", field.get("/AA"), automatic=True)


def _triggers(
    result: VerifyResult,
    where: str,
    subject: str,
    triggers: Any,
    automatic: bool,
    when: dict[str, str] = WHEN,
) -> None:
    """The actions of an additional-actions dictionary (`/AA`), each named by when it runs."""
    if not isinstance(triggers, DICTS):
        return
    for key in list(triggers.keys())[:MAX_CHAIN]:
        said = when.get(key, "on a trigger")
        _report(result, where, f"{subject} {said} (/AA {key})", triggers.get(key), automatic)


def _report(
    result: VerifyResult,
    where: str,
    subject: str,
    action: Any,
    automatic: bool = False,
    siblings: set[str] | None = None,
) -> None:
    """One finding per active action in the chain that starts at `action`."""
    for step, item in enumerate(_chain(action)):
        if item is None:
            result.fail(
                CODE,
                where,
                f"{subject} chains more than {MAX_CHAIN} actions (/Next); the rest were not "
                f"checked. {ADVICE}",
            )
            return
        what = _what(item, automatic, siblings or set())
        if what:
            then = f" (action {step + 1} of its /Next chain)" if step else ""
            result.fail(CODE, where, f"{subject}{then} {what}. {ADVICE}")


def _chain(action: Any) -> Iterator[Any]:
    """The action dictionaries of a chain (`/Next` is one action or an array of them), each
    once, in order; None after MAX_CHAIN steps when more remain. An array where the chain
    starts is a destination (an open action that shows a page), not an action."""
    if isinstance(action, Array):
        return
    stack, seen, steps = [action], set(), 0
    while stack:
        item = stack.pop()
        key = item.objgen if isinstance(item, (Array, *DICTS)) else (0, 0)
        if key != (0, 0):
            if key in seen:
                continue  # a cycle: each action once
            seen.add(key)
        steps += 1
        if steps > MAX_CHAIN:
            yield None
            return
        if isinstance(item, Array):
            stack.extend(reversed(head(item, MAX_CHAIN)))
        elif isinstance(item, DICTS):
            yield item
            following = item.get("/Next")
            if following is not None:
                stack.append(following)


def _what(action: Dictionary, automatic: bool, siblings: set[str]) -> str:
    """What an active action does ("runs JavaScript"), or "" when it is not active here."""
    kind = name_of(action.get("/S"))
    if "/JS" in action:  # JavaScript, or a Rendition action with a script
        return ACTIVE["/JavaScript"]
    if f"/{kind}" in ACTIVE:
        target = _target(action)
        return ACTIVE[f"/{kind}"] + (f" {target}" if target and kind != "GoToE" else "")
    if f"/{kind}" in REACHING:
        target = _target(action)
        if kind == "GoToR" and not automatic and target.strip("'") in siblings:
            return ""  # a link to another part of this packet, as cmpacket writes them
        if automatic or kind == "GoToR":
            return REACHING[f"/{kind}"] + (f" {target}" if target else "")
    return ""


def _target(action: Dictionary) -> str:
    """The file or address an action names, quoted, or ""."""
    value = action.get("/URI") if "/URI" in action else action.get("/F")
    if value is None and isinstance(action.get("/Win"), Dictionary):
        value = action.Win.get("/F")
    if isinstance(value, Dictionary):  # a file specification
        value = value.get("/UF") if value.get("/UF") is not None else value.get("/F")
    return quote(value) if isinstance(value, pikepdf.String) else ""
