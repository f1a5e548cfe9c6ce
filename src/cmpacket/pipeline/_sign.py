"""Digital signing in the build (SPEC §18): the signer's certificate read and checked right after
validation (before anything is made or written), and every finished file — the packet or each
part, and the response packet — signed last, after its own verification, with the manifest
recording each file's bytes before signing (`unsigned_sha256`)."""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket.assemble import (
    Assembled,
    Signature,
    load_signing_key,
    sign_pdf,
    signature_place,
    signing_time,
)
from cmpacket.cache import file_sha256
from cmpacket.errors import BuildError, UsageError
from cmpacket.pipeline._stages import Validated
from cmpacket.pipeline._workspace import Workspace
from cmpacket.verify import VerifyResult, check_signatures

PASSWORD_ENV = "CMPACKET_SIGN_PASSWORD"


def env_password() -> str:
    """The certificate's password from CMPACKET_SIGN_PASSWORD (the CLI asks on a terminal)."""
    value = os.environ.get(PASSWORD_ENV)
    if value is None:
        raise UsageError(
            "the signing certificate's password is needed and there is no terminal to ask it on.",
            hint=f"Set {PASSWORD_ENV} (never write it in agency.yaml).",
        )
    return value


def prepare_signature(ws: Workspace, validated: Validated) -> Validated:
    """With `signatures.method: digital`, the signer's key, checked (CertificateError, exit 2,
    before anything is written); `validated` unchanged otherwise."""
    data = validated.checked.data
    assert data is not None
    sig = data.signatures
    if not ws.options.sign:  # the live preview: no certificate, no password
        return validated
    if sig is None or sig.method != "digital":
        if ws.options.certificate is not None:
            raise UsageError(
                f"--certificate {ws.options.certificate}: the agency's signatures.method is "
                f"{sig.method if sig and sig.method else 'not set'}, not digital.",
                hint="Set `signatures: {method: digital}` in agency.yaml, or leave out "
                "--certificate.",
            )
        return validated
    path = _certificate(ws, sig.certificate)
    password = (ws.options.sign_password or env_password)()
    signer = sig.signer if sig.signer and sig.signer.name else data.agency.authorized_official
    at = signing_time(sig.date or validated.report.as_of)
    key = load_signing_key(path, password, at=at, display=ws.display(path))
    del password
    address = data.agency.address
    city = getattr(address, "city", None) if address is not None else None
    signature = Signature(
        key=key,
        name=signer.name or key.subject,
        title=signer.title or "",
        at=at,
        location=f"{city}, {getattr(address, 'state', None) or 'IL'}" if city else "",
        reason="Certification of the case management agency's application",
    )
    return replace(validated, signature=signature)


def _certificate(ws: Workspace, given: str | None) -> Path:
    if ws.options.certificate is not None:
        return Path(ws.options.certificate)
    if not given:
        raise UsageError(
            "signatures.method is digital, but no certificate is given.",
            hint="Set signatures.certificate: path/to/official.p12 (inside the agency folder) "
            "or give --certificate FILE.",
        )
    path = (ws.folder / given).resolve()
    if not path.is_relative_to(ws.folder):
        raise UsageError(
            f"signatures.certificate: {given!r} is outside the agency folder.",
            hint="Keep the certificate inside the agency folder, or give --certificate FILE.",
        )
    return path


def response_signature(signature: Signature, dated: date) -> Signature:
    """The response packet is signed on its own date (at noon, as the packet)."""
    return replace(signature, at=signing_time(dated), reason="Response to the Department")


def sign_assembled(
    ws: Workspace, signature: Signature, done: Assembled, letter: str, folder: str
) -> Assembled:
    """Sign each file of `done` (the packet or its parts) into the work folder `folder`; the
    visible signature goes on the signature line of the document made from `letter` (a
    template name), on the part that holds it; the others are signed invisibly. The manifest
    gains each file's `unsigned_sha256`; `sha256` and `bytes` become the signed file's."""
    work = Path(tempfile.mkdtemp(prefix=f"{folder}-", dir=ws.work))
    manifest = copy.deepcopy(done.manifest)
    pages = _letter_pages(manifest, letter)
    parts = manifest.get("parts") or []
    agency = str((manifest.get("agency") or {}).get("legal_name") or "")
    signed: list[Path] = []
    for i, source in enumerate(done.files):
        entry = parts[i] if parts else manifest["packet"]
        first = entry["first_page"] if parts else 1
        last = entry["last_page"] if parts else manifest["packet"]["pages"]
        place = None
        if pages is not None and pages[0] <= last and pages[1] >= first:
            local = range(max(pages[0], first) - first, min(pages[1], last) - first + 1)
            place = signature_place(source, local, signature.name, signature.title, agency)
        target = work / source.name
        entry["unsigned_sha256"] = sign_pdf(source, target, signature, place)
        entry["sha256"] = file_sha256(target)
        if parts:
            entry["bytes"] = target.stat().st_size
        _self_check(target)
        signed.append(target)
    return replace(done, files=signed, manifest=manifest)


def _letter_pages(manifest: dict[str, Any], letter: str) -> tuple[int, int] | None:
    for section in manifest.get("sections") or []:
        for doc in section.get("documents") or []:
            if doc.get("source") == letter:
                return int(doc["first_page"]), int(doc["last_page"])
    return None


def _self_check(path: Path) -> None:
    """The signature just made is intact and covers the whole file (trust is the reviewer's)."""
    result = VerifyResult()
    check_signatures(path, None, result)
    errors = [f for f in result.findings if f.severity == "error"]
    if errors or not result.signatures:
        problems = "; ".join(f"[{f.code}] {f.message}" for f in errors) or "no signature found"
        raise BuildError(f"{path.name}: the signed file failed its own check: {problems}")
