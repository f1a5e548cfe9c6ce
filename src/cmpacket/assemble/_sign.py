"""Digital signatures (SPEC §18): the authorized official's PKCS#12 certificate read and checked
before anything is built, and each finished PDF signed after assembly with a PAdES baseline
certification signature (pyHanko) that still allows form filling and further signatures
(DocMDP 2), so the Department can countersign.

The password is handed in by the caller and used once, to open the file: it is never stored,
logged, or put in a message. pyHanko and cryptography are imported only when a packet is signed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cmpacket.errors import CertificateError

FIELD_NAME = "AuthorizedOfficialSignature"
FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
#: The visible signature's size on the signature line, in points (the line is drawn this tall).
BOX_WIDTH, BOX_HEIGHT = 216.0, 46.0


@dataclass(frozen=True)
class SigningKey:
    """The signer's certificate and key, checked, ready for pyHanko; `sha256` is the
    certificate's (DER) hash, `subject` its common name or full subject."""

    subject: str
    sha256: str
    not_after: datetime
    signer: Any = field(repr=False)  # a pyhanko SimpleSigner (holds the private key)


@dataclass(frozen=True)
class Signature:
    """Who signs, when, and what the visible signature says."""

    key: SigningKey
    name: str
    title: str
    at: datetime  # the signing time written in the signature (SPEC §18: the as-of date at noon)
    location: str = ""
    reason: str = ""

    def manifest(self) -> dict[str, Any]:
        """The manifest's `signature`: what a reviewer should find in the file."""
        return {
            "method": "digital",
            "signer": self.name,
            "title": self.title,
            "certificate_subject": self.key.subject,
            "certificate_sha256": self.key.sha256,
            "signing_time": self.at.isoformat(),
            "docmdp": 2,
        }


def signing_time(day: date) -> datetime:
    """Noon in Illinois (Central time) on `day`: the signing time SPEC §18 asks for."""
    try:
        zone: Any = ZoneInfo("America/Chicago")
    except ZoneInfoNotFoundError:  # a system without time zone data: Central Standard Time
        from datetime import timedelta, timezone

        zone = timezone(timedelta(hours=-6), "CST")
    return datetime.combine(day, time(12, 0), tzinfo=zone)


