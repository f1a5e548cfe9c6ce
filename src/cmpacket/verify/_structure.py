"""Bounded walks over a received packet's structure: outline, page tree, images on a page.

Every walk keeps a set of the objects it has visited (loops end, with a problem) and a count
(absurd sizes end, with a problem); none recurses deeper than a fixed cap.
"""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from cmpacket.verify._limits import VerifyLimits

__all__ = ["OutlineTooLarge", "large_images", "page_numbers", "read_outline"]

_MAX_XOBJECTS = 2_000  # XObjects (forms and images) looked at on one page
_FORM_DEPTH = 12


class OutlineTooLarge(ValueError):
    """The outline has more entries, or nests deeper, than the limits allow."""


def page_numbers(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    """{page object id: 1-based page number}."""
    return {page.obj.objgen: i for i, page in enumerate(pdf.pages, start=1)}


def _title(item: Dictionary) -> str:
    value = item.get("/Title")
    try:
        return str(value) if isinstance(value, pikepdf.String) else ""
    except (ValueError, UnicodeDecodeError):
        return ""


def _target(item: Dictionary, pages: dict[tuple[int, int], int]) -> int | None:
    """The page an outline entry opens, or None (named, remote or broken destinations)."""
    dest = item.get("/Dest")
    if dest is None:
        action = item.get("/A")
        if isinstance(action, Dictionary) and action.get("/S") == Name.GoTo:
            dest = action.get("/D")
    if isinstance(dest, Array) and len(dest) and isinstance(dest[0], Dictionary):
        return pages.get(dest[0].objgen)
    return None


def read_outline(
    pdf: pikepdf.Pdf, pages: dict[tuple[int, int], int], limits: VerifyLimits
) -> tuple[list[dict[str, Any]], list[str]]:
    """The outline as [{title, page (1-based or None), children}] and its structural problems.

    A loop (an entry reached twice) ends that branch with a problem; more than
    `limits.outline_items` entries or nesting deeper than `limits.outline_depth` raises
    OutlineTooLarge.
    """
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    count = 0

    def walk(parent: Dictionary, depth: int, where: str) -> list[dict[str, Any]]:
        nonlocal count
        out: list[dict[str, Any]] = []
        item = parent.get("/First")
        while item is not None:
            if not isinstance(item, Dictionary):
                problems.append(f"an entry under {where} is not an outline entry")
                break
            key = item.objgen
            if key != (0, 0) and key in seen:
                problems.append(
                    f"the entries under {where} loop back to '{_title(item)[:60]}' (a cycle)"
                )
                break
            seen.add(key)
            count += 1
            if count > limits.outline_items:
                raise OutlineTooLarge(f"it has more than {limits.outline_items:,} entries")
            title = _title(item)
            node: dict[str, Any] = {"title": title, "page": _target(item, pages), "children": []}
            if item.get("/First") is not None:
                if depth >= limits.outline_depth:
                    raise OutlineTooLarge(f"it nests more than {limits.outline_depth} levels deep")
                node["children"] = walk(item, depth + 1, f"'{title[:60]}'")
            out.append(node)
            item = item.get("/Next")
        return out

    root = pdf.Root.get("/Outlines")
    if not isinstance(root, Dictionary):
        return [], problems
    return walk(root, 1, "the outline root"), problems


def large_images(page: pikepdf.Page, limit: int) -> list[tuple[str, int, int]]:
    """[(name, width, height)] of images on the page (in forms too) over `limit` pixels."""
    found: list[tuple[str, int, int]] = []
    seen: set[tuple[int, int]] = set()
    budget = _MAX_XOBJECTS

    def visit(resources: Any, depth: int) -> None:
        nonlocal budget
        xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
        if not isinstance(xobjects, Dictionary) or depth > _FORM_DEPTH:
            return
        for name in list(xobjects.keys()):
            budget -= 1
            if budget < 0:
                return
            xobj = xobjects.get(name)
            if not isinstance(xobj, pikepdf.Stream) or xobj.objgen in seen:
                continue
            seen.add(xobj.objgen)
            subtype = xobj.get("/Subtype")
            if subtype == Name.Image:
                w, h = xobj.get("/Width"), xobj.get("/Height")
                if isinstance(w, int) and isinstance(h, int) and w * h > limit:
                    found.append((str(name), w, h))
            elif subtype == Name.Form:
                visit(xobj.get("/Resources"), depth + 1)

    visit(page.obj.get("/Resources"), 0)
    return found
