"""The agency data model: frozen dataclasses and loading from YAML/JSON/CSV with line numbers."""

from cmpacket.model._csv import header as staff_csv_header
from cmpacket.model._load import Loaded, format_path, load_folder
from cmpacket.model._paths import UploadRef, resolve_upload
from cmpacket.model._types import (
    AgencyData,
    Agreement,
    Attachment,
    Position,
    Staff,
)

__all__ = [
    "AgencyData",
    "Agreement",
    "Attachment",
    "Loaded",
    "Position",
    "Staff",
    "UploadRef",
    "format_path",
    "load_folder",
    "resolve_upload",
    "staff_csv_header",
]
