"""`cmpacket serve`: a live preview of an agency's draft packet for template authors.

Needs the `serve` extra (`pip install "cmpacket[serve]"`); `run` says so when it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmpacket.errors import UsageError

__all__ = ["run"]

EXTRA = ("starlette", "uvicorn", "watchfiles", "pypdfium2", "PIL")


def run(folder: Path, **options: Any) -> None:
    """Serve the live preview of `folder` until Ctrl-C (raised as KeyboardInterrupt)."""
    import importlib.util

    missing = [name for name in EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"cmpacket serve needs {', '.join(missing)}, which is not installed.",
            hint="Install the serve extra: pip install 'cmpacket[serve]'.",
        )
    from cmpacket.serve._server import Preview

    Preview(folder, **options).run()
