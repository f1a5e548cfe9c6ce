"""A content-addressed cache of rendered pieces and sanitized uploads.

Keys are sha256 digests over everything a result depends on (the tool version, the template
files, the data the piece reads, the profile parameters, the input file's bytes), so an entry can
never be stale: changed inputs simply produce a different key. Each entry stores a sha256 of its
payload; a corrupted or truncated entry is detected on read, deleted and rebuilt. Entries are
written to a temporary file and renamed into place, so concurrent builds never see half an entry.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from cmpacket import __version__

MAGIC = b"cmpacket-cache-1\n"
_SERIAL = itertools.count()  # temporary names: unique within a process
# Code that never shapes a build's output (the command line, the preview's server and pages):
# editing it must not throw the cache away.
OUTSIDE_OUTPUTS = ("cli", "serve", "__pycache__")


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cmpacket"


@functools.cache
def tool_version() -> str:
    """The version plus a hash of cmpacket's own code and data, so a changed checkout never
    reuses results made by different code."""
    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent  # the whole cmpacket package
    for path in sorted(package.rglob("*")):
        if path.relative_to(package).parts[0] in OUTSIDE_OUTPUTS:
            continue
        if path.is_file() and path.suffix in (".py", ".yaml", ".j2", ".css", ".docx", ".ttf"):
            h.update(path.relative_to(package).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def file_sha256(source: bytes | Path) -> str:
    """The sha256 of bytes, or of a file read in chunks."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    h = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def digest(*parts: bytes | str) -> str:
    """A key over the parts (length-prefixed so ('ab','c') != ('a','bc')) and the tool version."""
    h = hashlib.sha256(tool_version().encode())
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        h.update(len(raw).to_bytes(8, "big"))
        h.update(raw)
    return h.hexdigest()


class Cache:
    """get/put bytes by key; a disabled cache (root None) stores nothing."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.hits = 0
        self.missed: list[str] = []  # labels of what had to be made afresh, in order
        self._folders: set[Path] = set()  # entry folders known to exist

    @staticmethod
    def key(*parts: bytes | str) -> str:
        """A key over the parts and the tool version (see `digest`)."""
        return digest(*parts)

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / key

    def get(self, key: str, label: str = "") -> bytes | None:
        payload = self._read(key)
        self._count(payload is not None, key, label)
        return payload

    def _count(self, hit: bool, key: str, label: str) -> None:
        if hit:
            self.hits += 1
        else:
            self.missed.append(label or key[:12])

    def _read(self, key: str) -> bytes | None:
        if self.root is None:
            return None
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head = len(MAGIC) + 64 + 1
        payload = raw[head:]
        if (
            raw[: len(MAGIC)] != MAGIC
            or raw[len(MAGIC) : head - 1].decode("ascii", "replace")
            != hashlib.sha256(payload).hexdigest()
        ):
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return payload

    def get_file(self, key: str, dest: Path, label: str = "") -> bool:
        """Copy an entry's payload to `dest` without holding it in memory; False on a miss."""
        ok = False
        if self.root is not None:
            path = self._path(key)
            head = len(MAGIC) + 64 + 1
            try:
                with path.open("rb") as src, dest.open("wb") as out:
                    header = src.read(head)
                    h = hashlib.sha256()
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        h.update(chunk)
                        out.write(chunk)
                ok = (
                    header[: len(MAGIC)] == MAGIC
                    and header[len(MAGIC) : head - 1] == h.hexdigest().encode()
                )
            except OSError:
                ok = False
            if not ok:
                with contextlib.suppress(OSError):
                    if path.exists():
                        path.unlink()
        self._count(ok, key, label)
        return ok

    def size(self, key: str) -> int:
        """The payload size of an entry in bytes (0 when absent), without reading it."""
        if self.root is None:
            return 0
        try:
            return max(0, self._path(key).stat().st_size - len(MAGIC) - 65)
        except OSError:
            return 0

    def put_file(self, key: str, source: Path) -> None:
        """Store a file's bytes as an entry, streaming (two reads: hash, then copy)."""
        if self.root is None:
            return
        h = hashlib.sha256()
        with source.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)

        def write(fd: int) -> None:
            with os.fdopen(fd, "wb") as out, source.open("rb") as fh:
                out.write(MAGIC + h.hexdigest().encode() + b"\n")
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    out.write(chunk)

        self._store(key, write)

    def put(self, key: str, payload: bytes) -> None:
        if self.root is None:
            return

        def write(fd: int) -> None:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)

        self._store(key, write)

    def _store(self, key: str, write: Callable[[int], None]) -> None:
        """Write an entry through a temporary file renamed into place. The temporary name is this
        process's and a counter (a build writes thousands of entries: `tempfile.mkstemp`'s random
        names cost twice the time); O_EXCL still refuses a name another host's process holds."""
        path = self._path(key)
        folder = path.parent
        tmp = folder / f".tmp-{os.getpid()}-{next(_SERIAL)}"
        try:
            if folder not in self._folders:
                folder.mkdir(parents=True, exist_ok=True)
                self._folders.add(folder)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                fd, name = tempfile.mkstemp(prefix=".tmp-", dir=folder)
                tmp = Path(name)
            write(fd)
            os.replace(tmp, path)
        except OSError:
            # A cache that cannot be written (read-only home, full disk) only costs speed.
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            self._folders.discard(folder)  # removed under us, perhaps: made again next time
