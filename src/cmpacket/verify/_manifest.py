"""Read a received packet's manifest.json as untrusted data: bounded parse, then a schema.

`parse_manifest` never recurses deeper than `manifest_depth`, never builds more than
`manifest_values` values, and refuses more than `manifest_bytes` bytes; the schema then checks
every field verify, inspect and diff use, so they can index the result without a guard. Unknown
fields are kept (a newer cmpacket may add some) but not used.
"""

from __future__ import annotations

import json
import re
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields

from cmpacket.findings import format_path
from cmpacket.lifecycle import OPERATIONS
from cmpacket.verify._fields import (
    Choice,
    CountMap,
    Flag,
    Hex,
    HexList,
    PageRange,
    Scalar,
    Text,
    TextMap,
    Typed,
    Whole,
    kind_of,
    many,
    texts,
)
from cmpacket.verify._limits import DEFAULT_LIMITS, VerifyLimits

__all__ = ["ManifestInvalid", "check_manifest", "parse_manifest"]

# a JSON string (unrolled: twice as fast as an alternation); one left open runs to the end of the
# text, so the scan never starts again inside it (`"\\"\\"...` took time quadratic in its
# length); JSON refuses such a text anyway
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_STRING_OR_BRACKET = re.compile(_STRING.pattern + r"|[\[\]{}]", re.S)
WINDOW = 1 << 20  # characters of a manifest's text stripped of its strings at a time


