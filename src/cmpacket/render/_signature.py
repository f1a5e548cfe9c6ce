"""What a signature line shows (SPEC §15, §18): the signer, the date and the statement under it."""

from __future__ import annotations

from datetime import date
from typing import Any

from cmpacket.model import AgencyData
from cmpacket.templates import long_date


def signature_context(data: AgencyData, as_of: date | None = None) -> dict[str, Any]:
    """What every signature line shows: `signed` only for a complete electronic or digital
    signature.

    Unsigned and wet-ink documents get blank lines (wet-ink: the generated copy is the one to
    print and sign; the signed scan replaces it in the packet). A digital signature (SPEC §18)
    leaves the line blank for the visible signature the signing step puts on it, dated the
    signing day (`signatures.date`, else the as-of date).
    """
    sig = data.signatures
    signer = sig.signer if sig and sig.signer and sig.signer.name else None
    signer = signer or data.agency.authorized_official
    digital = bool(sig and sig.method == "digital" and signer.name and signer.title)
    day = (sig.date or as_of) if digital and sig else (sig.date if sig else None)
    signed = digital or bool(
        sig and sig.method == "electronic" and signer.name and signer.title and sig.date
    )
    return {
        "method": sig.method if sig else None,
        "signed": signed,
        "digital": digital,
        "name": signer.name or "",
        "title": signer.title or "",
        "date": day if signed else None,
        "statement": signature_statement(signer.name or "", signer.title or "", day, digital)
        if signed and day
        else "",
    }


def signature_statement(name: str, title: str, day: date, digital: bool) -> str:
    """The one-line statement under a signed signature line."""
    if digital:
        return (
            f"Signed digitally: {name}, {title}, signed this PDF file on {long_date(day)} with "
            f"a certificate-based digital signature, shown on the line above; a PDF reader "
            f"shows who signed and whether the file changed since."
        )
    return (
        f"Signed electronically: {name}, {title}, adopted the typed signature "
        f"\u201c/s/ {name}\u201d as their signature on {long_date(day)}."
    )
