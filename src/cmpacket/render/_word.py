"""Which Word copy a document gets: the user's own Word template (`word/<kind>.docx` in
DIR/templates or a --template-dir, rendered with docxtpl) if there is one, else the Word copy of
the very HTML its packet pages were laid out from (`html_to_docx`); the build caches it by that
HTML and the page numbers it shows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from cmpacket.errors import TemplateError
from cmpacket.render._html_docx import html_to_docx
from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

# a page reference or fill-in the assembler resolves (render/_html_docx.py: REF, FILL)
_PLACEHOLDER = re.compile(r'href="cmpacket:(ref|fill)/([^"]*)"')


def placeholders(html: str) -> tuple[list[str], list[str]]:
    """The page-reference keys and fill names an HTML document uses (sorted, for cache keys)."""
    refs, fills = set(), set()
    for kind, rest in _PLACEHOLDER.findall(html):
        if kind == "ref":
            refs.add(rest.partition("/")[2])
        else:
            fills.add(rest)
    return sorted(refs), sorted(fills)


def user_word_template(registry: TemplateRegistry, name: str | None) -> bool:
    """Whether a template root of the user holds the Word template `name` (cmpacket ships none;
    the manifest lists the file only when it is there and used)."""
    builtin = BUILTIN_ROOT.resolve()
    if not name or not any((r / name).is_file() for r in registry.roots if r != builtin):
        return False
    return not registry.find(name).builtin


def require_word_template(registry: TemplateRegistry, name: str, kind: str) -> None:
    """`documents: {kind: {source: word}}` lays the pages out from the user's own Word template."""
    if not user_word_template(registry, name):
        raise TemplateError(
            f"agency.yaml: documents.{kind}.source is 'word', but there is no Word template "
            f"{name} in the agency's templates/ folder or a --template-dir.",
            hint=f"Put your Word template (docxtpl tags) at templates/{name}, for example starting "
            f"from the Word copy in OUT/documents/, or remove documents.{kind} to lay the pages "
            "out from the HTML template.",
        )


def needs_pages(html: str) -> bool:
    """Whether the HTML shows packet page numbers (its Word copy waits for the assembler)."""
    return bool(placeholders(html)[0])


def word_copy_inputs(
    html: str, refs: Mapping[str, tuple[int, int]], values: Mapping[str, Any]
) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    """The page references and values the HTML shows: all its Word copy depends on besides the
    HTML itself (so a cache key over these three is exact)."""
    keys, names = placeholders(html)
    used_refs = {k: (refs.get(k, (0, 0))[0], refs.get(k, (0, 0))[1]) for k in keys}
    if "cmpacket:ref/ids/" in html:  # page ids are written with the packet's prefix
        names = [*names, "page_id_prefix"]
    fills = {n: str(values.get(n, "")) for n in names}
    return used_refs, fills


def html_word_copy(
    html: str, refs: dict[str, tuple[int, int]], fills: dict[str, str], as_of: date
) -> bytes:
    """The Word copy of `html`, page references and values written out."""
    return html_to_docx(html, refs=refs, fills=fills, as_of=as_of)
