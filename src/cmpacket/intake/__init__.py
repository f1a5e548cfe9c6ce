"""Stage 2, intake: what each upload is (plain facts for validation) and its sanitized PDF, OCR'd
or compressed as asked; for a build, every upload taken in once on the build's workers through
the cache (`take_in_all`).

Nothing here knows about rules, rendering or the packet.
"""

from cmpacket.intake._batch import (
    Intaken,
    Matcher,
    loader,
    packet_sizes,
    read_more,
    sanitized,
    take_in_all,
    without_text,
)
from cmpacket.intake._bounded import Caps, check_image_file, check_pages, decoded_length
from cmpacket.intake._ocr import INSTALL as OCR_INSTALL
from cmpacket.intake._ocr import check_mode, engine
from cmpacket.intake._ocr import missing as missing_engine
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
from cmpacket.intake._steps import add_ocr, compress
from cmpacket.intake._text import (
    FIRST_PAGES,
    MAX_PAGES,
    extractor,
    has_text,
    page_texts,
    with_text,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FIRST_PAGES",
    "MAX_PAGES",
    "OCR_INSTALL",
    "Caps",
    "Intaken",
    "Matcher",
    "UploadFacts",
    "active_content",
    "add_ocr",
    "check_image_file",
    "check_mode",
    "check_pages",
    "compress",
    "decoded_length",
    "engine",
    "extractor",
    "facts_from_json",
    "facts_to_json",
    "has_text",
    "inspect_upload",
    "loader",
    "missing_engine",
    "packet_sizes",
    "page_texts",
    "read_more",
    "sanitize_into",
    "sanitized",
    "take_in",
    "take_in_all",
    "with_text",
    "without_text",
]
