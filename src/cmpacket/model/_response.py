"""A response to the Department (SPEC §16): `responses/<name>/response.yaml` in the agency folder,
one folder per letter, loaded like `agency.yaml` — every schema problem a finding with its line.

What the response must hold to be sent (an answer per item, a CAP item's cause and correction,
exhibits that exist, a base packet of this agency) is checked by the validators' response rules;
here only the shape of the data is.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load

from cmpacket.errors import InputError
from cmpacket.findings import Finding
from cmpacket.model._fields import Choice, Text, date_field, text
from cmpacket.model._types import Person
from cmpacket.model._yaml import Path_, read_yaml

RESPONSES = "responses"  # the folder of response folders, inside the agency folder
KINDS = ("rfi", "cap")
MAX_BYTES = 2 * 2**20
CITATION = "see docs/responses.md"


@dataclass(frozen=True)
class Exhibit:
    """An upload of the agency folder (`file`), or a document of the packet (`document`, and for
    the policy manual optionally one `chapter`)."""

    file: str | None = None
    document: str | None = None
    chapter: str | None = None

    @property
    def label(self) -> str:
        if self.file:
            return self.file
        return f"{self.document}, chapter {self.chapter}" if self.chapter else str(self.document)


@dataclass(frozen=True)
class Letter:
    """The Department's letter the response answers."""

    sender: str | None = None  # `from:` in the file
    reference: str | None = None
    dated: date | None = None
    received: date | None = None
    file: str | None = None
    due: date | None = None  # when the letter states its own due date


@dataclass(frozen=True)
class Item:
    """One numbered request (RFI) or finding (CAP) and the agency's answer."""

    id: str
    request: str | None = None
    citation: str | None = None
    answer: str | None = None
    exhibits: tuple[Exhibit, ...] = ()
    cause: str | None = None  # a CAP item's root cause
    correction: str | None = None
    owner: Person | None = None
    completed: date | None = None
    target: date | None = None
    sustain: str | None = None


