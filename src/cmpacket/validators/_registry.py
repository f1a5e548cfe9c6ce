"""The rule registry: each finding code maps to one small function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket.findings import Finding
from cmpacket.intake import UploadFacts
from cmpacket.model import AgencyData
from cmpacket.profiles import Profile, RuleSpec


@dataclass
class Context:
    """What every rule may read: the data, the as-of date, the profile, what intake found in each
    upload, the limits in force and the template roots; `cache` holds work rules share."""

    data: AgencyData
    as_of: date
    profile: Profile
    uploads: dict[Path, UploadFacts] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    template_roots: list[Path] = field(default_factory=list)
    uses: list[Any] | None = None  # every upload reference (computed on first use when None)
    ocr: str = "auto"  # --ocr: whether pages without text will get a text layer
    cache: dict[str, Any] = field(default_factory=dict)


RuleFn = Callable[[Context, RuleSpec], Iterable[Finding]]
RULES: dict[str, RuleFn] = {}


def rule(code: str) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULES[code] = fn
        return fn

    return register


# Codes raised outside the rule functions (the loader); listed so profiles may name them.
RULES["schema-invalid"] = lambda ctx, spec: ()
RULES["unknown-field"] = lambda ctx, spec: ()
