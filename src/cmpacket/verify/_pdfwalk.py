"""Bounded reading of an untrusted PDF's objects for `verify`'s checks: name trees walked each
node once within a budget, arrays read without wrapping their whole length, names and strings
shown printable and short."""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Array, Dictionary

MAX_NAMES = 100_000  # name-tree nodes and entries looked at
DICTS = (Dictionary, pikepdf.Stream)  # a dictionary, or a stream's (a hostile file may use one)


def name_tree(tree: Any) -> tuple[list[tuple[str, Any]], bool]:
    """A name tree's (key, value) entries, each node once; (entries, whether some were left
    out after MAX_NAMES)."""
    entries: list[tuple[str, Any]] = []
    stack, seen, budget = [tree], set(), MAX_NAMES
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            return entries, True
        if not isinstance(node, DICTS) or node.objgen in seen:
            continue
        if node.objgen != (0, 0):
            seen.add(node.objgen)
        kids = node.get("/Kids")
        if isinstance(kids, Array):
            stack.extend(reversed(head(kids, MAX_NAMES)))
        pairs = node.get("/Names")
        if isinstance(pairs, Array):
            items = head(pairs, 2 * MAX_NAMES)
            for key, value in zip(items[::2], items[1::2], strict=False):
                budget -= 1
                if budget < 0:
                    return entries, True
                entries.append((text_of(key), value))
    return entries, False


def head(array: Array, count: int) -> list[Any]:
    """The first `count` items of an array, without wrapping the rest (a hostile one is huge)."""
    return [array[k] for k in range(min(len(array), count))]


def name_of(value: Any) -> str:
    """A PDF name without its slash ("JavaScript"), or "" when it is not a name."""
    return str(value).lstrip("/")[:40] if isinstance(value, pikepdf.Name) else ""


def text_of(value: Any) -> str:
    """A PDF string or name as printable text, at most 80 characters."""
    try:
        text = str(value)
    except (ValueError, UnicodeDecodeError):
        text = "?"
    return "".join(c if c.isprintable() else "?" for c in text)[:80]


def quote(value: Any) -> str:
    return f"'{text_of(value)}'"
