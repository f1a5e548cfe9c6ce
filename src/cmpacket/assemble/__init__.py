"""Stage 6, assembly: merge rendered documents and sanitized uploads into the stamped, indexed
packet (links, outline, labels, stamps, metadata) and describe it in the manifest."""

from cmpacket.assemble._build import Assembled, Layout, assemble, packet_info, place
from cmpacket.assemble._manifest import manifest_base
from cmpacket.assemble._packet import (
    finish,
    manifest_json,
    manifest_sections,
    unstamped_sha256,
)
from cmpacket.assemble._parts import Segment, choose_parts, fewest_parts, segments, write_part
from cmpacket.assemble._placed import PacketInfo, Placed, number_pages
from cmpacket.assemble._sign import (
    Signature,
    SigningKey,
    load_signing_key,
    sign_pdf,
    signature_place,
    signing_time,
)

__all__ = [
    "Signature",
    "SigningKey",
    "load_signing_key",
    "sign_pdf",
    "signature_place",
    "signing_time",
    "unstamped_sha256",
    "Assembled",
    "Layout",
    "assemble",
    "packet_info",
    "place",
    "PacketInfo",
    "Segment",
    "Placed",
    "choose_parts",
    "fewest_parts",
    "finish",
    "manifest_base",
    "manifest_json",
    "manifest_sections",
    "number_pages",
    "segments",
    "write_part",
]
