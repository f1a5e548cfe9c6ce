"""A packet the Department can route and accept (issue 23): a real program or no final packet,
the crosswalk in place of the readiness report, contradicted proofs named and never cited, Word
signature lines, customer contact apart from covered positions, `init --program`."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from docx import Document

from cmpacket import api
from cmpacket.errors import ProfileError
from cmpacket.profiles import load_profile
from tests.conftest import copy_sample, packet_of

LOPEZ = 3  # staff[3] in the sample: Maria Lopez, LSW 150.123456


def _docs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for s in manifest["sections"] for d in s["documents"]]


def _doc(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    return next(d for d in _docs(manifest) if d["key"] == key)


def _layout(packet: Path, first: int, last: int, mode: str = "-layout") -> str:
    """The pages' text as printed (`-layout`), or in reading order (`-raw`)."""
    return subprocess.run(
        ["pdftotext", mode, "-f", str(first), "-l", str(last), str(packet), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _link_targets(packet: Path, first: int, last: int) -> list[int]:
    """The 1-based target page of every link annotation on pages first..last."""
    with pikepdf.open(packet) as pdf:
        index = {page.objgen: i + 1 for i, page in enumerate(pdf.pages)}
        targets = []
        for page in list(pdf.pages)[first - 1 : last]:
            for annot in page.obj.get("/Annots", []):
                dest = annot.get("/Dest")
                if dest is not None:
                    targets.append(index.get(dest[0].objgen, 0))
        return targets


def _word_text(path: Path) -> str:
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return "\n".join(texts)


# -- a real program, or no final packet --------------------------------------------------------


def test_guide_only_profile_final_build_is_program_not_named_draft_builds(
    tmp_path: Path, cli: Any
) -> None:
    folder = copy_sample(tmp_path, lambda d: d.update(profile="il-guide"))
    final = cli("build", folder, "-o", tmp_path / "final", "-q")
    assert final.code == 1, final.err
    assert "error [program-not-named]" in final.err and "profiles list" in final.err
    assert not (tmp_path / "final").exists()
    draft = cli("build", folder, "-o", tmp_path / "draft", "-q", "--draft")
    assert draft.code == 0, draft.err
    assert packet_of(tmp_path / "draft").is_file()


def test_builtin_program_profiles_are_routable_and_the_guide_is_not() -> None:
    from cmpacket.validators import load_profile as validators_profile

    fcm = validators_profile("il-fcm").program
    hsp = validators_profile("il-hsp-aids-waiver").program
    assert fcm["routable"] and fcm["division"] == "IDHS Bureau of Maternal and Child Health"
    assert fcm["citation"] == "77 Ill. Adm. Code 630"
    assert hsp["routable"] and hsp["division"] == "IDHS Division of Rehabilitation Services"
    assert hsp["citation"] == "89 Ill. Adm. Code 686 Subpart J"
    assert not validators_profile("il-guide").program["routable"]


@pytest.mark.parametrize(
    ("program", "words"),
    [
        ({"title": "X", "citation": "Y", "division": "Z", "routable": "yes"}, "routable"),
        ({"title": "X", "routable": True}, "citation and division"),
        ({"title": "X", "citation": "Y", "division": 3}, "program.division"),
        ({"title": "X", "division_name": "Z"}, "division_name"),
    ],
)
def test_program_fields_are_schema_checked(tmp_path: Path, program: Any, words: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"name": "mine", "extends": "il-guide", "program": program}))
    with pytest.raises(ProfileError, match=re.escape(words)):
        load_profile(str(path), codes=_codes())


def _codes() -> Any:
    from cmpacket.validators._registry import RULES

    return RULES


# -- nothing presents the guide as the Department's --------------------------------------------


