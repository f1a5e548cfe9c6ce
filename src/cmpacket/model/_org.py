"""Who reports to whom: `positions[].reports_to` resolved to another position (by key, or by its
exact title), to the governing body (a value naming the board), or to no one; unknown values and
cycles are kept for the rules (`reports-to-invalid`) and drawn as separate roots."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cmpacket.model._types import Position

BOARD = "@board"  # the governing body: the top of the organization chart
_BOARD_WORDS = re.compile(r"\b(board|trustees|governing body)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reporting:
    """`parent`: position key -> the key it reports to, `BOARD`, or None (top, unknown or in a
    cycle); `unknown`: (index, value) of values naming no position; `cycles`: the position
    indexes of each cycle, in the order the chain runs."""

    parent: dict[str, str | None] = field(default_factory=dict)
    unknown: tuple[tuple[int, str], ...] = ()
    cycles: tuple[tuple[int, ...], ...] = ()
    board_label: str = "Board of Directors"

    @property
    def has_board(self) -> bool:
        return BOARD in self.parent.values()


def is_board(value: str) -> bool:
    """Whether a `reports_to` value names the governing body ("Board of Directors", "board")."""
    return bool(_BOARD_WORDS.search(value))


def reporting_lines(positions: Sequence[Position]) -> Reporting:
    keys = {p.key for p in positions}
    titles = {(p.title or "").strip().lower(): p.key for p in positions if p.title}
    parent: dict[str, str | None] = {}
    unknown: list[tuple[int, str]] = []
    board_label = ""
    for i, p in enumerate(positions):
        value = (p.reports_to or "").strip()
        if not value:
            parent[p.key] = None
        elif value in keys:
            parent[p.key] = value
        elif value.lower() in titles:
            parent[p.key] = titles[value.lower()]
        elif is_board(value):
            parent[p.key] = BOARD
            board_label = board_label or value
        else:
            parent[p.key] = None
            unknown.append((i, value))
    index = {p.key: i for i, p in enumerate(positions)}
    cycles: list[tuple[int, ...]] = []
    seen: set[str] = set()
    for p in positions:
        chain: list[str] = []
        node: str | None = p.key
        while node is not None and node != BOARD and node not in seen and node not in chain:
            chain.append(node)
            node = parent.get(node)
        if node is not None and node in chain:
            loop = chain[chain.index(node) :]
            cycles.append(tuple(index[k] for k in loop))
        seen.update(chain)
    for cycle in cycles:  # drawn as roots: the chart breaks each cycle where it was found
        parent[positions[cycle[0]].key] = None
    return Reporting(
        parent,
        tuple(unknown),
        tuple(cycles),
        board_label if board_label and not board_label.startswith("@") else "Board of Directors",
    )
