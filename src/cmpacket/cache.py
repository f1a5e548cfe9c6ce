"""A content-addressed cache of rendered pieces and sanitized uploads.

Keys are sha256 digests over everything a result depends on (the tool version, the template
files, the data the piece reads, the profile parameters, the input file's bytes), so an entry can
never be stale: changed inputs simply produce a different key. Each entry stores a sha256 of its
payload; a corrupted or truncated entry is detected on read, deleted and rebuilt.

Small entries (up to `SMALL` bytes: an upload's facts, a proof's text and matches, most pages'
PDFs) are rows of one SQLite database in the cache folder, written in batches: a build makes
thousands of them, and creating a file each cost more than making most of them (about 0.7 ms a
file on a virtual machine's ext4; a 60-staff build wrote 1,400). Larger entries are files,
written to a temporary file and renamed into place, so concurrent builds never see half an entry;
the database's own locking does the same for its rows.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import sqlite3
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cmpacket import __version__
from cmpacket._cachedb import connect, release

MAGIC = b"cmpacket-cache-1\n"
_SERIAL = itertools.count()  # temporary names: unique within a process
SMALL = 256 * 1024  # entries up to this size are rows of the database, larger ones files
# Caches that opened a connection, closed before this process forks (see _before_fork)
_CONNECTED: weakref.WeakSet[Cache] = weakref.WeakSet()
BATCH = 1000  # rows written in one transaction (and at `flush`)
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
        self._pending: dict[str, bytes] = {}  # small entries not yet written (key -> stored)
        self._db: sqlite3.Connection | None = None
        self._db_pid = 0  # the process that opened it: a forked worker opens its own
        self._release: weakref.finalize[Any, Any] | None = None  # closes it (see _disconnect)

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Write what is pending and close the database."""
        self.flush()
        self._disconnect()

    def _disconnect(self) -> None:
        """Close this process's connection (the next use opens it again)."""
        if self._release is not None:
            self._release()  # once: also when the Cache is collected unclosed
        self._release = None
        self._db = None

    def flush(self) -> None:
        """Write the pending small entries (e.g. before workers read them)."""
        if not self._pending:
            return
        rows, self._pending = list(self._pending.items()), {}
        db = self._database()
        if db is None:
            return
        try:
            with db:  # one transaction
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", rows)
        except sqlite3.ProgrammingError:  # closed under us (another thread forked): next time
            self._pending = dict(rows) | self._pending
        except sqlite3.Error:
            pass  # a cache that cannot be written only costs speed

    def _database(self) -> sqlite3.Connection | None:
        """This process's connection to the cache's database, opened (and made) at first use;
        None when it cannot be (a read-only folder, a file that is not a database: then the
        damaged file is put aside and a new one made)."""
        if self.root is None:
            return None
        if self._db is not None and self._db_pid == os.getpid():
            return self._db
        got = connect(self.root)
        if got is None:
            return None
        self._db, self._db_pid = got[0], os.getpid()
        self._release = weakref.finalize(self, release, got[0], got[1], self._db_pid)
        _CONNECTED.add(self)
        return self._db

    def _row(self, key: str) -> bytes | None:
        if key in self._pending:
            return self._pending[key]
        db = self._database()
        if db is None:
            return None
        try:
            row = db.execute("SELECT stored FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return bytes(row[0]) if row is not None else None

    def _drop_row(self, key: str) -> None:
        self._pending.pop(key, None)
        db = self._database()
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.execute("DELETE FROM entries WHERE key = ?", (key,))

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

    def recall(self, key: str) -> bytes | None:
        """An entry of the build's own tools (the stamp font's subset): like `get`, but not
        counted in what a build reports as made or reused, which is about the packet's contents
        (a process that already holds the font looks nothing up)."""
        return self._read(key)

    def _count(self, hit: bool, key: str, label: str) -> None:
        if hit:
            self.hits += 1
        else:
            self.missed.append(label or key[:12])

    def _read(self, key: str) -> bytes | None:
        if self.root is None:
            return None
        row = self._row(key)
        if row is not None:
            payload = _checked(row)
            if payload is None:
                self._drop_row(key)
            return payload
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        payload = _checked(raw)
        if payload is None:
            with contextlib.suppress(OSError):
                path.unlink()
        return payload

    def get_file(self, key: str, dest: Path, label: str = "") -> bool:
        """Copy an entry's payload to `dest` without holding it in memory; False on a miss."""
        ok = False
        row = self._row(key) if self.root is not None else None
        if row is not None:
            payload = _checked(row)
            if payload is None:
                self._drop_row(key)
            else:
                dest.write_bytes(payload)
                ok = True
        elif self.root is not None:
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

    def fetch(self, key: str, dest: Path) -> bytes | Path | None:
        """An entry for reading: a small one's payload, a large one copied to `dest` (streamed,
        never whole in memory) and `dest` returned; None on a miss. Counted like `get`."""
        row = self._row(key) if self.root is not None else None
        if row is None:
            return dest if self.get_file(key, dest) else None
        payload = _checked(row)
        if payload is None:
            self._drop_row(key)
        self._count(payload is not None, key, "")
        return payload

    def size(self, key: str) -> int:
        """The payload size of an entry in bytes (0 when absent), without reading it."""
        if self.root is None:
            return 0
        row = self._row(key)
        if row is not None:
            return max(0, len(row) - len(MAGIC) - 65)
        try:
            return max(0, self._path(key).stat().st_size - len(MAGIC) - 65)
        except OSError:
            return 0

    def put_file(self, key: str, source: Path) -> None:
        """Store a file's bytes as an entry, streaming (two reads: hash, then copy); a small
        file is a row of the database, as `put` stores it."""
        if self.root is None:
            return
        with contextlib.suppress(OSError):
            if source.stat().st_size <= SMALL:
                self.put(key, source.read_bytes())
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
        stored = MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
        if len(payload) <= SMALL:
            self._pending[key] = stored
            if len(self._pending) >= BATCH:
                self.flush()
            return

        def write(fd: int) -> None:
            with os.fdopen(fd, "wb") as fh:
                fh.write(stored)

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


def _before_fork() -> None:
    """Every connection of this process closed before it forks (the build's workers): SQLite's
    record of the files it has open and locked is copied into the child, whose own connections
    to the same database then take locks it does not hold; another process checkpointed under
    such a worker's reads, which found "file is not a database". Each reopens on next use."""
    for cache in list(_CONNECTED):
        cache._disconnect()
    _CONNECTED.clear()


os.register_at_fork(before=_before_fork)


@functools.cache
def shared(root: Path | None) -> Cache:
    """The cache as a worker process reads it: one per folder and process (a database connection
    of its own; pending entries are the forking process's to flush first)."""
    return Cache(root)


def _checked(stored: bytes) -> bytes | None:
    """An entry's payload, or None when it does not match the sha256 stored with it."""
    head = len(MAGIC) + 64 + 1
    payload = stored[head:]
    if (
        stored[: len(MAGIC)] != MAGIC
        or stored[len(MAGIC) : head - 1].decode("ascii", "replace")
        != hashlib.sha256(payload).hexdigest()
    ):
        return None
    return payload
