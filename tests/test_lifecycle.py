"""The packet's lifecycle (SPEC §16): stable document keys, `lifecycle` in every manifest,
`build --base`, `diff` on the same operations, and `verify NEW --base OLD`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmpacket import api, lifecycle
from tests.conftest import copy_sample
from tests.test_evidence import license_pdf

pytestmark = pytest.mark.e2e

CHAPTER = "closure-transfer"


def manifest_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def edit(folder: Path, change: Any) -> None:
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    change(data)
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def changed(manifest: dict[str, Any]) -> dict[str, str]:
    """key -> operation, for every operation but `unchanged`."""
    ops = manifest["lifecycle"]["operations"]
    return {op["key"]: op["operation"] for op in ops if op["operation"] != "unchanged"}


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample built (sequence 0), then after one proof and one policy chapter changed,
    built again with the first as its base (sequence 1)."""
    base = tmp_path_factory.mktemp("lifecycle")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", "1767225600")
        folder = copy_sample(base)
        first = api.build(folder, api.Options(quiet=True), out=base / "out0")
        # the same license, printed again (a renewed printout showing the same fields)
        proof = license_pdf("Maria Lopez", "150.123456", "11/30/2027")
        (folder / "uploads" / "lopez-lsw.pdf").write_bytes(proof)
        edit(folder, lambda d: d["policies"].setdefault("additions", {}).update(
            {CHAPTER: "Closure letters are mailed within five business days."}
        ))  # fmt: skip
        options = api.Options(quiet=True, base=first.packet)
        second = api.build(folder, options, out=base / "out1")
    return {"folder": folder, "old": first.packet, "new": second.packet, "base": base}


def test_every_manifest_records_its_sequence_and_each_document_s_key(built: Path) -> None:
    m = manifest_of(built)
    life = m["lifecycle"]
    assert life["sequence"] == 0 and life["base"] is None
    assert {op["operation"] for op in life["operations"]} == {"new"}
    docs = [d for s in m["sections"] for d in s["documents"]]
    keys = {d["key"] for d in docs}
    assert len(keys) == len(docs)  # every document has its own key
    assert {"policy-manual", "staff-roster", "job-description:case-manager"} <= keys
    # staff proofs are keyed by staff id, never by the person's place in the roster
    lopez = [d["key"] for d in docs if d.get("staff_id") == "S-004"]
    assert "staff:S-004:license:0" in lopez and all(k.startswith("staff:S-004:") for k in lopez)
    # the packet's own navigation is made anew each time: not among the operations
    assert not {op["key"] for op in life["operations"]} & {"cover", "index"}


def test_one_proof_and_one_chapter_changed_are_exactly_the_replaced_documents(
    sequence: dict[str, Path],
) -> None:
    m = json.loads((sequence["new"].parent / "manifest.json").read_text())
    life = m["lifecycle"]
    assert life["sequence"] == 1
    assert life["base"]["file"] == sequence["old"].name
    assert (
        life["base"]["sha256"]
        == json.loads((sequence["old"].parent / "manifest.json").read_text())["packet"]["sha256"]
    )
    assert changed(m) == {"staff:S-004:license:0": "replace", "policy-manual": "replace"}
    unchanged = [op for op in life["operations"] if op["operation"] == "unchanged"]
    assert len(unchanged) > 40 and all(
        op["content_sha256"] == op["base_content_sha256"] for op in unchanged
    )


