"""The packet's lifecycle (SPEC §16): each build is one sequence after the packet it answers, and
every document is `new`, `replace`d, `delete`d or `unchanged` since that base.

Documents are matched by their key (`job-description:case-manager`, `staff:S-003:license:0`),
which stays the same from one sequence to the next, and compared by their content before
stamping, so a document that only moved is unchanged. The pages that find one's way in the
packet itself — its cover sheet, index and part covers — are made anew for every sequence and
are not among the operations: they describe the packet, not the application. The build records these operations in
every manifest; `diff` reports the very same operations from two manifests, and `verify --base`
checks them against the base, so the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

OPERATIONS = ("new", "replace", "delete", "unchanged")
NAVIGATION = ("cover", "index", "part-cover")  # kinds made anew for every sequence
# how the cumulative packet's index marks each document (a deleted one is listed apart)
MARKS = {"new": "new", "replace": "replaced", "unchanged": "unchanged"}


@dataclass(frozen=True)
class Document:
    """One document as the lifecycle compares it."""

    key: str
    title: str
    kind: str
    content: str  # sha256 of what it holds before stamping
    pages: tuple[int, int] | None = None


def documents(manifest: dict[str, Any]) -> list[Document]:
    """The documents of a manifest in packet order. A manifest made before documents had keys
    (cmpacket 0.1) is matched by kind and title, and compared by its stamped content."""
    out = []
    for section in manifest.get("sections") or []:
        for d in section.get("documents") or []:
            key = d.get("key") or f"{d.get('kind')}:{d.get('title')}"
            content = d.get("unstamped_sha256") or (
                d.get("source_sha256") if d.get("kind") == "upload" else d.get("content_sha256")
            )
            if d.get("kind") in NAVIGATION:
                continue
            pages = (int(d["first_page"]), int(d["last_page"]))
            out.append(
                Document(str(key), str(d.get("title")), str(d.get("kind")), str(content), pages)
            )
    return out


def operations(base: Sequence[Document] | None, now: Sequence[Document]) -> list[dict[str, Any]]:
    """One operation per document of either packet: the new packet's documents in order, then
    those deleted since the base in the base's order. Without a base every document is new."""
    before = {d.key: d for d in base or () if d.kind not in NAVIGATION}
    now = [d for d in now if d.kind not in NAVIGATION]
    out = []
    for d in now:
        old = before.get(d.key)
        op = "new" if old is None else "unchanged" if old.content == d.content else "replace"
        out.append(_operation(op, old, d))
    keys = {d.key for d in now}
    out += [_operation("delete", d, None) for d in before.values() if d.key not in keys]
    return out


def _operation(op: str, old: Document | None, new: Document | None) -> dict[str, Any]:
    shown = new or old
    assert shown is not None
    return {
        "operation": op,
        "key": shown.key,
        "title": shown.title,
        "kind": shown.kind,
        "base_pages": list(old.pages) if old and old.pages else None,
        "pages": list(new.pages) if new and new.pages else None,
        "base_content_sha256": old.content if old else None,
        "content_sha256": new.content if new else None,
    }


def marks(ops: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Document key -> how the index marks it (`new`, `replaced`, `unchanged`)."""
    return {op["key"]: MARKS[op["operation"]] for op in ops if op["operation"] in MARKS}


def record(
    base: dict[str, Any] | None, ops: list[dict[str, Any]], sequence: int | None = None
) -> dict[str, Any]:
    """The manifest's `lifecycle`: the sequence (the base's plus one; 0 without a base), the
    base (`{file, sha256, sequence, fein}` or null) and the operations."""
    if sequence is None:
        sequence = int(base["sequence"]) + 1 if base else 0
    return {"sequence": sequence, "base": base, "operations": ops}


def summary(ops: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many documents each operation names."""
    counts = {op: 0 for op in OPERATIONS}
    for op in ops:
        counts[op["operation"]] += 1
    return counts
