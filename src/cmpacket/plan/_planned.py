"""The plan's result: the pieces in packet order, the inputs they are made from and their
fingerprint, and — when the packet goes out as parts — the part of each piece and what each part
cover says."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket.model import AgencyData
from cmpacket.plan._empty import with_empty_sections
from cmpacket.plan._inputs import fingerprint, packet_inputs
from cmpacket.plan._parts import Cut, with_parts
from cmpacket.plan._pieces import Piece
from cmpacket.plan._plan import plan, slug


@dataclass(frozen=True)
class Planned:
    """The pieces in packet order, the packet's inputs and fingerprint; with parts, the part of
    each piece, the pieces split across parts and what each part's cover says."""

    pieces: list[Piece]
    inputs: list[dict[str, str]]
    fingerprint: str
    packet_file: str
    part_of: dict[str, int] = field(default_factory=dict)
    split: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    whole: tuple[Piece, ...] = ()  # the pieces before parts
    parts: tuple[dict[str, Any], ...] = ()

    @property
    def count(self) -> int:
        """How many files the packet is written as."""
        return max(self.part_of.values(), default=1)


def plan_packet(
    data: AgencyData,
    resolved: dict[str, Any],
    profile_source: Path,
    display: Callable[[Path], str],
    sha256: Callable[[Path], str],
    required: Sequence[str] = (),
    *,
    draft: bool = True,
) -> Planned:
    """The packet as one file: its pieces (`resolved`: the upload paths validation checked, given
    path -> UploadRef) and inputs (`sha256` of each input file; intake's where it has one)."""
    pieces = with_empty_sections(plan(data, resolved, draft=draft), required)
    inputs = packet_inputs(data, pieces, profile_source, display, sha256)
    name = f"{slug(data.agency.legal_name or data.agency.display_name)}-packet.pdf"
    return Planned(pieces, inputs, fingerprint(inputs), name, whole=tuple(pieces))


def in_parts(planned: Planned, cuts: Sequence[Sequence[Cut]]) -> Planned:
    """The same packet as parts, cut at `cuts`: a cover sheet first in each part."""
    whole = list(planned.whole)
    laid = with_parts(whole, cuts)
    covers = []
    for k, part in enumerate(cuts, start=1):
        notes = [
            f"{whole[c.index].title} is too large for one file: its pages {c.first}\u2013{c.last} "
            f"are in this part, the rest in the next or previous part."
            for c in part
            if not c.whole
        ]
        covers.append(
            {
                "number": k,
                "file": part_name(planned.packet_file, k, laid.count),
                "ref": f"part/{k}",
                "begins": whole[part[0].index].title,
                "note": " ".join(notes),
            }
        )
    return Planned(
        laid.pieces,
        planned.inputs,
        planned.fingerprint,
        planned.packet_file,
        laid.part_of,
        laid.split,
        planned.whole,
        tuple(covers),
    )


def part_name(packet_file: str, k: int, n: int) -> str:
    """`slug-packet.pdf` -> `slug-packet-part-2-of-3.pdf`."""
    stem = packet_file[:-4] if packet_file.endswith(".pdf") else packet_file
    return f"{stem}-part-{k}-of-{n}.pdf"
