"""The organization chart's drawing, laid out here once (deterministic: no measuring, no
randomness) from the reporting lines: each box's place, its lines of text and the connectors.
The template (`organization-chart.html.j2`) only writes the SVG from these numbers, so the packet
page draws it with WeasyPrint and the Word copy shows the same SVG as a picture."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from cmpacket.model import BOARD, AgencyData, Position, Reporting, reporting_lines

BOX_W = 150.0  # each box, in SVG user units (points at full size)
H_GAP, V_GAP = 14.0, 30.0
PAD = 6.0
TITLE_SIZE, NAME_SIZE = 8.6, 7.8
TITLE_LEAD, NAME_LEAD = 10.4, 9.6
WRAP = 24  # characters a title line holds at TITLE_SIZE in BOX_W (DejaVu Sans Bold, measured)
MAX_NAMES = 6
PAGE_W = 480.0  # the widest the chart is drawn on the page (the text block is 6.7 in)
PAGE_H = 540.0  # the tallest (the page's text block less the heading and the introduction)
STACK_OVER = 4  # more leaf boxes side by side than this: leaf groups hang as columns
INDENT, STACK_GAP = 12.0, 6.0
COLUMN = 10  # boxes in one hanging column at most


def _lines(
    title: str, names: Sequence[str], vacant: bool, wrap: int = 0
) -> tuple[list[str], list[str]]:
    wrap = wrap or WRAP
    head = textwrap.wrap(title, wrap) or [title]
    people = [n if len(n) <= wrap + 4 else n[: wrap + 1] + "\u2026" for n in names[:MAX_NAMES]]
    if len(names) > MAX_NAMES:
        people.append(f"and {len(names) - MAX_NAMES} more")
    if vacant:
        people = ["(vacant)"]
    return head, people


def reports_to_title(data: AgencyData, lines: Reporting, p: Position) -> tuple[str, str]:
    """What a position's "Reports to" shows (the title of the position above it, or the board's
    name; as written where it names neither) and the key of the position above ("" if none)."""
    up = lines.parent.get(p.key)
    above = data.position(up) if up and up != BOARD else None
    if up == BOARD:
        return lines.board_label, ""
    if above is not None:
        return above.title or above.key.replace("-", " ").title(), above.key
    return p.reports_to or "", ""


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

    def leaf_slots(key: str) -> int:
        kids = children.get(key, [])
        return sum(leaf_slots(k) for k in kids) if kids else 1

    roots = children.get(None, [])
    # A chart wider than the page would shrink its text: then the positions with no one under
    # them that report to the same position hang as a column, in a slot of their own below it.
    stack = sum(leaf_slots(r) for r in roots) > STACK_OVER
    stacked: set[str] = set()
    for up, kids in children.items():
        alone = [k for k in kids if not children.get(k)]
        if stack and up is not None and len(alone) > 1:
            stacked.update(alone)

    depth: dict[str, int] = {}
    slot: dict[str, float] = {}
    column_slot: dict[str, float] = {}  # a stacked position -> its column's slot
    leaves = [0]

    def place(key: str, level: int) -> None:
        depth[key] = level
        kids = children.get(key, [])
        xs = []
        column = [k for k in kids if k in stacked]
        for j, kid in enumerate(column):  # columns of at most COLUMN boxes, side by side
            if j % COLUMN == 0:
                xs.append(float(leaves[0]))
                leaves[0] += 1
            column_slot[kid] = xs[-1]
            depth[kid] = level + 1
        for kid in kids:
            if kid not in stacked:
                place(kid, level + 1)
                xs.append(slot[kid])
        if xs:
            slot[key] = (min(xs) + max(xs)) / 2
        else:
            slot[key] = float(leaves[0])
            leaves[0] += 1

    for root in roots:
        place(root, 0)

    text: dict[str, tuple[list[str], list[str]]] = {}
    for key, node in nodes.items():
        names = node["names"]
        if key == BOARD and node["n"]:
            names = [f"{node['n']} directors and officers"]
        text[key] = _lines(
            node["title"], names, node["vacant"], WRAP - (2 if key in stacked else 0)
        )
    own_h = {
        key: 2 * PAD + len(head) * TITLE_LEAD + (len(people) * NAME_LEAD + 3 if people else 0)
        for key, (head, people) in text.items()
    }
    heights: dict[int, float] = {}
    for key, h in own_h.items():
        level_h = 0.0 if key in stacked else h
        heights[depth[key]] = max(heights.get(depth[key], 0.0), level_h)
    tops: dict[int, float] = {}
    y = 1.0
    for level in sorted(heights):
        tops[level] = y
        y += heights[level] + V_GAP
    total_w = max(1, leaves[0]) * (BOX_W + H_GAP) - H_GAP + 2.0

    place_at: dict[str, tuple[float, float, float, float]] = {}  # x, y, w, h
    for key in order:
        if key not in stacked:
            x = 1.0 + slot[key] * (BOX_W + H_GAP)
            place_at[key] = (x, tops[depth[key]], BOX_W, heights[depth[key]])
    below: dict[float, float] = {}  # a column's slot -> where its next box goes
    for kid in order:
        if kid in stacked:
            col_x = column_slot[kid]
            y = below.get(col_x, tops[depth[kid]])
            x = 1.0 + col_x * (BOX_W + H_GAP) + INDENT
            place_at[kid] = (x, y, BOX_W - INDENT, own_h[kid])
            below[col_x] = y + own_h[kid] + STACK_GAP
    total_h = max((y + h for _, y, _, h in place_at.values()), default=1.0) + 1.0

    boxes = []
    for key in order:
        head, people = text[key]
        x, top, w, h = place_at[key]
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
                "w": w,
                "h": round(h, 1),
                "cx": round(x + w / 2, 1),
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
        bottom = round(a["y"] + a["h"], 1)
        bus = round(bottom + V_GAP / 2, 1)
        for kid in kids:
            b = at[kid]
            if kid in stacked:  # across to the column's rail, down it, then into the box
                rail = round(b["x"] - INDENT / 2, 1)
                mid = round(b["y"] + b["h"] / 2, 1)
                links.append(f"M{a['cx']},{bottom} V{bus} H{rail} V{mid} H{b['x']}")
            else:
                links.append(f"M{a['cx']},{bottom} V{bus} H{b['cx']} V{b['y']}")
    scale = min(1.0, PAGE_W / total_w, PAGE_H / total_h)
    return {
        "boxes": boxes,
        "links": links,
        "view_w": round(total_w, 1),
        "view_h": round(total_h, 1),
        "width": round(total_w * scale, 1),
        "height": round(total_h * scale, 1),
        "board": lines.has_board,
    }