class ManifestInvalid(ValueError):
    """The manifest cannot be used; `problems` is [(field path or "", what is wrong)]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"{path + ': ' if path else ''}{text}" for path, text in problems[:5])
        more = f" (and {len(problems) - 5} more problem(s))" if len(problems) > 5 else ""
        super().__init__(shown + more)


class _Open(Schema):
    """Unknown fields are kept, not checked: a newer cmpacket may add fields."""

    class Meta:
        unknown = INCLUDE


class PacketSchema(_Open):
    file = Text(required=True)
    sha256 = Hex(64, required=True, allow_none=True)
    pages = Whole(required=True)


class DocumentSchema(_Open):
    title = Text(required=True)
    kind = Text(required=True)
    source = Text(required=True)
    source_sha256 = Text(required=True)  # "" for a placeholder (a missing upload in a draft)
    first_page = Whole(1, required=True)
    last_page = Whole(1, required=True)
    content_sha256 = Hex(64, required=True)
    page_sha256 = HexList(16)
    staff_id = Text(allow_none=True)
    key = Text()  # the document's key across sequences (SPEC §16); absent before cmpacket 0.2
    unstamped_sha256 = Text()  # its content before stamping ("" for a draft's placeholder)


class SectionSchema(_Open):
    letter = Text(required=True)
    title = Text(required=True)
    bookmark = Text()  # a section of its own (a response's exhibits) is verified by its bookmark
    first_page = Whole(1, required=True)
    last_page = Whole(1, required=True)
    documents = many(DocumentSchema, required=True)


class AgencySchema(_Open):
    legal_name = Text(allow_none=True)
    fein = Text(allow_none=True)


class LicenseSchema(_Open):
    type = Text(required=True, allow_none=True)
    number = Text(required=True, allow_none=True)
    expires = Text(required=True, allow_none=True)


class StaffSchema(_Open):
    id = Text(required=True)
    name = Text(required=True, allow_none=True)
    position = Text(required=True, allow_none=True)
    licenses = many(LicenseSchema)
    hire_date = Scalar()
    caseload = Scalar()
    background_check = Scalar()


class DataSchema(_Open):
    staff = many(StaffSchema)
    positions = texts(allow_none=True)
    service_settings = texts(allow_none=True)
    records_retention_years = Scalar()
    agreement_effective_date = Scalar()
    policies_adopted = Scalar()


class InputSchema(_Open):
    path = Text(required=True)
    sha256 = Text(required=True, allow_none=True)


class TemplateSchema(_Open):
    name = Text(required=True)
    origin = Text(allow_none=True)
    sha256 = Text(allow_none=True)


class BaseSchema(_Open):
    file = Text(required=True)
    sha256 = Hex(64, required=True, allow_none=True)
    sequence = Whole(0, required=True)
    fein = Text(required=True, allow_none=True)


class OperationSchema(_Open):
    operation = Choice(OPERATIONS, required=True)
    key = Text(required=True)
    title = Text(required=True)
    kind = Text(required=True)
    base_pages = PageRange(required=True)
    pages = PageRange(required=True)
    base_content_sha256 = Text(required=True, allow_none=True)
    content_sha256 = Text(required=True, allow_none=True)


class LifecycleSchema(_Open):
    sequence = Whole(0, required=True)
    base = fields.Nested(BaseSchema, required=True, allow_none=True)
    operations = many(OperationSchema, required=True)


class EvidenceSchema(_Open):
    path = Text(required=True)
    file = Text(required=True)
    checked = Flag(required=True)
    matched = texts(required=True)
    mismatched = texts(required=True)
    page = Whole(1, allow_none=True)


class PartSchema(_Open):
    file = Text(required=True)
    sha256 = Hex(64, required=True, allow_none=True)
    first_page = Whole(1, required=True)
    last_page = Whole(1, required=True)
    bytes = Whole(0, 1 << 62, required=True, allow_none=True)


class ExhibitSchema(_Open):
    file = Text()
    document = Text()
    chapter = Text(allow_none=True)
    first_page = Whole(1, required=True)
    last_page = Whole(1, required=True)


class ItemSchema(_Open):
    id = Text(required=True)
    exhibits = many(ExhibitSchema, required=True)


class ResponseSchema(_Open):
    kind = Text(required=True)
    reference = Text(required=True, allow_none=True)
    due = Text(allow_none=True)
    items = many(ItemSchema, required=True)


class ManifestSchema(_Open):
    cmpacket_version = Text(allow_none=True)
    profile = Text(allow_none=True)
    profile_sha256 = Text(allow_none=True)
    as_of = Text(allow_none=True)
    draft = Flag(allow_none=True)
    agency = fields.Nested(AgencySchema)
    packet = fields.Nested(PacketSchema, required=True)
    sections = many(SectionSchema, required=True)
    required_sections = texts(allow_none=True)
    inputs = many(InputSchema, allow_none=True)
    input_fingerprint = Text(allow_none=True)
    templates = many(TemplateSchema, allow_none=True)
    converter = TextMap(allow_none=True)
    findings = CountMap(allow_none=True)
    data = fields.Nested(DataSchema, allow_none=True)
    lifecycle = fields.Nested(LifecycleSchema)
    page_digest = Whole(1, 2)  # what each page's hash covers; absent: version 1
    evidence = many(EvidenceSchema)
    parts = many(PartSchema)
    response = fields.Nested(ResponseSchema)


_SCHEMA = ManifestSchema()
_RENAME = {
    "Missing data for required field.": "is missing; every cmpacket manifest has it.",
    "Not a valid list.": "is not a list.",
    "Invalid input type.": "is not an object.",
    "Field may not be null.": "is null; expected a value.",
}


def _flatten(messages: Any, path: tuple[str | int, ...]) -> list[tuple[str, str]]:
    if isinstance(messages, list):
        return [(format_path(path), _RENAME.get(str(m), str(m))) for m in messages]
    out: list[tuple[str, str]] = []
    for key, value in messages.items():
        out += _flatten(value, path if key == "_schema" else (*path, key))
    return out


def _prescan(text: str, limits: VerifyLimits) -> None:
    """Refuse deep nesting and too many values before json builds anything (linear time).

    The text is read in windows of about WINDOW characters cut after a line end (JSON holds no
    raw newline inside a string, so no string is cut), each stripped of its strings: stripping
    a 2,000-staff manifest (15 MB) whole held 43 MB of pieces, a window at a time 4 MB."""
    values = depth = deepest = 0
    too_deep: int | None = None  # where the nesting first goes past the limit
    start = 0
    while start < len(text):
        cut = text.find("\n", start + WINDOW)
        end = len(text) if cut < 0 else cut + 1
        bare = _STRING.sub('""', text[start:end])
        values += bare.count("[") + bare.count("{") + bare.count(",")
        if too_deep is None:
            before = depth
            for match in _BRACKET.finditer(bare):
                depth += 1 if match.group() in "[{" else -1
                if depth > deepest:
                    deepest = depth
                    if deepest > limits.manifest_depth:
                        too_deep = start + _deep_at(text[start:end], before, limits)
                        break
        start = end
    if values > limits.manifest_values:
        raise ManifestInvalid(
            [("", f"it holds about {values:,} values; the limit is {limits.manifest_values:,}.")]
        )
    if too_deep is not None:
        raise ManifestInvalid(
            [
                (
                    "",
                    f"it nests arrays and objects more than {limits.manifest_depth} "
                    f"deep (at character {too_deep:,}).",
                )
            ]
        )


def _deep_at(window: str, depth: int, limits: VerifyLimits) -> int:
    """Where in `window` (entered at `depth`) the nesting goes past the limit."""
    for match in _STRING_OR_BRACKET.finditer(window):
        if match.group()[0] in "[{":
            depth += 1
            if depth > limits.manifest_depth:
                return match.start()
        elif match.group()[0] in "]}":
            depth -= 1
    return len(window)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def parse_manifest(data: bytes, limits: VerifyLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """manifest.json bytes -> the checked manifest; raises ManifestInvalid naming what is wrong."""
    if len(data) > limits.manifest_bytes:
        raise ManifestInvalid(
            [("", f"it is {len(data):,} bytes; the limit is {limits.manifest_bytes:,}.")]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestInvalid(
            [("", f"it is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start:,}).")]
        ) from None
    del data  # not held while the text is parsed (unless the caller holds it)
    _prescan(text, limits)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ManifestInvalid(
            [("", f"it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).")]
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ManifestInvalid([("", f"it is not valid JSON ({exc}).")]) from None
    # a lone surrogate can only come from a \\u escape (UTF-8 text holds none): look for one
    # only when the text has such an escape
    where = _lone_surrogate(value) if _SURROGATE_ESCAPE.search(text) else None
    if where is not None:
        raise ManifestInvalid(
            [(where, "it holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is no text; "
              "cmpacket never writes one, so the manifest was altered.")]
        )  # fmt: skip
    return check_manifest(value)


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The path of the first string (key or value) holding a lone surrogate, or None. The
    prescan has bounded the nesting."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        at, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return at or "manifest"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not key.isascii() and _SURROGATE.search(key):
                    return f"{at}.{key!a}".lstrip(".")
                stack.append((f"{at}.{key}".lstrip("."), inner))
        elif isinstance(item, list):
            stack.extend((f"{at}[{i}]", inner) for i, inner in enumerate(item))
    return None


def check_manifest(value: Any) -> dict[str, Any]:
    """Check a parsed manifest against the schema; returns it unchanged, or raises."""
    if not isinstance(value, dict):
        raise ManifestInvalid([("", f"it is {kind_of(value)}, not a JSON object.")])
    if _fits_schema(_SCHEMA, value):  # the common case, without marshmallow's per-field work
        return value
    try:
        errors = _SCHEMA.validate(value)
    except (ValidationError, TypeError, ValueError) as exc:  # defensive: report, never crash
        raise ManifestInvalid(
            [("", f"it does not have the shape of a manifest ({exc}).")]
        ) from None
    if errors:
        raise ManifestInvalid(_flatten(errors, ()))
    return value


def _fits_schema(schema: Schema, value: dict[str, Any]) -> bool:
    """Whether `value` passes `schema` with no error, checked directly with the same fields'
    own tests: a 16,000-page packet's manifest (40,000 objects) in a tenth of the time
    marshmallow takes. Any doubt (an error, a field kind not known here) answers False, and
    marshmallow then decides and words the problems."""
    for name, field in schema.fields.items():
        if name not in value:
            if field.required:
                return False
        elif not _fits(field, value[name]):
            return False
    return True


def _fits(field: Any, value: Any) -> bool:
    if value is None:
        return bool(field.allow_none)
    if isinstance(field, Typed):
        return field.accepts(value)
    if isinstance(field, fields.Nested):
        return isinstance(value, dict) and _fits_schema(field.schema, value)
    if isinstance(field, fields.List):
        inner = field.inner
        return isinstance(value, list) and all(_fits(inner, item) for item in value)
    return False