def test_the_cumulative_index_marks_what_changed(sequence: dict[str, Path]) -> None:
    index = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "4", str(sequence["new"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "sequence 1, built after" in index
    manual = next(line for line in index.splitlines() if "Policies and procedures manual" in line)
    assert "replaced" in manual
    lopez = next(line for line in index.splitlines() if "Maria Lopez" in line)
    assert "replaced" in lopez
    dana = next(line for line in index.splitlines() if "Dana Whitfield" in line)
    assert "unchanged" in dana


def test_diff_reports_exactly_the_lifecycle(sequence: dict[str, Path], cli: Any) -> None:
    result = api.diff(sequence["old"], sequence["new"])
    recorded = json.loads((sequence["new"].parent / "manifest.json").read_text())["lifecycle"]
    assert result["operations"] == recorded["operations"]
    assert result["recorded"] == "same"
    r = cli("diff", sequence["old"], sequence["new"])
    assert r.code == 0
    head = r.out.split("\nunchanged documents:")[0]
    assert "replaced  Policies and procedures manual" in head
    assert "replaced  Maria Lopez: LSW license" in head
    assert "James" not in head  # nothing else is listed as a change


def test_verify_with_the_base_passes_and_a_tampered_base_fails(
    sequence: dict[str, Path], tmp_path: Path, cli: Any
) -> None:
    ok = cli("verify", sequence["new"], "--base", sequence["old"])
    assert ok.code == 0, ok.out
    tampered = tmp_path / sequence["old"].name
    shutil.copyfile(sequence["old"], tmp_path / "x.pdf")
    data = bytearray((tmp_path / "x.pdf").read_bytes())
    data += b"%one more line\n"
    tampered.write_bytes(bytes(data))
    bad = cli("verify", sequence["new"], "--base", tampered)
    assert bad.code == 1 and "[lifecycle-mismatch]" in bad.out and "sha256" in bad.out
    # the packet itself as its own base: the sequences do not chain
    loop = cli("verify", sequence["new"], "--base", sequence["new"])
    assert loop.code == 1 and "lifecycle.sequence" in loop.out


def test_a_recorded_operation_that_the_packets_do_not_make_fails(
    sequence: dict[str, Path],
) -> None:
    from cmpacket.verify import VerifyResult, check_chain, read_base

    m = json.loads((sequence["new"].parent / "manifest.json").read_text())
    for op in m["lifecycle"]["operations"]:
        if op["key"] == "policy-manual":
            op["operation"] = "unchanged"  # hides the changed manual
    result = VerifyResult()
    check_chain(m, read_base(sequence["old"], check=False), result)
    assert [f.code for f in result.findings] == ["lifecycle-mismatch"]
    assert "policy-manual" in result.findings[0].path


def test_another_agency_s_base_is_a_finding_and_nothing_is_written(
    sequence: dict[str, Path], tmp_path: Path, cli: Any
) -> None:
    folder = copy_sample(tmp_path, lambda d: d["agency"].update(fein="36-1234567"))
    out = tmp_path / "out"
    r = cli("build", folder, "-o", out, "--base", sequence["old"])
    assert r.code == 1 and "response-base-mismatch" in r.err and "36-4810275" in r.err
    assert not out.exists() or not list(out.iterdir())


def test_an_unreadable_base_is_an_input_error(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    junk = tmp_path / "old.pdf"
    junk.write_bytes(b"%PDF-1.7\nnot really a packet\n")
    r = cli("build", folder, "-o", tmp_path / "out", "--base", junk)
    assert r.code == 2 and "response-base-missing" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "out").exists()


def test_a_caseload_change_is_a_replaced_roster_in_diff(
    built: Path, tmp_path: Path, fake_renderer: None
) -> None:
    """One staff member's caseload 25 -> 29: the roster's page text changes, so `diff` must say
    it changed (a reviewer would otherwise take the roster as untouched)."""
    folder = copy_sample(tmp_path)
    old = api.build(folder, api.Options(quiet=True), out=tmp_path / "old")
    edit(folder, lambda d: d["staff"][3].update(caseload=29))
    new = api.build(folder, api.Options(quiet=True), out=tmp_path / "new")
    result = api.diff(old.packet, new.packet)
    replaced = [d["key"] for d in result["documents"]["replace"]]
    assert replaced == ["staff-roster"], replaced
    assert any("caseload 28 -> 29" in c for c in result["data"])


def test_a_document_that_only_moved_is_unchanged(tmp_path: Path, fake_renderer: None) -> None:
    folder = copy_sample(tmp_path)
    old = api.build(folder, api.Options(quiet=True), out=tmp_path / "old")
    shutil.copyfile(folder / "uploads" / "articles.pdf", folder / "uploads" / "bylaws.pdf")
    edit(folder, lambda d: d["attachments"].insert(
        0, {"title": "Bylaws", "file": "uploads/bylaws.pdf", "section": "agency"}
    ))  # fmt: skip
    new = api.build(folder, api.Options(quiet=True, base=old.packet), out=tmp_path / "new")
    m = manifest_of(new.out)
    assert changed(m) == {"attachment:A:bylaws": "new"}
    ops = {op["key"]: op for op in m["lifecycle"]["operations"]}
    lopez = ops["staff:S-004:license:0"]
    assert lopez["operation"] == "unchanged" and lopez["pages"] != lopez["base_pages"]


def test_operations_of_a_manifest_without_keys_match_by_kind_and_title() -> None:
    old = {"sections": [{"documents": [
        {"kind": "upload", "title": "A", "source_sha256": "1", "content_sha256": "x",
         "first_page": 1, "last_page": 1},
        {"kind": "policy-manual", "title": "M", "source_sha256": "t", "content_sha256": "y",
         "first_page": 2, "last_page": 3},
    ]}]}  # fmt: skip
    new = json.loads(json.dumps(old))
    new["sections"][0]["documents"][1]["content_sha256"] = "z"
    ops = lifecycle.operations(lifecycle.documents(old), lifecycle.documents(new))
    assert [(op["key"], op["operation"]) for op in ops] == [
        ("upload:A", "unchanged"),
        ("policy-manual:M", "replace"),
    ]
