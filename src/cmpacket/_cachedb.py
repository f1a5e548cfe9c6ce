"""The cache's SQLite database, opened beside other processes' builds and across forks.

Many processes share one cache: concurrent builds, a build's forked workers, the preview's
rebuilds. SQLite keeps them consistent only while each process holds the locks it believes it
holds, and two things break that belief: opening and closing the database's file outside SQLite
(POSIX locks belong to a process, not a descriptor, so the close cancels every connection's
locks on the file), and forking with a connection open (the child inherits SQLite's record of
the locks and does not take them again). The first is never done here; the second is the
caller's (`cmpacket.cache` closes its connections before the process forks).
"""

from __future__ import annotations

import collections
import contextlib
import os
import sqlite3
import time
from pathlib import Path

DATABASE = "entries.sqlite3"
LOCK_WAIT = 30.0  # seconds a connection waits for another process's lock
OPEN_TRIES = 4  # a database another build has locked is tried again (0.05, 0.1, 0.2 s apart)
# What SQLite says of a file that is no database or a damaged one. The file is put aside only
# then, and only when it does not start as an SQLite database does: "locked" and "busy" are
# DatabaseErrors too, and under many processes SQLite has said "not a database" of a healthy
# file. Putting the file aside drops every entry the builds sharing it are reading.
DAMAGED = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite's primary codes for another process's hold on the database, which passes: busy, locked,
# and the WAL's locking protocol (lost a race to recover the log). Only these are waited for;
# any other error (a read-only folder, a damaged file under a valid header) is a miss at once.
PASSING = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PROTOCOL)
# This process's open connections by database file (its device and inode: one file however
# its path is spelled)
_OPEN: collections.Counter[tuple[int, tuple[int, int]]] = collections.Counter()


def connect(root: Path) -> tuple[sqlite3.Connection, tuple[int, int]] | None:
    """A connection to the database in the cache folder `root` (made if missing) and the file's
    identity, to `release` it by; None when it cannot be had: a read-only folder, a damaged file,
    a database other builds hold locked past the waits. A file that does not start as a database
    is put aside as `entries.sqlite3.damaged` and a new one made."""
    path = root / DATABASE
    for attempt in range(OPEN_TRIES):
        db, key = None, None
        try:
            root.mkdir(parents=True, exist_ok=True)
            # private like every entry (sanitized uploads); its journal files inherit this.
            # Made only when missing, never opened here otherwise (see the module's note)
            if not path.exists():
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            st = path.stat()
            key = (os.getpid(), (st.st_dev, st.st_ino))
            _OPEN[key] += 1  # before connecting: another thread must not read it meanwhile
            db = sqlite3.connect(
                path, timeout=LOCK_WAIT, isolation_level=None, check_same_thread=False
            )
            # readers never wait for a writer. WAL is the file's own (persistent) mode, and
            # switching takes a lock SQLite does not wait for: switched once, by its maker
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a crash loses rows, never corrupts
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries"
                " (key TEXT PRIMARY KEY, stored BLOB NOT NULL) WITHOUT ROWID"
            )
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                db.close()
            if key is not None:
                _OPEN[key] -= 1
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code in DAMAGED and _not_sqlite(path):
                with contextlib.suppress(OSError):
                    os.replace(path, path.with_name(f"{DATABASE}.damaged"))
                continue
            again = code in PASSING or (code in DAMAGED and attempt == 0)
            if again and attempt < OPEN_TRIES - 1:
                time.sleep(0.05 * 2**attempt)  # another build's, or caught mid-change: again
                continue
            return None
        return db, key[1]
    return None


def release(db: sqlite3.Connection, identity: tuple[int, int], pid: int) -> None:
    """Close a connection `connect` gave (in process `pid`; another's is only forgotten)."""
    if pid == os.getpid():
        with contextlib.suppress(sqlite3.Error):
            db.close()
        _OPEN[(pid, identity)] -= 1


def _not_sqlite(path: Path) -> bool:
    """Whether the file surely is no SQLite database: it does not start as one. Read only when
    this process has no connection to it open (closing the file would cancel that connection's
    locks); an empty file, or one that cannot be read or checked, is not taken for damage."""
    try:
        st = path.stat()
    except OSError:
        return False
    if _OPEN[(os.getpid(), (st.st_dev, st.st_ino))] > 0:
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError:
        return False
    return not SQLITE_HEADER.startswith(head)
