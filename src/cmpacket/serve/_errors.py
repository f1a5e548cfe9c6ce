"""Build failures as the page shows them: where (file, line), what, how to fix it, and the
source lines around the place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmpacket.errors import CmpacketError, NotReadyError, TemplateError
from cmpacket.templates import BUILTIN_ROOT

EXCERPT = 3  # source lines shown either side of the offending one


@dataclass
class Options:
    """What the server builds: the agency folder, where to, and the build options."""

    folder: Path
    out: Path
    template_dirs: tuple[Path, ...] = ()
    profile: str | None = None


_PLACE = re.compile(r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+):\s*(?P<rest>.*)$", re.S)


def describe_error(exc: Exception, options: Options) -> dict[str, Any]:
    """{"file", "line", "message", "hint", "kind", "excerpt"} for a failed build."""
    folder = options.folder.resolve()
    if isinstance(exc, TemplateError):
        disk = Path(exc.path) if exc.path else None
        shown = _shown(disk, folder) if disk else exc.file
        return _error("template", shown, exc.line, exc.detail, exc.hint, disk, options)
    if isinstance(exc, NotReadyError):
        report = exc.report
        first = next(
            (f for f in getattr(report, "findings", ()) if f.severity == "error"),
            None,
        )
        file, line = _split_location(first.location if first else "")
        disk = (folder / file) if file else None
        return _error("data", file, line, exc.message, exc.hint, disk, options)
    if isinstance(exc, CmpacketError):
        match = _PLACE.match(exc.message)
        if match:
            file, line, rest = match["file"], int(match["line"]), match["rest"]
            disk = Path(file) if Path(file).is_absolute() else folder / file
            return _error("input", _shown(disk, folder), line, rest, exc.hint, disk, options)
        return _error("build", None, None, exc.message, exc.hint, None, options)
    return _error(
        "internal",
        None,
        None,
        f"internal error: {type(exc).__name__}: {exc}",
        "Run `cmpacket build --draft --debug` on the folder for the traceback and report it.",
        None,
        options,
    )


def _split_location(location: str) -> tuple[str | None, int | None]:
    if not location:
        return None, None
    file, _, line = location.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return location, None


def _shown(path: Path, folder: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(folder).as_posix() if resolved.is_relative_to(folder) else str(path)


def _error(
    kind: str,
    file: str | None,
    line: int | None,
    message: str,
    hint: str,
    disk: Path | None,
    options: Options,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "file": file,
        "line": line,
        "message": message,
        "hint": hint,
        "excerpt": _excerpt(disk, line, options) if disk and line else [],
    }


def _excerpt(path: Path, line: int, options: Options) -> list[dict[str, Any]]:
    """Source lines around `line`, only from a file inside the agency folder or a template root."""

    roots = [options.folder, *options.template_dirs, BUILTIN_ROOT]
    real = path.resolve()
    if not any(real.is_relative_to(Path(r).resolve()) for r in roots) or not real.is_file():
        return []
    try:
        lines = real.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first, last = max(1, line - EXCERPT), min(len(lines), line + EXCERPT)
    return [{"n": n, "text": lines[n - 1], "here": n == line} for n in range(first, last + 1)]
