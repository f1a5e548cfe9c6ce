"""Upload paths: relative to the agency folder and never allowed to leave it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class UploadRef:
    """A referenced upload: `path` is set only when it is safely inside the folder."""

    given: str
    path: Path | None
    problem: str = ""  # "outside" | "missing" | "unprintable" | ""


def resolve_upload(folder: Path, given: str, root: Path | None = None) -> UploadRef:
    """Resolve `given` against `folder`; refuse absolute paths, `..` and symlinks that escape, and
    a path holding a NUL or another control character (no file system names a file so; the
    operating system refuses a NUL outright). `root`: `folder.resolve()`, when the caller
    resolves many paths at once."""
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in given):
        return UploadRef(given, None, "unprintable")
    text = given.replace("\\", "/")
    pure = PurePosixPath(text)
    if pure.is_absolute() or ".." in pure.parts or (len(text) > 1 and text[1] == ":"):
        return UploadRef(given, None, "outside")
    root = root or folder.resolve()
    candidate = root / pure
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError):
        return UploadRef(given, None, "outside")
    if not real.is_relative_to(root):
        return UploadRef(given, None, "outside")
    try:
        found = real.is_file()
    except OSError:  # a name too long for the file system (ENAMETOOLONG), a loop, no access
        found = False
    if not found:
        return UploadRef(given, None, "missing")
    return UploadRef(given, real)
