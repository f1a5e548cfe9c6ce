"""The result of verifying a packet, and what every check shares: how an error of a damaged
PDF is told and how many findings of one kind are listed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pikepdf

from cmpacket.findings import Finding

PER_CODE = 50  # whatever a hostile manifest claims, at most this many findings of one code
SHOWN = 20  # findings of one kind listed one by one; the rest are counted
# What reading a damaged or hostile PDF can raise from pikepdf (qpdf errors, wrong object types).
PDF_ERRORS = (pikepdf.PdfError, AttributeError, TypeError, ValueError, KeyError, IndexError)


QPDF_SOURCE = re.compile(r"^(?:stream )?<_io\.\w+ object at 0x[0-9a-f]+>:? ?|^[^:]*\.pdf:? ?", re.I)


def first_line(exc: BaseException) -> str:
    """The first line of an error, without qpdf's name for the file (a path or `stream <...>`)."""
    line = (str(exc).splitlines() or [type(exc).__name__])[0]
    return QPDF_SOURCE.sub("", line)[:160] or type(exc).__name__


@dataclass
class VerifyResult:
    """Every failed check as an error finding; `ok` when there are none."""

    findings: list[Finding] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    pages: int = 0
    part: dict[str, Any] | None = None  # the manifest's entry for this file, when it is a part
    _counts: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def summary(self) -> str:
        if self.ok:
            return f"verified: {self.pages} pages, every check passed"
        return f"FAILED: {len(self.findings)} problem(s) in {self.pages} pages"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pages": self.pages,
            "counts": {"error": len(self.findings), "warning": 0, "info": 0},
            "findings": [f.as_dict() for f in self.findings],
        }

    def fail(self, code: str, path: str, message: str, location: str = "") -> None:
        """Record a failed check; past PER_CODE findings of one code, only count them."""
        seen = self._counts.get(code, 0) + 1
        self._counts[code] = seen
        if seen <= PER_CODE:
            self.findings.append(
                Finding(code, "error", path, message, "see docs/reviewers.md", location)
            )

    def close(self) -> None:
        """Add one finding per code that had more findings than were listed."""
        for code, seen in sorted(self._counts.items()):
            if seen > PER_CODE:
                self.findings.append(
                    Finding(
                        code,
                        "error",
                        "packet",
                        f"{seen - PER_CODE} more like the above.",
                        "see docs/reviewers.md",
                    )
                )
        self._counts.clear()
