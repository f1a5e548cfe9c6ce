"""Built-in job-description content for the standard position keys (data in positions.yaml)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from cmpacket.model._types import Position


@cache
def builtin_positions() -> dict[str, dict[str, Any]]:
    text = resources.files("cmpacket.model").joinpath("positions.yaml").read_text()
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return loaded


def position_content(p: Position) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(duties, qualifications): the agency's own lists, else the built-in defaults for its key."""
    default = builtin_positions().get(p.key, {})
    duties = p.duties or tuple(default.get("duties", ()))
    quals = p.qualifications or tuple(default.get("qualifications", ()))
    return duties, quals


def position_summary(p: Position) -> str:
    return p.summary or builtin_positions().get(p.key, {}).get("summary", "")
