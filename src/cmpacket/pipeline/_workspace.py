"""Where one build works: the folders, the options, the cache, the workers, progress and the
temporary work folder."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket.cache import Cache
from cmpacket.interrupt import checkpoint
from cmpacket.pipeline._progress import Progress
from cmpacket.workers import Pool


@dataclass(frozen=True)
class Options:
    """`cmpacket build`'s options (see its --help)."""

    as_of: str | date | None = None
    strict: bool = False
    draft: bool = False
    profile: str | None = None
    template_dirs: tuple[Path, ...] = ()
    limits: dict[str, Any] = field(default_factory=dict)
    keep_temp: bool = False
    cache_dir: Path | None = None
    no_cache: bool = False
    receiver: str | None = None  # a built-in receiver's name or a receiver file
    ocr: str | None = None  # auto | always | never
    compress_scans: bool = False  # re-encode image-only upload pages as 200 dpi JPEG (lossy)
    quiet: bool = False  # no progress on stderr
    base: Path | None = None  # the packet (or its manifest.json) this one is the next sequence of
    certificate: Path | None = (
        None  # digital signing: the PKCS#12 file (else signatures.certificate)
    )
    # digital signing: returns the certificate's password (default: CMPACKET_SIGN_PASSWORD);
    # a function, so the password is asked for only when a packet is signed, and never stored
    sign_password: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    sign: bool = True  # False: never sign digitally (the live preview's drafts)

    def __post_init__(self) -> None:
        object.__setattr__(self, "template_dirs", tuple(self.template_dirs or ()))
        object.__setattr__(self, "limits", dict(self.limits or {}))


@dataclass(frozen=True)
class Workspace:
    """The environment of one build; the stages' results are passed along, not stored here."""

    folder: Path
    out: Path
    options: Options
    cache: Cache
    progress: Progress
    work: Path  # the temporary work folder, removed at the end unless --keep-temp
    pool: Pool  # the build's workers, started at the first step that needs them
    # paths as `display` shows them: asked for every upload's cache lookups (thousands)
    _shown: dict[Path, str] = field(default_factory=dict, repr=False, compare=False)

    def ticker(self, label: str) -> Callable[[int, int], None]:
        """A progress callback for a long loop that is also a safe point to stop at."""

        def tick(done: int, total: int) -> None:
            self.progress.update(label, done, total)
            checkpoint()

        return tick

    def note(self, text: str) -> None:
        """A remark on stderr that is not a finding (e.g. an OCR run that failed)."""
        if not self.progress.quiet:
            print(f"note: {text}", file=sys.stderr)

    def display(self, path: Path) -> str:
        """A path as the manifest and messages show it: relative to the agency folder."""
        shown = self._shown.get(path)
        if shown is None:
            resolved = path.resolve()
            if resolved.is_relative_to(self.folder):
                shown = resolved.relative_to(self.folder).as_posix()
            else:
                shown = str(path)
            self._shown[path] = shown
        return shown
