"""Stage 6, assembly: merge rendered documents and sanitized uploads into the stamped, indexed
packet (links, outline, labels, stamps, metadata) and describe it in the manifest."""

from cmpacket.assemble._lossless import dedupe_images
from cmpacket.assemble._manifest import manifest_base
from cmpacket.assemble._packet import (
    PacketInfo,
    Placed,
    count_pages,
    finish,
    manifest_json,
    manifest_sections,
    merge,
    number_pages,
)
from cmpacket.assemble._parts import Segment, choose_parts, part_name, segments, write_part

__all__ = [
    "PacketInfo",
    "Segment",
    "Placed",
    "choose_parts",
    "count_pages",
    "dedupe_images",
    "finish",
    "manifest_base",
    "manifest_json",
    "manifest_sections",
    "merge",
    "number_pages",
    "part_name",
    "segments",
    "write_part",
]
