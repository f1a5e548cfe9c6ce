"""Stage 2, intake: what each upload is (plain facts for validation) and its sanitized PDF.

Nothing here knows about rules, rendering or the packet; the build caches what this returns.
"""

from cmpacket.intake._bounded import Caps, check_image_file, check_pages, decoded_length
from cmpacket.intake._pdf import (
    DEFAULT_LIMITS,
    UploadFacts,
    active_content,
    facts_from_json,
    facts_to_json,
    inspect_upload,
    sanitize_into,
    take_in,
)
from cmpacket.intake._text import (
    FIRST_PAGES,
    MAX_PAGES,
    extractor,
    has_text,
    page_texts,
    with_text,
)

__all__ = [
    "FIRST_PAGES",
    "MAX_PAGES",
    "Caps",
    "check_image_file",
    "check_pages",
    "decoded_length",
    "DEFAULT_LIMITS",
    "UploadFacts",
    "active_content",
    "facts_from_json",
    "facts_to_json",
    "inspect_upload",
    "sanitize_into",
    "extractor",
    "has_text",
    "page_texts",
    "take_in",
    "with_text",
]