@pytest.mark.e2e
def test_no_packet_or_word_text_calls_the_guide_an_idhs_publication(built: Path) -> None:
    text = subprocess.run(
        ["pdftotext", str(packet_of(built)), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "IDHS certification guide" not in flat and "certification guide" not in flat.lower()
    assert "the agency's own adopted standard" in flat  # the 30 customers and the 12 hours
    words = {p.name: _word_text(p) for p in (built / "documents").glob("*.docx")}
    assert len(words) >= 10
    for name, body in words.items():
        assert "certification guide" not in body.lower(), name


# -- the crosswalk ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_final_packet_front_matter_is_a_crosswalk_with_a_link_per_requirement(
    built: Path,
) -> None:
    man = json.loads((built / "manifest.json").read_text())
    cross = _doc(man, "readiness-report")
    assert cross["title"] == "Crosswalk of program requirements"
    first, last = cross["first_page"], cross["last_page"]
    text = _layout(packet_of(built), first, last)
    profile = load_profile("il-hsp-aids-waiver", codes=_codes())
    rows = [r for r in profile.rules if r.code not in profile.preparation_checks]
    flat = " ".join(text.split())
    raw = " ".join(_layout(packet_of(built), first, last, "-raw").split())
    squeezed = re.sub(r"[\s\-]", "", raw)  # a title may break at a hyphen, as "mandated-/reporter"
    for rule in rows:  # each requirement in its words, with its citation
        assert re.sub(r"[\s\-]", "", rule.title) in squeezed, rule.code
        assert re.sub(r"[\s\-]", "", " ".join(rule.citation.split()[:4])) in squeezed, rule.code
    for banned in ("Met", "Submission-ready", "Packet preparation check", "Open findings"):
        assert not re.search(rf"\b{re.escape(banned)}\b", flat), banned
    assert "docs/" not in flat and not re.search(r"\w+\[\d+\]", flat)  # no JSON paths
    assert "89 Ill. Adm. Code 686 Subpart J" in flat and "Division of Rehabilitation" in flat
    targets = _link_targets(packet_of(built), first, last)
    assert len(targets) >= len(rows)
    assert all(last < t <= man["packet"]["pages"] for t in targets)  # into the packet's body
    # the cover: a one-line Packet ID; the fingerprint is the manifest's
    cover = _layout(packet_of(built), 1, 1)
    assert f"Packet ID: {man['input_fingerprint']}" in cover
    assert "Input fingerprint" not in cover


def _words(packet: Path, first: int, last: int) -> list[tuple[str, float, float, float]]:
    """(word, xMin, xMax, yMin) of every word on the pages, in reading order (pdftotext -bbox)."""
    html = subprocess.run(
        ["pdftotext", "-f", str(first), "-l", str(last), "-bbox", str(packet), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" [^>]*>([^<]*)<', html)
    return [(w, float(x0), float(x1), float(y0)) for x0, y0, x1, w in found]


@pytest.mark.e2e
def test_page_numbers_in_running_text_follow_their_words(built: Path) -> None:
    """The crosswalk's `statement, p. 79`: the number is drawn where its reserved box starts, a
    space after the comma, not at the far end of the box; the index's page column stays
    right-aligned (its numbers end at the same x)."""
    man = json.loads((built / "manifest.json").read_text())
    cross = _doc(man, "readiness-report")
    words = _words(packet_of(built), cross["first_page"], cross["last_page"])
    gaps = [
        nxt[1] - word[2]
        for word, nxt in zip(words, words[1:], strict=False)
        if word[0].endswith(",") and nxt[0] in ("p.", "pp.") and abs(word[3] - nxt[3]) < 3
    ]
    assert len(gaps) >= 5 and max(gaps) < 5, gaps  # a space is about 2.7 pt at 9 pt
    index = _doc(man, "index")
    numbers = [
        w for w in _words(packet_of(built), index["first_page"], index["last_page"])
        if re.fullmatch(r"\d+(\u2013\d+)?", w[0]) and w[1] > 400
    ]  # fmt: skip
    ends = sorted({round(w[2]) for w in numbers})
    assert len(numbers) > 20 and ends[-1] - ends[0] <= 2, ends


@pytest.mark.e2e
def test_section_b_is_titled_by_what_it_holds(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    (b,) = [s for s in man["sections"] if s["letter"] == "B"]
    assert b["title"] == "B. Statement of assurances"
    index = _layout(packet_of(built), 2, 3)
    assert "B. Statement of assurances" in index and "B. Written agreement" not in index


# -- contradicted proofs -----------------------------------------------------------------------


def _mislicensed(tmp_path: Path) -> Path:
    """The sample with Maria Lopez's license number changed: her printout contradicts it."""

    def edit(data: dict[str, Any]) -> None:
        data["staff"][LOPEZ]["licenses"][0]["number"] = "150.123465"

    return copy_sample(tmp_path, edit)


@pytest.mark.e2e
def test_final_build_names_a_contradicted_proof_last_and_never_cites_it(
    tmp_path: Path, cli: Any
) -> None:
    folder = _mislicensed(tmp_path)
    out = tmp_path / "out"
    result = cli("build", folder, "-o", out, "-q")
    assert result.code == 0, result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("proof-mismatch: Maria Lopez, license 1 (uploads/lopez-lsw.pdf")
    assert "license number" in last and "--strict" in last
    assert result.err.count("proof-mismatch: ") == 1  # one line per proof
    man = json.loads((out / "manifest.json").read_text())
    proof = _doc(man, "staff:S-004:license:0")["first_page"]
    cross = _doc(man, "readiness-report")
    targets = _link_targets(packet_of(out), cross["first_page"], cross["last_page"])
    assert targets and proof not in targets
    # her registry printout still answers the background-check requirements
    registry = _doc(man, "staff:S-004:registry-check")["first_page"]
    assert registry in targets

    strict = cli("build", folder, "-o", tmp_path / "strict", "-q", "--strict")
    assert strict.code == 1 and "proof-mismatch" in strict.err


@pytest.mark.e2e
def test_the_sample_crosswalk_cites_every_license_printout(built: Path) -> None:
    """The other side of the test above: an uncontradicted proof is cited."""
    man = json.loads((built / "manifest.json").read_text())
    cross = _doc(man, "readiness-report")
    targets = _link_targets(packet_of(built), cross["first_page"], cross["last_page"])
    assert _doc(man, "staff:S-004:license:0")["first_page"] in targets


def test_a_draft_keeps_the_full_readiness_report(tmp_path: Path, fake_renderer: None) -> None:
    from cmpacket.model import load_folder
    from cmpacket.plan import plan

    data = load_folder(copy_sample(tmp_path)).data
    assert data is not None
    draft = {p.key: p.title for p in plan(data, draft=True)}
    final = {p.key: p.title for p in plan(data, draft=False)}
    assert draft["readiness-report"] == "Readiness report"
    assert final["readiness-report"] == "Crosswalk of program requirements"


# -- Word signature lines ----------------------------------------------------------------------


@pytest.mark.e2e
def test_word_signature_lines_carry_the_electronic_signature(built: Path) -> None:
    for name in ("application-summary.docx", "records-attestation.docx", "agreement.docx"):
        doc = Document(str(built / "documents" / name))
        lines = [
            p.text
            for table in doc.tables
            for row in table.rows
            for cell in row.cells
            for p in cell.paragraphs
            if p._p.pPr is not None
            and p._p.pPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr")
            is not None
        ]
        assert lines, name
        assert all(line == "/s/ Dana Whitfield" for line in lines), (name, lines)


# -- customer contact and covered positions; the security official -----------------------------


@pytest.mark.e2e
def test_job_descriptions_print_customer_contact_apart_from_covered_position(
    built: Path,
) -> None:
    man = json.loads((built / "manifest.json").read_text())
    intake = _doc(man, "job-description:intake-coordinator")
    text = _layout(packet_of(built), intake["first_page"], intake["last_page"])
    assert re.search(r"Direct customer contact\s+Yes", text)
    covered = re.search(r"Covered position under the\s+No", text)
    assert covered and "Health Care Worker" in text and "Background Check Act" in text
    manager = _doc(man, "job-description:case-manager")
    text = _layout(packet_of(built), manager["first_page"], manager["last_page"])
    assert re.search(r"Direct customer contact\s+Yes", text)
    assert re.search(r"Covered position under the\s+Yes", text)
    attestation = _doc(man, "records-attestation")
    text = _layout(packet_of(built), attestation["first_page"], attestation["last_page"])
    assert re.search(r"HIPAA security official\s+Dana Whitfield", text)


def test_customer_contact_defaults_to_direct_care_and_is_its_own_field(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        for p in data["positions"]:
            p.pop("customer_contact", None)
        data["positions"][0]["customer_contact"] = True  # the administrator: not covered

    from cmpacket.model import load_folder

    data = load_folder(copy_sample(tmp_path, edit)).data
    assert data is not None
    admin, supervisor = data.positions[0], data.positions[1]
    assert admin.customer_contact and not admin.direct_care
    assert supervisor.customer_contact and supervisor.direct_care


def test_security_officer_must_be_a_staff_id(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path, lambda d: d["records_system"].update(security_officer="S-999"))
    found = [
        f for f in api.validate(folder).findings if f.path == "records_system.security_officer"
    ]
    assert found and "is not a staff id" in found[0].message


# -- init --program ----------------------------------------------------------------------------


def test_init_program_names_the_profile(tmp_path: Path, cli: Any) -> None:
    result = cli("init", tmp_path / "a", "--program", "il-fcm")
    assert result.code == 0, result.err
    data = yaml.safe_load((tmp_path / "a" / "agency.yaml").read_text())
    assert data["profile"] == "il-fcm"
    wrong = cli("init", tmp_path / "b", "--program", "il-guide")
    assert wrong.code == 2 and "il-hsp-aids-waiver, il-fcm" in wrong.err
    plain = cli("init", tmp_path / "c")  # not a terminal: nothing asked, the draft-only default
    assert plain.code == 0 and "builds drafts only" in plain.err


def test_init_asks_for_the_program_on_a_terminal(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("il-hsp-aids-waiver\n"))
    result = cli("init", tmp_path / "a")
    assert result.code == 0, result.err
    assert "Which program does the agency apply to?" in result.err
    assert "il-fcm: Family Case Management (77 Ill. Adm. Code 630)" in result.err
    data = yaml.safe_load((tmp_path / "a" / "agency.yaml").read_text())
    assert data["profile"] == "il-hsp-aids-waiver"
