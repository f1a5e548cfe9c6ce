"""The digital signatures of a packet file (SPEC §18): each one intact, covering the whole file
but its own contents (nothing appended after it but later signatures), who signed, and whether
the signer's certificate chains to a trust root the reviewer gives (`--trust FILE`).

Findings: `signature-invalid` (error: the signed bytes changed, the signature does not match,
or the manifest says the file was signed and it carries no signature), `signature-not-covering`
(error: something was appended after the last signature, or changed beyond what the
certification allows), `signature-untrusted` (warning: no trust root given, or the chain does
not reach one). Nothing is fetched: no revocation lookups, no network.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cmpacket.errors import UsageError
from cmpacket.verify._result import VerifyResult, first_line

SIGNATURE_MARK = b"/ByteRange"  # every PDF signature dictionary has one (PDF 32000 12.8.1)


def load_trust(paths: list[Path] | tuple[Path, ...]) -> list[Any]:
    """The trust roots in PEM or DER certificate files, as asn1crypto certificates; a file that
    holds no certificate is a usage error (exit 2)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    roots = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"--trust {path}: cannot read it ({exc.strerror or exc}).") from None
        try:
            if b"-----BEGIN" in data:
                certs = x509.load_pem_x509_certificates(data)
            else:
                certs = [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise UsageError(
                f"--trust {path}: not a certificate file.",
                hint="Give the trust root's certificate as PEM (.pem, .crt) or DER (.cer).",
            ) from None
        roots += [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certs]
    return roots


def is_signed(data: bytes | Path) -> bool:
    """Whether the file may hold a signature (a cheap scan for /ByteRange)."""
    if isinstance(data, bytes):
        return SIGNATURE_MARK in data
    with data.open("rb") as fh:
        tail = b""
        while chunk := fh.read(1 << 20):
            if SIGNATURE_MARK in tail + chunk:
                return True
            tail = chunk[-len(SIGNATURE_MARK) :]
    return False


@contextmanager
def _quiet() -> Iterator[None]:
    """pyHanko logs what it reports in its results (e.g. an untrusted chain): not twice."""
    log = logging.getLogger("pyhanko")
    level, propagate = log.level, log.propagate
    log.setLevel(logging.CRITICAL + 1)
    log.propagate = False
    try:
        yield
    finally:
        log.setLevel(level)
        log.propagate = propagate


def check_signatures(
    data: bytes | Path,
    manifest: dict[str, Any] | None,
    result: VerifyResult,
    trust: list[Any] | None = None,
) -> None:
    """Check every signature of the file; record who signed in `result.signatures`."""
    expected = manifest.get("signature") if isinstance(manifest, dict) else None
    if not is_signed(data):
        if isinstance(expected, dict):
            result.fail(
                "signature-invalid",
                "signature",
                f"the manifest says {str(expected.get('signer'))[:80]} signed this file "
                f"digitally, but it carries no signature: the signature was removed, or this is "
                f"not the file that was signed. Ask the sender for the signed file.",
            )
        return
    with _quiet():
        _check(data, result, trust, expected if isinstance(expected, dict) else None)


def _check(
    data: bytes | Path,
    result: VerifyResult,
    trust: list[Any] | None,
    expected: dict[str, Any] | None = None,
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    stream: Any = io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
    try:
        try:
            reader = PdfFileReader(stream, strict=False)
            signatures = list(reader.embedded_regular_signatures)
        except Exception as exc:  # a damaged file: pyHanko raises many kinds
            result.fail(
                "signature-invalid",
                "signature",
                f"the signatures cannot be read ({first_line(exc)}); the file is damaged or "
                f"was altered.",
            )
            return
        context = ValidationContext(
            trust_roots=list(trust or []), allow_fetching=False, revocation_mode="soft-fail"
        )
        for i, sig in enumerate(signatures):
            last = i == len(signatures) - 1
            _check_one(sig, last, context, trust is not None, result, validate_pdf_signature)
            if i == 0 and expected is not None:
                _check_signer(sig, expected, result)
    finally:
        if not isinstance(data, bytes):
            stream.close()


def _check_one(
    sig: Any,
    last: bool,
    context: Any,
    trust_given: bool,
    result: VerifyResult,
    validate: Any,
) -> None:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    where = f"signature {str(sig.field_name)[:60]}"
    try:
        status = validate(sig, signer_validation_context=context)
    except Exception as exc:  # a malformed signature value: pyHanko raises many kinds
        result.fail(
            "signature-invalid",
            where,
            f"the signature cannot be checked ({first_line(exc)}); it is damaged or was altered.",
        )
        return
    who = _signer(status)
    when = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    result.signatures.append(
        {
            "field": str(sig.field_name),
            "signer": who,
            "signing_time": when,
            "intact": bool(status.intact),
            "valid": bool(status.valid),
            "trusted": bool(status.trusted),
            "coverage": status.coverage.name if status.coverage is not None else None,
        }
    )
    if not (status.intact and status.valid):
        result.fail(
            "signature-invalid",
            where,
            f"the signature of {who} does not match the file: the signed bytes were changed "
            f"after signing. Ask the sender for the original file.",
        )
        return
    coverage = status.coverage
    covered = coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        # an earlier signature: later revisions add signatures (checked by the DocMDP rules)
        not last and coverage == SignatureCoverageLevel.ENTIRE_REVISION
    )
    if not covered:
        result.fail(
            "signature-not-covering",
            where,
            f"the signature of {who} does not cover the whole file: "
            + (
                "something was appended after it that is not a later signature."
                if last
                else "a later revision makes changes the certification does not allow."
            ),
        )
    elif status.docmdp_ok is False:
        result.fail(
            "signature-not-covering",
            where,
            f"the file was changed after {who} certified it, beyond what the certification "
            f"allows (form filling and further signatures).",
        )
    if not status.trusted:
        reason = (
            "its certificate does not chain to a trust root given with --trust"
            if trust_given
            else "no trust root was given (--trust FILE), so who signed is not confirmed"
        )
        result.warn("signature-untrusted", where, f"signed by {who}, but {reason}.")


def _check_signer(sig: Any, expected: dict[str, Any], result: VerifyResult) -> None:
    """The agency's (first) signature is made with the certificate its manifest names: a
    packet re-signed by someone else after the original signature was stripped is caught."""
    want = expected.get("certificate_sha256")
    try:
        got = hashlib.sha256(sig.signer_cert.dump()).hexdigest()
    except Exception:  # an unreadable signature: already reported as signature-invalid
        return
    if isinstance(want, str) and got != want:
        result.fail(
            "signature-invalid",
            f"signature {str(sig.field_name)[:60]}",
            f"the file is signed with another certificate than the one its manifest names "
            f"(of {str(expected.get('certificate_subject'))[:80]}): it was re-signed after the "
            f"agency signed it. Ask the sender for the original file.",
        )


def _signer(status: Any) -> str:
    try:
        name = status.signing_cert.subject.native.get("common_name")
        return str(name or status.signing_cert.subject.human_friendly)[:120]
    except Exception:  # an odd subject: still report the rest
        return "an unnamed signer"
