"""The agency data model: frozen dataclasses and loading from YAML/JSON/CSV with line numbers."""

from cmpacket.findings import format_path
from cmpacket.model._csv import flatten as staff_rows
from cmpacket.model._csv import header as staff_csv_header
from cmpacket.model._example import example_data
from cmpacket.model._field_paths import is_field
from cmpacket.model._load import Loaded, load_folder
from cmpacket.model._org import BOARD, Reporting, is_board, reporting_lines
from cmpacket.model._paths import UploadRef, resolve_upload
from cmpacket.model._response import (
    RESPONSES,
    Exhibit,
    Item,
    Letter,
    Response,
    find_response,
    load_response,
    response_folders,
)
from cmpacket.model._scaffold import scaffold
from cmpacket.model._types import (
    AgencyData,
    Agreement,
    Attachment,
    BoardMember,
    ExclusionCheck,
    OnCall,
    Position,
    Staff,
)

__all__ = [
    "BOARD",
    "Reporting",
    "is_board",
    "reporting_lines",
    "RESPONSES",
    "Exhibit",
    "Item",
    "Letter",
    "Response",
    "find_response",
    "load_response",
    "response_folders",
    "AgencyData",
    "BoardMember",
    "OnCall",
    "Agreement",
    "Attachment",
    "ExclusionCheck",
    "Loaded",
    "Position",
    "Staff",
    "UploadRef",
    "example_data",
    "format_path",
    "is_field",
    "load_folder",
    "resolve_upload",
    "scaffold",
    "staff_csv_header",
    "staff_rows",
]
