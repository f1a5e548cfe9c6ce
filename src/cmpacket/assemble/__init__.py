"""Packet assembly: upload intake, merging, index links, outline, labels, stamps, manifest."""

from cmpacket.assemble._intake import UploadFacts, active_content, inspect_upload, sanitize_into

__all__ = ["UploadFacts", "active_content", "inspect_upload", "sanitize_into"]