def load_signing_key(
    path: Path, password: str, *, at: datetime, display: str, now: datetime | None = None
) -> SigningKey:
    """Open a PKCS#12 file (.p12/.pfx) and check it can sign at `at` (and still can today):
    a private key, a certificate valid at both times, a key usage that allows signing.
    Raises CertificateError (exit 2) saying what is wrong; the password never appears in it."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise CertificateError(
            f"{display}: cannot read the certificate ({exc.strerror or exc}).",
            hint="Give the PKCS#12 file (.p12 or .pfx) of the authorized official.",
        ) from None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(blob, password.encode("utf-8"))
    except (ValueError, TypeError):
        raise CertificateError(
            f"{display}: the certificate cannot be opened: the password is wrong, or the file "
            f"is not a PKCS#12 certificate (.p12 or .pfx).",
            hint="Set CMPACKET_SIGN_PASSWORD to the file's password (or type it at the prompt).",
        ) from None
    if key is None:
        raise CertificateError(
            f"{display}: the file holds "
            + ("the certificate" if cert is not None or extra else "nothing")
            + " but not its private key, so it cannot sign.",
            hint="Export the certificate with its private key (PKCS#12, .p12 or .pfx).",
        )
    if cert is None:
        raise CertificateError(f"{display}: the file holds a private key but no certificate.")
    subject = _subject(cert)
    now = now or datetime.now(UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    for moment, what in ((at, "the signing time"), (now, "today")):
        if moment < start:
            raise CertificateError(
                f"{display}: the certificate of {subject} is not yet valid at {what} "
                f"({moment.date()}): it is valid from {start.date()} to {end.date()}.",
                hint="Use a certificate valid on the signing date (signatures.date, else the "
                "as-of date).",
            )
        if moment > end:
            raise CertificateError(
                f"{display}: the certificate of {subject} expired on {end.date()}; it cannot "
                f"sign at {what} ({moment.date()}).",
                hint="Renew the certificate and give the new file.",
            )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise CertificateError(
            f"{display}: the certificate of {subject} is not for signing: its key usage allows "
            f"neither digital signatures nor non-repudiation.",
            hint="Use a document-signing certificate (key usage digitalSignature).",
        )
    return SigningKey(subject, _cert_sha256(cert), end, _signer(key, cert, extra or []))


def _subject(cert: Any) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _cert_sha256(cert: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _signer(key: Any, cert: Any, extra: list[Any]) -> Any:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    certs = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in [cert, *extra]]

    class Deterministic(signers.SimpleSigner):
        """ECDSA with RFC 6979 nonces: the same packet signed again is the same bytes, as with
        an RSA key (pyHanko's own ECDSA draws a random nonce each time). It verifies as any
        ECDSA signature does."""

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            digests: dict[str, hashes.HashAlgorithm] = {
                "sha256": hashes.SHA256(),
                "sha384": hashes.SHA384(),
                "sha512": hashes.SHA512(),
            }
            digest = digests.get(digest_algorithm)
            if (
                mechanism.signature_algo != "ecdsa"
                or digest is None
                or not isinstance(key, ec.EllipticCurvePrivateKey)
            ):
                return bytes(super().sign_raw(data, digest_algorithm))
            return bytes(key.sign(data, ec.ECDSA(digest, deterministic_signing=True)))

    return Deterministic(
        signing_cert=certs[0],
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(certs),  # type: ignore[no-untyped-call]
    )


def sign_pdf(
    source: Path,
    target: Path,
    signature: Signature,
    place: tuple[int, tuple[float, float, float, float]] | None,
) -> str:
    """Sign `source` into `target` (an incremental update: the unsigned bytes stay the file's
    first bytes). `place`: (0-based page, box) of the visible signature; None signs invisibly.
    Returns the unsigned bytes' sha256."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,  # ETSI.CAdES.detached: PAdES baseline B-B
        certify=True,
        docmdp_permissions=MDPPerm.FILL_FORMS,  # DocMDP 2: form filling and signing
        name=signature.name,
        reason=signature.reason or None,
        location=signature.location or None,
    )
    if place is None:
        spec = fields.SigFieldSpec(sig_field_name=FIELD_NAME)
    else:
        page, box = place
        spec = fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=page, box=_ints(box))
    params = {
        "signer": signature.name,
        "title": signature.title,
        "date": f"{signature.at:%B} {signature.at.day}, {signature.at.year}",
    }
    style = _style(" ".join(params.values()))
    pdf_signer = _at_time(
        meta, signature.key.signer, stamp_style=style, new_field_spec=spec, at=signature.at
    )
    from pyhanko.pdf_utils.metadata.model import DocumentMetadata

    at = signature.at

    class AtSigningTime(DocumentMetadata):
        """pyHanko sets the update's modification time to "now" (read from the clock when the
        Info dictionary and the XMP `ModifyDate` are written): the signing time instead."""

        def __setattr__(self, name: str, value: Any) -> None:
            if name == "last_modified" and value == "now":
                value = at
            super().__setattr__(name, value)

    class Writer(IncrementalPdfFileWriter):
        """The update's ModDate and XMP ModifyDate are the signing time, never the clock's."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._meta = AtSigningTime(**vars(self._meta))

    with source.open("rb") as fh, target.open("wb") as out:
        writer = Writer(fh, strict=False)
        unsigned = _stable_id(writer, source, at)
        pdf_signer.sign_pdf(writer, appearance_text_params=params, output=out)
    return unsigned


def _stable_id(writer: Any, source: Path, at: datetime) -> str:
    """The trailer's second file ID from the unsigned bytes and the signing time, not from
    os.urandom as pyHanko draws it: the same inputs sign to the same bytes (the first ID, the
    unsigned file's, stays as ISO 32000 14.4 requires). Returns the unsigned bytes' sha256,
    read on the way."""
    from pyhanko.pdf_utils import generic

    h = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    unsigned = h.hexdigest()
    h.update(at.isoformat().encode())
    first = writer._document_id[0]  # pyHanko keeps the unsigned file's first ID here
    writer._document_id = generic.ArrayObject([first, generic.ByteStringObject(h.digest()[:16])])
    return unsigned


def _ints(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return round(x1), round(y1), round(x2), round(y2)


def _style(words: str) -> Any:
    """The visible signature: a thin frame around three lines (who, title, date), in the
    standard Courier font; names outside Latin-1 in the packet's bundled DejaVu Sans."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    try:
        words.encode("latin-1")
        box = TextBoxStyle(font_size=9)
    except UnicodeEncodeError:
        box = TextBoxStyle(font=GlyphAccumulatorFactory(str(FONT)), font_size=9)
    return TextStampStyle(
        stamp_text="Digitally signed by %(signer)s\n%(title)s\nDate: %(date)s",
        text_box_style=box,
        border_width=1,
        background=None,
    )


def _at_time(meta: Any, signer: Any, *, at: datetime, **kwargs: Any) -> Any:
    """A pyHanko PdfSigner whose signing time is given, not read from the clock (reproducible
    signatures: SPEC §18)."""
    from pyhanko.sign import signers

    class AtTime(signers.PdfSigner):
        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = at  # pyHanko reads the clock here otherwise
            return session

    return AtTime(meta, signer, **kwargs)


def _follows(text: str, at: int, agency: str) -> bool:
    """True when the agency's name starts at `at` (lines may wrap inside it)."""
    want = " ".join(agency.split())
    return " ".join(text[at : at + len(agency) + 40].split()).startswith(want)


def signature_place(
    path: Path, pages: range, name: str, title: str, agency: str
) -> tuple[int, tuple[float, float, float, float]] | None:
    """Where the visible signature goes: on the signature line of the letter, found on `pages`
    (0-based) as the signer's name with the line `<title>, <agency>` under it (the signature
    block of `_signature.html.j2`); the box sits on the line, above the name. None when the
    block is not found (a template override without it): the signature is then invisible."""
    import pypdfium2 as pdfium

    if not name:
        return None
    pattern = re.compile(
        re.escape(name) + r"\s*\r?\n\s*" + re.escape(title) + (r",\s*" if title else "")
    )
    doc = pdfium.PdfDocument(str(path))
    try:
        for index in pages:
            if index >= len(doc):
                break
            page = doc[index]
            text_page = page.get_textpage()
            text = text_page.get_text_range()
            found = [m for m in pattern.finditer(text) if _follows(text, m.end(), agency)]
            if not found:
                continue
            left, _, _, top = text_page.get_charbox(found[-1].start())
            width = page.get_width()
            x2 = min(left + BOX_WIDTH, width - 18)
            return index, (left, top + 4, x2, top + 4 + BOX_HEIGHT)
    finally:
        doc.close()
    return None
