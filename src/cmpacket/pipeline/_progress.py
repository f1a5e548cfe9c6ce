"""Progress on stderr: named steps and a bar for long loops, silenced by --quiet."""

from __future__ import annotations

import sys

from cmpacket.interrupt import checkpoint


class Progress:
    """`step()` prints `Step 3/7 - Rendering 14 documents`; `update()` draws a bar on a terminal."""

    WIDTH = 30

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.current = 0

    def step(self, text: str) -> None:
        checkpoint()
        self.current += 1
        if not self.quiet:  # a run of one step (validate) is not counted
            counted = f"Step {self.current}/{self.total} - " if self.total > 1 else ""
            print(f"{counted}{text}", file=sys.stderr, flush=True)

    def update(self, label: str, done: int, total: int) -> None:
        """Redraw `label [#####     ] done/total` in place (terminals only; logs get steps)."""
        if self.quiet or total < 2 or not sys.stderr.isatty():
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + " " * (self.WIDTH - filled)
        end = "\n" if done >= total else ""
        print(f"\r  {label} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)
