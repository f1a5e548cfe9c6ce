"""The value types of a received manifest: exactly one JSON type each (no coercion: "12" is not
a number, true is not 1), with messages that say what was found and what was expected."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields

MAX_PAGE = 10_000_000  # a page number or count beyond this is absurd, whatever the packet
_HEX = re.compile(r"[0-9a-f]*")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def kind_of(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, float) else type(value).__name__)


class Typed(fields.Field[Any]):
    """A JSON value of exactly one type (no coercion: "12" is not a number, true is not 1)."""

    expected = ""
    default_error_messages = {"invalid": "{input} is {kind}; expected {expected}."}

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not self.accepts(value):
            raise self.make_error(
                "invalid", input=_show(value), kind=kind_of(value), expected=self.expected
            )
        return value


class Text(Typed):
    expected = "text"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)


class Hex(Typed):
    """A lower-case hex digest of a given length (sha256: 64, a page's short hash: 16)."""

    def __init__(self, length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.length = length
        self.expected = f"a {length}-character hex digest"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and len(value) == self.length and _is_hex(value)


def _is_hex(value: str) -> bool:
    return _HEX.fullmatch(value) is not None


class HexList(Typed):
    """A list of hex digests of one length, checked in one pass (a document's page hashes)."""

    def __init__(self, length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.length = length
        self.expected = f"a list of {length}-character hex digests"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(v, str) and len(v) == self.length and _is_hex(v) for v in value
        )


class Whole(Typed):
    def __init__(self, low: int = 0, high: int = MAX_PAGE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high
        self.expected = f"a whole number from {low:,} to {high:,}"

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )


class Flag(Typed):
    expected = "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


class Scalar(Typed):
    expected = "text, a number, true/false or null"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def accepts(self, value: Any) -> bool:
        return value is None or isinstance(value, str | int | float)


class TextMap(Typed):
    """An object whose values are text or null (converter names)."""

    expected = "an object of text values"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dict) and all(
            v is None or isinstance(v, str) for v in value.values()
        )


class Choice(Typed):
    """Text that is one of a few words."""

    def __init__(self, choices: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self.expected = "one of " + ", ".join(choices)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.choices


class PageRange(Typed):
    """[first, last] pages of a packet, or null."""

    expected = "[first page, last page] or null"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def accepts(self, value: Any) -> bool:
        return value is None or (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1] <= MAX_PAGE
        )


class CountMap(Typed):
    """An object whose values are counts (findings by severity)."""

    expected = "an object of whole numbers"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        )


def many(schema: type[Schema], **kwargs: Any) -> fields.List[Any]:
    return fields.List(fields.Nested(schema), **kwargs)


def texts(**kwargs: Any) -> fields.List[Any]:
    return fields.List(Text(), **kwargs)
