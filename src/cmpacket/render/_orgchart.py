"""The organization chart's drawing, laid out here once (deterministic: no measuring, no
randomness) from the reporting lines: each box's place, its lines of text and the connectors.
The template (`organization-chart.html.j2`) only writes the SVG from these numbers, so the packet
page draws it with WeasyPrint and the Word copy shows the same SVG as a picture."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from cmpacket.model import BOARD, AgencyData, reporting_lines

BOX_W = 150.0  # each box, in SVG user units (points at full size)
H_GAP, V_GAP = 14.0, 30.0
PAD = 6.0
TITLE_SIZE, NAME_SIZE = 8.6, 7.8
TITLE_LEAD, NAME_LEAD = 10.4, 9.6
WRAP = 27  # characters a title line holds at TITLE_SIZE in BOX_W (DejaVu Sans Bold, measured)
MAX_NAMES = 6
PAGE_W = 480.0  # the widest the chart is drawn on the page (the text block is 6.7 in)


def _lines(title: str, names: Sequence[str], vacant: bool) -> tuple[list[str], list[str]]:
    head = textwrap.wrap(title, WRAP) or [title]
    people = [n if len(n) <= WRAP + 4 else n[: WRAP + 1] + "\u2026" for n in names[:MAX_NAMES]]
    if len(names) > MAX_NAMES:
        people.append(f"and {len(names) - MAX_NAMES} more")
    if vacant:
        people = ["(vacant)"]
    return head, people


def org_chart(data: AgencyData) -> dict[str, Any]:
    """The chart: `boxes` (x, y, w, h, title lines, name lines, a text baseline each), `links`
    (SVG path data), the drawing's size and the size it is shown at (`width`, `height`, in pt)."""
    lines = reporting_lines(data.positions)
    nodes: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    if lines.has_board:
        members = [m.name for m in data.agency.board if m.name]
        nodes[BOARD] = {"title": lines.board_label, "names": [], "vacant": False, "n": len(members)}
        order.append(BOARD)
    for p in data.positions:
        names = [s.name or s.id for s in data.staff if s.position == p.key]
        nodes[p.key] = {
            "title": p.title or p.key.replace("-", " ").title(),
            "names": names,
            "vacant": not names,
        }
        order.append(p.key)
    children: dict[str | None, list[str]] = {}
    for key in order:
        up = None if key == BOARD else lines.parent.get(key)
        children.setdefault(up, []).append(key)

    depth: dict[str, int] = {}
    slot: dict[str, float] = {}
    leaves = [0]

    def place(key: str, level: int) -> None:
        depth[key] = level
        kids = children.get(key, [])
        for kid in kids:
            place(kid, level + 1)
        if kids:
            slot[key] = (slot[kids[0]] + slot[kids[-1]]) / 2
        else:
            slot[key] = float(leaves[0])
            leaves[0] += 1

    for root in children.get(None, []):
        place(root, 0)

    text: dict[str, tuple[list[str], list[str]]] = {}
    for key, node in nodes.items():
        names = node["names"]
        if key == BOARD and node["n"]:
            names = [f"{node['n']} directors and officers"]
        text[key] = _lines(node["title"], names, node["vacant"])
    heights: dict[int, float] = {}
    for key, (head, people) in text.items():
        h = 2 * PAD + len(head) * TITLE_LEAD + (len(people) * NAME_LEAD + 3 if people else 0)
        heights[depth[key]] = max(heights.get(depth[key], 0.0), h)
    tops: dict[int, float] = {}
    y = 1.0
    for level in sorted(heights):
        tops[level] = y
        y += heights[level] + V_GAP
    total_h = y - V_GAP + 1.0
    total_w = max(1, leaves[0]) * (BOX_W + H_GAP) - H_GAP + 2.0

    boxes = []
    for key in order:
        head, people = text[key]
        level = depth[key]
        x = 1.0 + slot[key] * (BOX_W + H_GAP)
        top = tops[level]
        rows = []
        base = top + PAD + TITLE_SIZE
        for line in head:
            rows.append({"text": line, "y": round(base, 1), "bold": True, "size": TITLE_SIZE})
            base += TITLE_LEAD
        base += 3
        for line in people:
            rows.append({"text": line, "y": round(base, 1), "bold": False, "size": NAME_SIZE})
            base += NAME_LEAD
        boxes.append(
            {
                "key": key,
                "x": round(x, 1),
                "y": round(top, 1),
                "w": BOX_W,
                "h": round(heights[level], 1),
                "cx": round(x + BOX_W / 2, 1),
                "rows": rows,
                "board": key == BOARD,
                "vacant": nodes[key]["vacant"],
            }
        )
    at = {b["key"]: b for b in boxes}
    links = []
    for up, kids in children.items():
        if up is None:
            continue
        a = at[up]
        bottom = a["y"] + a["h"]
        for kid in kids:
            b = at[kid]
            mid = round(bottom + (b["y"] - bottom) / 2, 1)
            links.append(f"M{a['cx']},{bottom} V{mid} H{b['cx']} V{b['y']}")
    scale = min(1.0, PAGE_W / total_w)
    return {
        "boxes": boxes,
        "links": links,
        "view_w": round(total_w, 1),
        "view_h": round(total_h, 1),
        "width": round(total_w * scale, 1),
        "height": round(total_h * scale, 1),
        "board": lines.has_board,
    }
