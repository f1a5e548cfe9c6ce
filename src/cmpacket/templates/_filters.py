"""Jinja filters shared by the HTML, text and Word templates."""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup, escape


def long_date(value: Any) -> str:
    """2026-12-01 -> December 1, 2026 (empty for None)."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, date):
        return "" if value is None else str(value)
    return f"{value:%B} {value.day}, {value.year}"


def join_and(items: Any) -> str:
    """[a, b, c] -> 'a, b and c'."""
    words = [str(i) for i in items or [] if i]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def counties(items: Any) -> str:
    """[Sangamon, Logan] -> 'Sangamon and Logan Counties'; [Sangamon] -> 'Sangamon County'."""
    names = [str(i).strip() for i in items or [] if i and str(i).strip()]
    names = [n[: -len(" County")] if n.lower().endswith(" county") else n for n in names]
    if not names:
        return ""
    return join_and(names) + (" County" if len(names) == 1 else " Counties")


def hours(value: Any) -> str:
    return f"{float(value or 0):g}"


def paragraphs(text: Any) -> list[str]:
    """Split text on blank lines into paragraphs."""
    return [p.strip().replace("\n", " ") for p in str(text or "").split("\n\n") if p.strip()]


def pageref(ref: str, style: str = "range") -> Any:
    """A placeholder the assembler fills with the packet page number(s) of `ref` and links.

    `ref` is `doc/<piece key>`, `staff/<staff id>` or `section/<letter>`; `style` is `range`
    (41-43), `pp` (pp. 41-43), `page` (p. 41) or `ids` (the stamped page ids, PCC-R1-000041 to
    PCC-R1-000043). Rendering never waits for page numbers, so every document is laid out
    exactly once.
    """

    return Markup(
        f'<a class="pageref pageref-{escape(style)}" href="cmpacket:ref/{escape(style)}/{escape(ref)}">&#160;</a>'
    )


def ref_text(style: str, first: int, last: int, prefix: str = "") -> str:
    """What fills a `pageref` box: `41\u201343` (range), `pp. 41\u201343` or `p. 41` (pp), `p. 41`
    (page), `PCC-R1-000041 to PCC-R1-000043` (ids, with the page ids' `prefix`). The assembler
    draws it on the packet page; the Word copy writes it as text."""
    if style == "ids":
        ids = f"{prefix}-{first:06d}"
        return ids if first == last else f"{ids} to {prefix}-{last:06d}"
    span = str(first) if first == last else f"{first}\u2013{last}"
    if style == "pp":
        return ("p. " if first == last else "pp. ") + span
    if style == "page":
        return f"p. {first}"
    return span


def fill(name: str) -> Any:
    """A box the assembler fills with a packet-level value (`fingerprint`), so the page around it
    can be laid out once and cached even though the value changes with every input."""

    return Markup(
        f'<a class="fill fill-{escape(name)}" href="cmpacket:fill/{escape(name)}">&#160;</a>'
    )


GLOBALS = {"pageref": pageref, "fill": fill}

FILTERS = {
    "counties": counties,
    "long_date": long_date,
    "join_and": join_and,
    "hours": hours,
    "paragraphs": paragraphs,
}
