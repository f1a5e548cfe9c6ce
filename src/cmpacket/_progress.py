"""Progress on stderr: named steps and bars, silenced by --quiet."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Progress:
    """`step()` prints `Step 3/6 - Rendering 14 documents`; `bar()` wraps a long loop."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.current = 0

    def step(self, text: str) -> None:
        from cmpacket._interrupt import checkpoint

        checkpoint()
        self.current += 1
        if not self.quiet:
            print(f"Step {self.current}/{self.total} - {text}", file=sys.stderr, flush=True)

    def bar(self, items: Iterable[T], length: int, label: str) -> Iterator[T]:
        if self.quiet or length < 20 or not sys.stderr.isatty():
            yield from items
            return
        import click

        with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
            yield from bar