@dataclass(frozen=True)
class Response:
    """One response folder: what the letter asked and how the agency answers it."""

    name: str
    folder: Path
    kind: str
    letter: Letter
    base: str | None
    items: tuple[Item, ...]
    sent: date | None = None  # the day the response went out: it is no longer open
    date: date | None = None  # the response's date: `respond`'s as-of date unless --as-of
    lines: dict[Path_, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def file(self) -> str:
        """The response file as messages name it, relative to the agency folder."""
        return f"{RESPONSES}/{self.name}/response.yaml"

    def location(self, path: Path_) -> str:
        probe = tuple(path)
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        return f"{self.file}:{line}" if line else self.file


class _Base(Schema):
    model: Any = None

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _mapping_only(self, data: Any, **kwargs: Any) -> Any:
        return {} if data is None else data

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.model(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class ExhibitField(fields.Field[Any]):
    """`uploads/x.pdf`, `{file: uploads/x.pdf}` or `{document: policy-manual, chapter: closure}`."""

    default_error_messages = {
        "invalid": "{input} is not an exhibit. Write an upload's path (uploads/x.pdf) or "
        "{{document: policy-manual, chapter: closure-transfer}}."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Exhibit:
        if isinstance(value, str) and value.strip():
            return Exhibit(file=value.strip())
        if isinstance(value, dict) and set(value) <= {"file", "document", "chapter"}:
            got = {k: str(v).strip() for k, v in value.items() if isinstance(v, str | int)}
            one = ("file" in got) != ("document" in got)  # an upload or a document, not both
            if len(got) == len(value) and one and ("chapter" not in got or "document" in got):
                return Exhibit(**got)
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise self.make_error("invalid", input=shown)


class PersonSchema(_Base):
    model = Person
    name, title, email, phone = text(), text(), text(), text()


class LetterSchema(_Base):
    model = Letter
    sender = text(data_key="from")
    reference = text(required=True)
    dated, received, due = date_field(), date_field(), date_field()
    file = text()


class ItemSchema(_Base):
    model = Item
    id = Text(required=True)
    request, citation, answer = text(), text(), text()
    exhibits = fields.List(ExhibitField(), load_default=list, allow_none=True)
    cause, correction, sustain = text(), text(), text()
    owner = fields.Nested(PersonSchema, load_default=None, allow_none=True, unknown=EXCLUDE)
    completed, target = date_field(), date_field()

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        data["exhibits"] = tuple(data.get("exhibits") or ())
        return Item(**data)


class ResponseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = Text(required=True, validate=Choice(list(KINDS)))
    letter = fields.Nested(LetterSchema, required=True, unknown=EXCLUDE)
    base = text()
    items = fields.List(fields.Nested(ItemSchema, unknown=EXCLUDE), required=True)
    sent = date_field()
    date = date_field()


KNOWN = {
    (): ("kind", "letter", "base", "items", "sent", "date"),
    ("letter",): ("from", "reference", "dated", "received", "file", "due"),
    ("items", 0): tuple(ItemSchema().fields) + ("owner",),
}


def response_folders(agency: Path) -> list[Path]:
    """Every response folder of an agency (`responses/*/response.yaml`), by name."""
    root = agency / RESPONSES
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "response.yaml").is_file())


def find_response(agency: Path, given: Path) -> Path:
    """The response folder `given` names: the folder, its response.yaml, or a name under
    DIR/responses/. Raises InputError naming the folders there are."""
    for candidate in (given, agency / RESPONSES / given, agency / given):
        if candidate.is_file() and candidate.name == "response.yaml":
            return candidate.parent
        if (candidate / "response.yaml").is_file():
            return candidate
    names = ", ".join(p.name for p in response_folders(agency)) or "none yet"
    raise InputError(
        f"{given}: no response.yaml there.",
        hint=f"Response folders of this agency ({RESPONSES}/NAME/response.yaml): {names}.",
    )


def load_response(agency: Path, folder: Path) -> tuple[Response | None, list[Finding]]:
    """A response folder's response.yaml: the Response (None when its shape is wrong) and the
    schema findings, each located by its line."""
    path = folder / "response.yaml"
    name = folder.name
    shown = f"{RESPONSES}/{name}/response.yaml"
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{shown}: larger than {MAX_BYTES // 2**20} MB; not a response file.")
    raw_bytes = path.read_bytes()
    try:
        text_ = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{shown}: not UTF-8 text (byte {raw_bytes[exc.start]:#04x} at offset {exc.start}).",
            hint="Save the file as UTF-8.",
        ) from None
    raw, lines = read_yaml(text_, shown)
    if not isinstance(raw, dict):
        raise InputError(
            f"{shown}:1: the file holds {type(raw).__name__}, not the fields of a response.",
            hint="See docs/responses.md for response.yaml's fields.",
        )
    stub = Response(name, folder, "", Letter(), None, (), lines=lines)
    findings = _unknown(raw, stub)
    try:
        loaded = ResponseSchema().load(raw)
    except ValidationError as err:
        return None, findings + _schema(err.messages, raw, stub)
    response = Response(
        name,
        folder,
        loaded["kind"],
        loaded["letter"],
        loaded.get("base"),
        tuple(loaded["items"]),
        loaded.get("sent"),
        loaded.get("date"),
        lines,
    )
    return response, findings


def _schema(messages: Any, raw: Any, stub: Response) -> list[Finding]:
    out = []
    for path, message in _flatten(messages, ()):
        if message == "Missing data for required field.":
            message = "is required but missing. Add it."
        elif message in ("Invalid input type.", "Not a valid list.", "Not a valid mapping type."):
            message = "has the wrong shape: expected " + (
                "a list here." if message == "Not a valid list." else "a group of fields here."
            )
        shown = _path(path)
        out.append(
            Finding(
                "schema-invalid",
                "error",
                f"{stub.file}: {shown}",
                f"{shown}: {message}",
                CITATION,
                stub.location(path),
            )
        )
    return out


def _flatten(messages: Any, path: Path_) -> list[tuple[Path_, str]]:
    if isinstance(messages, list):
        return [(path, str(m)) for m in messages if not isinstance(m, dict | list)] + [
            item for m in messages if isinstance(m, dict) for item in _flatten(m, path)
        ]
    out: list[tuple[Path_, str]] = []
    for key, value in messages.items():
        sub = path if key == "_schema" else (*path, "from" if key == "sender" else key)
        out += _flatten(value, sub)
    return out


def _path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "response"


def _unknown(raw: dict[str, Any], stub: Response) -> list[Finding]:
    """Fields a response file does not have: a warning with a guess (a typo loses an answer)."""
    out = []
    places: list[tuple[Path_, Any]] = [((), raw), (("letter",), raw.get("letter"))]
    items = raw.get("items")
    places += [(("items", i), it) for i, it in enumerate(items if isinstance(items, list) else [])]
    for path, value in places:
        if not isinstance(value, dict):
            continue
        known = KNOWN[path if path[:1] != ("items",) else ("items", 0)]
        for key in value:
            if key in known:
                continue
            guess = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            fix = f"Did you mean {guess[0]!r}?" if guess else f"Known fields: {', '.join(known)}."
            where = (*path, key)
            out.append(
                Finding(
                    "unknown-field",
                    "warning",
                    f"{stub.file}: {_path(where)}",
                    f"unknown field {key!r} is ignored. {fix}",
                    CITATION,
                    stub.location(where),
                )
            )
    return out
