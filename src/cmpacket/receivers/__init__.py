"""Receivers: where a packet is sent and what that place accepts (file size, total size, page
size, searchable text), as YAML data like the requirement profiles.

Used from validation (fit findings before a build) to assembly (splitting into parts), so it sits
beside the stages as shared data rather than inside one of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cmpacket.errors import UsageError

BUILTIN = ("default", "il-efile")
PAGE_SIZES = {"letter": (612.0, 792.0), "legal": (612.0, 1008.0), "a4": (595.28, 841.89)}
SPLITS = ("parts", "none")
MB = 1_000_000  # portals state limits in decimal megabytes; the smaller reading is the safe one


@dataclass(frozen=True)
class Receiver:
    """A loaded receiver; `source` is the built-in name or the file it came from."""

    name: str
    title: str
    description: str
    source: str
    max_file_mb: float | None = None
    max_total_mb: float | None = None
    page_size: str | None = None
    text_searchable: bool = False
    split: str = "none"
    sources: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""

    @property
    def max_file_bytes(self) -> int | None:
        return int(self.max_file_mb * MB) if self.max_file_mb else None

    @property
    def max_total_bytes(self) -> int | None:
        return int(self.max_total_mb * MB) if self.max_total_mb else None

    @property
    def page_box(self) -> tuple[float, float] | None:
        """The largest page, in points (width, height), or None for any size."""
        return PAGE_SIZES[self.page_size] if self.page_size else None

    def cite(self, key: str) -> str:
        """The source of one of the receiver's numbers, for a finding's citation."""
        source = self.sources.get(key)
        if isinstance(source, dict) and source.get("citation"):
            return str(source["citation"])
        return f"receiver {self.name} ({self.source}); see docs/receivers.md"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "max_file_mb": self.max_file_mb,
            "max_total_mb": self.max_total_mb,
            "page_size": self.page_size,
            "text_searchable": self.text_searchable,
            "split": self.split,
            "sources": self.sources,
        }


def load_receiver(ref: str | None, base: Path | None = None) -> Receiver:
    """A built-in receiver by name, or a receiver file (relative to `base`)."""
    ref = ref or "default"
    if ref in BUILTIN:
        text = resources.files(__name__).joinpath(f"{ref}.yaml").read_text(encoding="utf-8")
        source = ref
    else:
        path = Path(ref) if base is None or Path(ref).is_absolute() else base / ref
        if not path.is_file():
            raise UsageError(
                f"--receiver {ref!r}: no built-in receiver of that name and no such file.",
                hint=f"Built-in receivers: {', '.join(BUILTIN)}; or give a path to a .yaml file "
                f"(see docs/receivers.md).",
            )
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{source}: not valid YAML ({str(exc).splitlines()[0]}).") from None
    return _parse(raw, source, hashlib.sha256(text.encode()).hexdigest())


def _parse(raw: Any, source: str, sha: str) -> Receiver:
    if not isinstance(raw, dict):
        raise UsageError(f"{source}: a receiver is a YAML mapping (see docs/receivers.md).")
    problems = []
    known = {f for f in Receiver.__dataclass_fields__ if f not in ("source", "sha256")}
    for key in sorted(set(raw) - known):
        problems.append(f"{key}: unknown field; fields are {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key in ("max_file_mb", "max_total_mb"):
        value = raw.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            problems.append(f"{key}: {value!r} is not a positive number of megabytes")
        values[key] = float(value) if isinstance(value, int | float) and value else None
    size = raw.get("page_size")
    if size is not None and size not in PAGE_SIZES:
        problems.append(f"page_size: {size!r} is not one of {', '.join(PAGE_SIZES)}")
    split = raw.get("split") or "none"
    if split not in SPLITS:
        problems.append(f"split: {split!r} is not one of {', '.join(SPLITS)}")
    if not isinstance(raw.get("text_searchable", False), bool):
        problems.append(f"text_searchable: {raw.get('text_searchable')!r} is not true or false")
    if problems:
        raise UsageError(f"{source}: " + "; ".join(problems) + ".")
    name = str(raw.get("name") or Path(source).stem)
    return Receiver(
        name=name,
        title=str(raw.get("title") or name),
        description=" ".join(str(raw.get("description") or "").split()),
        source=source,
        max_file_mb=values["max_file_mb"],
        max_total_mb=values["max_total_mb"],
        page_size=size,
        text_searchable=bool(raw.get("text_searchable", False)),
        split=split,
        sources=dict(raw.get("sources") or {}),
        sha256=sha,
    )


def size_text(n: float) -> str:
    """1234567 -> '1.2 MB'; 45678 -> '46 kB' (decimal units, as portals state their limits)."""
    return f"{n / MB:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"
