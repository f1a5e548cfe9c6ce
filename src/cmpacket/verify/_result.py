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
    signatures: list[dict[str, Any]] = field(default_factory=list)  # who signed, per signature
    _counts: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """No error finding (a warning, e.g. `signature-untrusted`, does not fail the check)."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def summary(self) -> str:
        signed = f", signed by {self._signers()}" if self.signatures else ""
        warnings = sum(f.severity == "warning" for f in self.findings)
        if self.ok:
            more = f" ({warnings} warning(s))" if warnings else ""
            return f"verified: {self.pages} pages{signed}, every check passed{more}"
        errors = len(self.findings) - warnings
        return f"FAILED: {errors} problem(s) in {self.pages} pages{signed}"

    def _signers(self) -> str:
        return ", ".join(dict.fromkeys(str(s["signer"]) for s in self.signatures))

    def as_dict(self) -> dict[str, Any]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        out = {
            "ok": self.ok,
            "pages": self.pages,
            "counts": counts,
            "findings": [f.as_dict() for f in self.findings],
        }
        if self.signatures:
            out["signatures"] = self.signatures
        return out

    def fail(
        self, code: str, path: str, message: str, location: str = "", severity: str = "error"
    ) -> None:
        """Record a failed check; past PER_CODE findings of one code, only count them."""
        seen = self._counts.get(code, 0) + 1
        self._counts[code] = seen
        if seen <= PER_CODE:
            self.findings.append(
                Finding(code, severity, path, message, "see docs/reviewers.md", location)
            )

    def warn(self, code: str, path: str, message: str) -> None:
        """Record a warning: reported, but the packet still passes."""
        self.fail(code, path, message, severity="warning")

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
