"""Digital signatures (SPEC §18): the authorized official's certificate, made here with
`cryptography` (a test CA, a signer, expired, not-yet-valid, wrong-usage and key-less variants;
nothing fetched), signs the sample packet, each part and the response packet; pyHanko's
validation and poppler's pdfsig both confirm the signature covers the whole file; `verify`
catches a flipped byte and an appended update; a bad certificate stops the build before
anything is written; the password never appears anywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from cmpacket import api
from tests.conftest import EPOCH, copy_sample, packet_of

PASSWORD = "Prairie-Pw-7f3a9c"  # never to be seen in any output
NOW = dt.datetime.now(dt.UTC)
NO_USAGE = dict.fromkeys(
    (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ),
    False,
)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Prairie Care Test PKI"),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(cn: str = "Prairie Care Test Root") -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=3650))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(**{**NO_USAGE, "key_cert_sign": True, "crl_sign": True}), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_p12(
    path: Path,
    ca: tuple[rsa.RSAPrivateKey, x509.Certificate],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    usage: dict[str, bool] | None = None,
    with_key: bool = True,
    key: Any = None,
) -> Path:
    """The official's PKCS#12 file, issued by `ca`, protected by PASSWORD (an RSA key unless
    `key` is given)."""
    ca_key, ca_cert = ca
    key = key or _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Dana Whitfield"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start or NOW - dt.timedelta(days=3000))
        .not_valid_after(end or NOW + dt.timedelta(days=3000))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                **{**NO_USAGE, **(usage or {"digital_signature": True, "content_commitment": True})}
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    blob = pkcs12.serialize_key_and_certificates(
        b"official",
        key if with_key else None,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    )
    path.write_bytes(blob)
    return path


def pem(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def digital(data: dict[str, Any]) -> None:
    data["signatures"] = {
        "method": "digital",
        "signer": {"name": "Dana Whitfield", "title": "Executive Director"},
        "certificate": "keys/official.p12",
    }


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    return {"ca": ca, "root": pem(ca[1], base / "root.pem"), "dir": base}


@pytest.fixture(scope="module")
def signed(pki: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample signed digitally: its folder, OUT, and what the build printed."""
    base = tmp_path_factory.mktemp("signed")
    folder = copy_sample(base, digital)
    (folder / "keys").mkdir()
    make_p12(folder / "keys" / "official.p12", pki["ca"])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        env.setenv("CMPACKET_SIGN_PASSWORD", PASSWORD)
        done = subprocess.run(
            [sys.executable, "-m", "cmpacket", "build", str(folder), "-o", str(base / "out")],
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stderr
    return {"folder": folder, "out": base / "out", "stdout": done.stdout, "stderr": done.stderr}


def _status(pdf: bytes, root: Path | None) -> Any:
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    if root is not None:
        _, _, der = asn1_pem.unarmor(root.read_bytes())
        roots = [asn1_x509.Certificate.load(der)]
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return embedded, validate_pdf_signature(embedded, context)


def test_the_packet_carries_a_valid_pades_certification_covering_the_whole_file(
    signed: dict[str, Any], pki: dict[str, Any]
) -> None:
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    pdf = packet_of(signed["out"]).read_bytes()
    embedded, status = _status(pdf, pki["root"])
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline
    assert embedded.docmdp_level == MDPPerm.FILL_FORMS  # DocMDP 2: the Department can countersign
    # the signing time: signatures.date absent -> the as-of date (2026-12-01) at noon, Illinois
    assert embedded.sig_object["/M"].startswith("D:20261201120000-06")


def test_pdfsig_finds_the_signature_valid_and_the_whole_document_signed(
    signed: dict[str, Any],
) -> None:
    done = subprocess.run(
        ["pdfsig", str(packet_of(signed["out"]))], capture_output=True, text=True, check=True
    )
    assert "Signature Validation: Signature is Valid." in done.stdout
    assert "Total document signed" in done.stdout
    assert "Signer Certificate Common Name: Dana Whitfield" in done.stdout
    assert "ETSI.CAdES.detached" in done.stdout


def test_the_signature_is_visible_on_the_application_letter_s_signature_line(
    signed: dict[str, Any],
) -> None:
    manifest = json.loads((signed["out"] / "manifest.json").read_text())
    letter = next(
        d
        for s in manifest["sections"]
        for d in s["documents"]
        if d["source"] == "application-summary.html.j2"
    )
    with pikepdf.open(packet_of(signed["out"])) as pdf:
        hits = []
        for number, page in enumerate(pdf.pages, start=1):
            for annot in page.obj.get("/Annots") or []:
                if annot.get("/FT") == "/Sig" or annot.get("/Parent", {}).get("/FT") == "/Sig":
                    rect = [float(v) for v in annot.Rect]
                    hits.append((number, rect))
                    appearance = annot.AP.N.read_bytes()
        assert len(hits) == 1
        number, (x1, y1, x2, y2) = hits[0]
        assert letter["first_page"] <= number <= letter["last_page"]
        assert x2 - x1 > 150 and y2 - y1 > 30  # a visible box, not an invisible field
    text = subprocess.run(
        ["pdftotext", "-f", str(number), "-l", str(number), str(packet_of(signed["out"])), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Signed digitally: Dana Whitfield, Executive Director" in text
    # the appearance shows who signed, the title and the date
    assert b"Dana Whitfield" in appearance and b"Executive Director" in appearance
    assert b"December 1\\054 2026" in appearance  # "," written as an octal escape


def test_the_manifest_records_the_unsigned_bytes_which_rebuild_identically(
    signed: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = json.loads((signed["out"] / "manifest.json").read_text())
    signed_bytes = packet_of(signed["out"]).read_bytes()
    packet = manifest["packet"]
    assert packet["sha256"] == hashlib.sha256(signed_bytes).hexdigest()
    # the signature is an incremental update: the unsigned packet is the file's first bytes
    ends = [i + 5 for i in range(len(signed_bytes)) if signed_bytes.startswith(b"%%EOF", i)]
    prefixes = {hashlib.sha256(signed_bytes[: e + k]).hexdigest() for e in ends for k in (0, 1)}
    assert packet["unsigned_sha256"] in prefixes
    assert manifest["signature"]["signer"] == "Dana Whitfield"
    monkeypatch.setenv("CMPACKET_SIGN_PASSWORD", PASSWORD)
    again = api.build(signed["folder"], api.Options(quiet=True), out=tmp_path / "again")
    second = json.loads(again.manifest.read_text())["packet"]
    assert second["unsigned_sha256"] == packet["unsigned_sha256"]
    # and the signed bytes too: no random file ID (an RSA signature is deterministic)
    assert second["sha256"] == packet["sha256"]
    assert again.packet.read_bytes() == signed_bytes


def test_an_ecdsa_key_signs_the_same_packet_to_the_same_bytes(
    pki: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ECDSA draws a nonce per signature; cmpacket uses RFC 6979's, derived from the key and the
    data, so the packet signed again with an EC key is byte for byte the same, and valid."""
    folder = copy_sample(tmp_path, digital)
    (folder / "keys").mkdir()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    make_p12(folder / "keys" / "official.p12", pki["ca"], key=ec_key)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("CMPACKET_SIGN_PASSWORD", PASSWORD)
    first = api.build(folder, api.Options(quiet=True), out=tmp_path / "one")
    second = api.build(folder, api.Options(quiet=True), out=tmp_path / "two")
    data = first.packet.read_bytes()
    assert data == second.packet.read_bytes()
    # the update's modification times are the signing time, never the clock's
    assert re.findall(rb'xmp:ModifyDate="([^"]*)"', data) in ([], [b"2026-12-01T12:00:00-06:00"])
    assert b"/ModDate (D\\07220261201120000" in data
    _, status = _status(data, pki["root"])
    assert status.intact and status.valid and status.trusted
    assert status.pkcs7_signature_mechanism == "sha256_ecdsa"


def test_verify_passes_and_says_who_signed(
    signed: dict[str, Any], pki: dict[str, Any], cli: Any
) -> None:
    out = signed["out"]
    trusted = cli(
        "verify", packet_of(out), "--manifest", out / "manifest.json", "--trust", pki["root"]
    )
    assert trusted.code == 0, trusted.out
    assert "signed by Dana Whitfield" in trusted.out
    assert "signature-untrusted" not in trusted.out
    untrusted = cli("verify", packet_of(out), "--format", "json")
    assert untrusted.code == 0  # a warning: the reviewer gave no trust root
    found = untrusted.json()
    assert [f["code"] for f in found["findings"]] == ["signature-untrusted"]
    assert found["findings"][0]["severity"] == "warning"
    assert found["signatures"][0]["signer"] == "Dana Whitfield"
    other = pem(make_ca("Some Other Root")[1], pki["dir"] / "other.pem")
    elsewhere = cli("verify", packet_of(out), "--trust", other)
    assert elsewhere.code == 0 and "signature-untrusted" in elsewhere.out


def test_a_flipped_byte_in_the_signed_range_is_signature_invalid(
    signed: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    data = bytearray(packet_of(signed["out"]).read_bytes())
    at = data.index(b"/Title (Prairie") + len(b"/Title (")
    data[at] ^= 0x01  # "Prairie" -> "Qrairie": still a readable PDF
    bad = tmp_path / "flipped.pdf"
    bad.write_bytes(bytes(data))
    result = cli("verify", bad, "--format", "json")
    assert result.code == 1
    codes = {f["code"] for f in result.json()["findings"] if f["severity"] == "error"}
    assert codes == {"signature-invalid"}


def test_an_appended_unsigned_update_is_signature_not_covering(
    signed: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    original = packet_of(signed["out"]).read_bytes()
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    writer.root["/Lang"] = generic.pdf_string("fr-FR")
    writer.update_root()
    appended = io.BytesIO()
    writer.write(appended)
    assert appended.getvalue().startswith(original)  # the signed bytes are untouched
    bad = tmp_path / "appended.pdf"
    bad.write_bytes(appended.getvalue())
    result = cli("verify", bad, "--format", "json")
    assert result.code == 1
    codes = {f["code"] for f in result.json()["findings"] if f["severity"] == "error"}
    assert codes == {"signature-not-covering"}


def test_a_removed_signature_is_signature_invalid(
    signed: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    """The unsigned revision cut out of the signed file: its manifest says it was signed."""
    manifest = json.loads((signed["out"] / "manifest.json").read_text())
    data = packet_of(signed["out"]).read_bytes()
    ends = [i + 5 for i in range(len(data)) if data.startswith(b"%%EOF", i)]
    unsigned = next(
        data[: e + k]
        for e in ends
        for k in (0, 1)
        if hashlib.sha256(data[: e + k]).hexdigest() == manifest["packet"]["unsigned_sha256"]
    )
    bare = tmp_path / "unsigned.pdf"
    bare.write_bytes(unsigned)
    result = cli("verify", bare, "--format", "json")
    assert result.code == 1
    assert {f["code"] for f in result.json()["findings"]} == {"signature-invalid"}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong-password", "the password is wrong"),
        ("expired", "expired on"),
        ("not-yet-valid", "not yet valid"),
        ("no-signing-usage", "is not for signing"),
        ("no-private-key", "not its private key"),
    ],
)
def test_a_certificate_that_cannot_sign_stops_the_build_before_anything_is_written(
    case: str,
    expected: str,
    signed: dict[str, Any],
    pki: dict[str, Any],
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = copy_sample(tmp_path, digital)
    (folder / "keys").mkdir()
    p12 = folder / "keys" / "official.p12"
    ca = pki["ca"]
    if case == "expired":
        make_p12(p12, ca, start=NOW - dt.timedelta(days=900), end=NOW - dt.timedelta(days=1))
    elif case == "not-yet-valid":
        make_p12(p12, ca, start=NOW + dt.timedelta(days=30), end=NOW + dt.timedelta(days=900))
    elif case == "no-signing-usage":
        make_p12(p12, ca, usage={"key_encipherment": True})
    elif case == "no-private-key":
        make_p12(p12, ca, with_key=False)
    else:
        make_p12(p12, ca)
    monkeypatch.setenv(
        "CMPACKET_SIGN_PASSWORD", "not-the-password" if case == "wrong-password" else PASSWORD
    )
    out = tmp_path / "out"
    result = cli("build", folder, "-o", out, "-q")
    assert result.code == 2, result.err
    assert expected in result.err
    assert "keys/official.p12" in result.err
    assert not out.exists() or not any(out.iterdir())
    assert PASSWORD not in result.out + result.err


def test_without_a_password_or_a_terminal_the_build_says_how_to_give_it(
    signed: dict[str, Any], cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CMPACKET_SIGN_PASSWORD", raising=False)
    result = cli("build", signed["folder"], "-o", tmp_path / "out", "-q")
    assert result.code == 2
    assert "CMPACKET_SIGN_PASSWORD" in result.err
    assert not (tmp_path / "out").exists()


def test_the_password_appears_in_no_output(signed: dict[str, Any]) -> None:
    secret = PASSWORD.encode()
    assert PASSWORD not in signed["stdout"] + signed["stderr"]
    files = [p for p in signed["out"].rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        data = path.read_bytes()
        assert secret not in data, path
        assert secret.hex().encode() not in data, path
    assert PASSWORD not in (signed["folder"] / "agency.yaml").read_text()


def test_digital_signing_needs_no_date_of_signing_in_the_data(tmp_path: Path) -> None:
    """The signing time is the as-of date's unless `signatures.date` gives the day."""
    report = api.validate(copy_sample(tmp_path, digital))
    assert [f for f in report.findings if f.code == "signature-missing"] == []


def _signature_annots(pdf: Path) -> list[int]:
    """The pages (1-based) that show a signature widget."""
    with pikepdf.open(pdf) as doc:
        return [
            number
            for number, page in enumerate(doc.pages, start=1)
            for annot in page.obj.get("/Annots") or []
            if annot.get("/FT") == "/Sig" and float(annot.Rect[2]) > float(annot.Rect[0])
        ]


def _pdfsig_ok(pdf: Path) -> None:
    done = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=True)
    assert "Signature is Valid." in done.stdout and "Total document signed" in done.stdout, pdf


def test_each_part_is_signed_and_the_set_verifies(
    signed: dict[str, Any], pki: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    receiver = tmp_path / "receiver.yaml"
    receiver.write_text(json.dumps({"name": "small", "split": "parts", "max_file_mb": 0.6}))
    env = {"CMPACKET_SIGN_PASSWORD": PASSWORD, "SOURCE_DATE_EPOCH": EPOCH}
    elsewhere = make_p12(tmp_path / "kept-apart.p12", pki["ca"])  # --certificate: any path
    with pytest.MonkeyPatch.context() as patch:
        for k, v in env.items():
            patch.setenv(k, v)
        result = cli(
            "build", signed["folder"], "-o", tmp_path / "out", "-q", "--receiver", receiver,
            "--certificate", elsewhere,
        )  # fmt: skip
    assert result.code == 0, result.err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    parts = [tmp_path / "out" / p["file"] for p in manifest["parts"]]
    assert len(parts) >= 2
    from cryptography.hazmat.primitives.serialization import Encoding

    (_, cert, _) = pkcs12.load_key_and_certificates(elsewhere.read_bytes(), PASSWORD.encode())
    assert cert is not None  # --certificate wins over signatures.certificate
    expected = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    assert manifest["signature"]["certificate_sha256"] == expected
    visible = []
    for path, entry in zip(parts, manifest["parts"], strict=True):
        _pdfsig_ok(path)
        data = path.read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data) <= 0.6 * 1024 * 1024
        assert entry["unsigned_sha256"] != entry["sha256"]
        visible += [(path.name, page) for page in _signature_annots(path)]
    assert len(visible) == 1  # on the application letter, in the part that holds it
    checked = cli("verify", *parts, "--manifest", tmp_path / "out" / "manifest.json")
    checked_trusted = cli("verify", *parts, "--trust", pki["root"])
    assert checked.code == 0 and checked_trusted.code == 0, checked.out
    assert "signature-untrusted" not in checked_trusted.out
    assert "packet-active-content" not in checked.out + checked_trusted.out


def test_the_response_packet_is_signed_on_its_cover_letter(
    signed: dict[str, Any], pki: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    import shutil

    import yaml

    folder = tmp_path / "agency"
    shutil.copytree(signed["folder"], folder, ignore=shutil.ignore_patterns("out"))
    (folder / "sent").mkdir()
    sent = packet_of(signed["out"])
    shutil.copyfile(sent, folder / "sent" / sent.name)
    (folder / "responses" / "rfi").mkdir(parents=True)
    response = {
        "kind": "rfi",
        "date": "2027-01-26",
        "letter": {"from": "IDHS", "reference": "HSP-CM-2027-014", "received": "2027-01-08"},
        "base": f"sent/{sent.name}",
        "items": [
            {
                "id": "1",
                "request": "Provide the articles of incorporation.",
                "answer": "Enclosed.",
                "exhibits": ["uploads/articles.pdf"],
            }
        ],
    }
    (folder / "responses" / "rfi" / "response.yaml").write_text(yaml.safe_dump(response))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CMPACKET_SIGN_PASSWORD", PASSWORD)
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = cli("respond", folder, "rfi", "-o", tmp_path / "out", "-q")
    assert result.code == 0, result.err
    (answer,) = (tmp_path / "out").glob("*-response-*.pdf")
    _pdfsig_ok(answer)
    _pdfsig_ok(packet_of(tmp_path / "out"))  # the cumulative packet too
    embedded, status = _status(answer.read_bytes(), pki["root"])
    assert status.intact and status.valid and status.trusted
    assert embedded.sig_object["/M"].startswith("D:20270126120000-06")  # the response's date
    assert _signature_annots(answer) == [1]  # the cover letter
    manifest = json.loads((tmp_path / "out" / "response-manifest.json").read_text())
    assert manifest["packet"]["sha256"] == hashlib.sha256(answer.read_bytes()).hexdigest()
    assert manifest["packet"]["unsigned_sha256"]
    checked = cli(
        "verify", answer, "--manifest", tmp_path / "out" / "response-manifest.json",
        "--trust", pki["root"],
    )  # fmt: skip
    assert checked.code == 0, checked.out
    everything = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert PASSWORD.encode() not in everything


def test_a_password_written_in_agency_yaml_is_ignored_and_never_echoed(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        digital(data)
        data["signatures"]["password"] = PASSWORD

    report = api.validate(copy_sample(tmp_path, edit))
    (hit,) = [f for f in report.findings if f.code == "unknown-field"]
    assert "never read from this file" in hit.message and "CMPACKET_SIGN_PASSWORD" in hit.message
    assert PASSWORD not in json.dumps(report.as_dict())


def test_on_a_terminal_the_password_is_asked_without_echo(
    signed: dict[str, Any], tmp_path: Path
) -> None:
    """A real pseudo-terminal: the prompt appears, the typed password is not echoed, and a
    wrong one is refused (exit 2) before anything is written."""
    import os
    import pty
    import select
    import time

    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CMPACKET_SIGN_PASSWORD"}
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cmpacket", "build", str(signed["folder"]), "-o", str(out), "-q"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = b""

    def read_until(marker: bytes, seconds: float) -> None:
        nonlocal seen
        end = time.monotonic() + seconds
        while marker not in seen and time.monotonic() < end:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(main, 4096)
                except OSError:
                    return

    read_until(b"Password of the signing certificate", 300)
    assert b"Password of the signing certificate" in seen
    typed = b"typed-wrong-Secret-123"
    os.write(main, typed + b"\n")
    assert proc.wait(timeout=300) == 2
    read_until(b"password is wrong", 5)
    os.close(main)
    assert b"the password is wrong" in seen
    assert typed not in seen  # never echoed, never repeated in the message
    assert not out.exists() or not any(out.iterdir())


def test_a_packet_re_signed_with_another_certificate_is_signature_invalid(
    signed: dict[str, Any], pki: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    """The agency's signature stripped and the unsigned packet signed again by someone else:
    the embedded manifest names the agency's certificate."""
    from cmpacket.assemble import Signature, load_signing_key, sign_pdf, signing_time

    manifest = json.loads((signed["out"] / "manifest.json").read_text())
    data = packet_of(signed["out"]).read_bytes()
    ends = [i + 5 for i in range(len(data)) if data.startswith(b"%%EOF", i)]
    unsigned = next(
        data[: e + k]
        for e in ends
        for k in (0, 1)
        if hashlib.sha256(data[: e + k]).hexdigest() == manifest["packet"]["unsigned_sha256"]
    )
    (tmp_path / "unsigned.pdf").write_bytes(unsigned)
    at = signing_time(dt.date(2026, 12, 1))
    other = make_p12(tmp_path / "other.p12", make_ca("Forger Root"))
    key = load_signing_key(other, PASSWORD, at=at, display="other.p12")
    sign_pdf(
        tmp_path / "unsigned.pdf", tmp_path / "resigned.pdf", Signature(key, "X", "Y", at), None
    )
    result = cli("verify", tmp_path / "resigned.pdf", "--format", "json")
    assert result.code == 1
    errors = [f for f in result.json()["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["signature-invalid"]
    assert "another certificate" in errors[0]["message"]


def test_the_department_can_countersign_and_both_signatures_verify(
    signed: dict[str, Any], pki: dict[str, Any], tmp_path: Path, cli: Any
) -> None:
    """DocMDP 2 allows a later signature: the Department's approval signature, appended as
    another incremental update, leaves the agency's certification valid."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from cmpacket.assemble import load_signing_key, signing_time

    dept_ca = make_ca("Department Test Root")
    dept = make_p12(tmp_path / "dept.p12", dept_ca)
    at = signing_time(dt.date(2026, 12, 15))
    key = load_signing_key(dept, PASSWORD, at=at, display="dept.p12")
    original = packet_of(signed["out"]).read_bytes()
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    out = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="DepartmentApproval"), key.signer
    ).sign_pdf(writer, output=out)
    both = tmp_path / "countersigned.pdf"
    both.write_bytes(out.getvalue())
    assert out.getvalue().startswith(original)
    roots = [pki["root"], pem(dept_ca[1], tmp_path / "dept-root.pem")]
    result = cli("verify", both, "--trust", roots[0], "--trust", roots[1], "--format", "json")
    assert result.code == 0, result.out
    found = result.json()
    assert found["findings"] == []
    assert [s["field"] for s in found["signatures"]] == [
        "AuthorizedOfficialSignature",
        "DepartmentApproval",
    ]
    assert [s["coverage"] for s in found["signatures"]] == ["ENTIRE_REVISION", "ENTIRE_FILE"]
    done = subprocess.run(["pdfsig", str(both)], capture_output=True, text=True, check=True)
    assert done.stdout.count("Signature is Valid.") == 2
