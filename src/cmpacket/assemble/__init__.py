"""Stage 6, assembly: merge rendered documents and sanitized uploads into the stamped, indexed
packet (links, outline, labels, stamps, metadata) and describe it in the manifest."""

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

__all__ = [
    "PacketInfo",
    "Placed",
    "count_pages",
    "finish",
    "manifest_base",
    "manifest_json",
    "manifest_sections",
    "merge",
    "number_pages",
]
