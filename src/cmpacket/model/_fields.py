"""Marshmallow fields whose error messages quote the value the user typed and say how to fix it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import fields
from marshmallow.validate import OneOf


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class IsoDate(fields.Field[Any]):
    """A date typed bare in YAML (a `date`) or quoted (`'2024-03-01'`)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.make_error("invalid", input=_show(value))

    default_error_messages = {"invalid": "{input} is not a date. Use YYYY-MM-DD."}


class Text(fields.Field[Any]):
    """Text; numbers are accepted and kept as typed (a zip or FEIN written without quotes)."""

    default_error_messages = {"invalid": "{input} is not text. Write a single value, e.g. 'abc'."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid", input=_show(value))
        return str(value).strip()


class Whole(fields.Field[Any]):
    """A whole number (caseload, months, years)."""

    default_error_messages = {"invalid": "{input} is not a whole number. Write digits, e.g. 28."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=_show(value))
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise self.make_error("invalid", input=_show(value))


class Number(fields.Field[Any]):
    """A number (hours, FTE, percent)."""

    default_error_messages = {"invalid": "{input} is not a number. Write digits, e.g. 1.5."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=_show(value))
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise self.make_error("invalid", input=_show(value))


class Flag(fields.Field[Any]):
    """true/false (yes/no accepted from spreadsheets)."""

    default_error_messages = {"invalid": "{input} is not true or false. Write true or false."}
    _TRUE = {"true", "yes", "y", "1"}
    _FALSE = {"false", "no", "n", "0", ""}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in self._TRUE | self._FALSE:
            return value.strip().lower() in self._TRUE
        raise self.make_error("invalid", input=_show(value))


class TextList(fields.Field[Any]):
    """A list of text items; a single string is taken as a one-item list."""

    default_error_messages = {
        "invalid": "{input} is not a list of text. Write [a, b] or one item a line."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            return tuple(str(v).strip() for v in value)
        raise self.make_error("invalid", input=_show(value))


class NamedFiles(fields.Field[Any]):
    """A mapping of document key -> upload path, keys limited to `choices`."""

    default_error_messages = {
        "invalid": "{input} is not a list of documents and files. Write {{KEY: uploads/x.pdf}}.",
        "key": "{input} is not a document with a signature line. Use one of: {choices}.",
    }

    def __init__(self, choices: tuple[str, ...], **kw: Any) -> None:
        super().__init__(**kw)
        self.choices = choices

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.make_error("invalid", input=_show(value))
        out = {}
        for key, path in value.items():
            if key not in self.choices:
                raise self.make_error("key", input=_show(key), choices=", ".join(self.choices))
            if path is None or (isinstance(path, str) and not path.strip()):
                continue
            if not isinstance(path, str):
                raise self.make_error("invalid", input=_show(path))
            out[str(key)] = path.strip()
        return out


class Choice(OneOf):
    """OneOf whose message quotes the value and lists the choices."""

    def __init__(self, choices: list[str]) -> None:
        super().__init__(choices, error="{input} is not allowed. Use one of: {choices}.")

    def _format_error(self, value: Any) -> str:
        return self.error.format(
            input=_show(value), choices=", ".join(self.choices_text.split(", "))
        )


def text(**kw: Any) -> Text:
    if not kw.get("required"):
        kw.setdefault("load_default", None)
    kw.setdefault("allow_none", True)
    return Text(**kw)


def date_field(**kw: Any) -> IsoDate:
    return IsoDate(**{"load_default": None, "allow_none": True, **kw})
