"""What a person reads: every finding shows its code, and nothing cites the project's spec."""

from __future__ import annotations

import ast
import re
import zipfile
from pathlib import Path
from typing import Any

import click
import pypdf
import yaml

from cmpacket.cli import cli as cli_group
from tests.conftest import ROOT, copy_sample, corpus, packet_of, page_texts

SRC = ROOT / "src" / "cmpacket"
PROFILES = SRC / "profiles"
SPEC = re.compile(r"\bSPEC\b")
LINE = re.compile(r"^(error|warning|note) \[[a-z0-9-]+\] ")


def broken_sample(tmp_path: Path) -> Path:
    """The sample with two error findings (one from a rule, one from an upload) and a warning."""

    def edit(data: dict[str, Any]) -> None:
        data["profile"] = "strict-caseload.yaml"
        data["staff"][3]["caseload"] = 45
        data["staff"][0]["favourite_colour"] = "blue"
        data["attachments"].append({"title": "Bad", "file": "uploads/bad.pdf", "section": "agency"})

    folder = copy_sample(tmp_path, edit)
    (folder / "uploads" / "bad.pdf").write_bytes(b"not a pdf")
    # the sample's program, with the agency's caseload standard an error (it warns by default)
    (folder / "strict-caseload.yaml").write_text(
        "extends: il-hsp-aids-waiver\nname: strict-caseload\n"
        "rules:\n  - {code: caseload-over-limit, severity: error}\n"
    )
    return folder


def test_validate_text_prints_every_finding_with_its_code(cli: Any, tmp_path: Path) -> None:
    r = cli("validate", broken_sample(tmp_path))
    assert r.code == 1
    *lines, summary = r.out.splitlines()
    assert summary.startswith("agency: not ready: 2 error(s), 1 warning(s)")
    assert len(lines) == 3 and all(LINE.match(line) for line in lines), lines
    assert lines[0].startswith("error [") and lines[-1].startswith("warning [unknown-field] ")
    # rule and upload findings lead with where the user wrote the value, as schema errors do
    assert re.search(
        r"^error \[upload-unreadable\] agency\.yaml:\d+: attachments\[3\]\.file: "
        r"'uploads/bad\.pdf': the file is a plain text",
        r.out,
        re.M,
    )
    assert re.search(
        r"^error \[caseload-over-limit\] agency\.yaml:\d+: staff\[3\]\.caseload: Maria Lopez "
        r"\(S-004\) carries 45",
        r.out,
        re.M,
    )
    assert "warning [unknown-field] agency.yaml:" in r.out
    # every code printed is one docs/errors.md explains
    errors_doc = (ROOT / "docs" / "errors.md").read_text()
    for line in lines:
        code = line.split("[", 1)[1].split("]", 1)[0]
        assert f"`{code}`" in errors_doc, code


def test_schema_findings_show_their_code(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "agency.yaml").write_text("staff:\n  - id: S-1\n    hire_date: March 1\n")
    r = cli("validate", tmp_path)
    assert r.code == 1
    assert (
        "error [schema-invalid] agency.yaml:3: staff[0].hire_date: 'March 1' is not a date. "
        "Use YYYY-MM-DD. [see docs/data-format.md]"
    ) in r.out.splitlines()


def test_blocked_build_lists_its_error_findings_with_codes(cli: Any, tmp_path: Path) -> None:
    r = cli("build", broken_sample(tmp_path), "-o", tmp_path / "out", "-q")
    assert r.code == 1 and r.out == ""
    lines = r.err.splitlines()
    assert re.match(
        r"error \[upload-unreadable\] agency\.yaml:\d+: attachments\[3\]\.file: ", lines[0]
    )
    assert re.match(
        r"error \[caseload-over-limit\] agency\.yaml:\d+: staff\[3\]\.caseload: ", lines[1]
    )
    assert lines[2].startswith("error: 2 error finding(s); nothing was written.")
    assert "unknown-field" not in r.err  # a blocked build lists what blocks it: the errors
    assert not (tmp_path / "out").exists()


def test_verify_text_prints_codes(cli: Any) -> None:
    r = cli("verify", corpus("001-"))
    assert r.code == 1
    assert r.out.splitlines()[0].startswith("error [manifest-missing] manifest.json: ")


# -- no "SPEC" in anything a user sees ----------------------------------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def user_visible_strings() -> list[tuple[str, str]]:
    """(where, text) for every string a user can meet: every string literal in the code except
    developer docstrings (the CLI's docstrings are its help text, so they count), and every
    template, scaffold and data file shipped in the package. The requirement profiles are
    checked through what the build prints (see test_no_spec_in_the_packet_word_copies...)."""
    found = []
    for path in sorted(SRC.rglob("*")):
        if not path.is_file() or PROFILES in path.parents or "__pycache__" in path.parts:
            continue
        where = str(path.relative_to(ROOT))
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = set() if path.name == "cli.py" else _docstrings(tree)
            for node in ast.walk(tree):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and id(node) not in skip:
                    found.append((f"{where}:{node.lineno}", text))
        elif path.suffix in {".j2", ".yaml", ".css", ".txt", ".html", ".md"}:
            found.append((where, path.read_text(encoding="utf-8")))
        elif path.suffix == ".docx":
            found.append((where, docx_text(path.read_bytes())))
    return found


def test_user_visible_source_strings_never_cite_the_spec() -> None:
    strings = user_visible_strings()
    assert any("see docs/data-format.md" in text for _, text in strings)  # the scan sees messages
    offenders = [where for where, text in strings if SPEC.search(text)]
    assert offenders == []


def test_help_text_never_cites_the_spec(cli: Any) -> None:
    def walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
        paths = [prefix]
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                paths += walk(command, [*prefix, name])
            else:
                paths.append([*prefix, name])
        return paths

    commands = walk(cli_group, [])
    assert len(commands) >= 12
    for args in commands:
        r = cli(*args, "--help")
        assert r.code == 0 and "Usage:" in r.out
        assert not SPEC.search(r.out + r.err), args


def test_messages_never_cite_the_spec(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "agency.yaml").write_text("staff:\n  - id: S-1\n    hire_date: X\n")
    outputs = []
    for fmt in ("text", "json"):
        outputs.append(cli("validate", tmp_path / "schema", "--format", fmt))
        outputs.append(cli("verify", corpus("001-"), "--format", fmt))
    outputs.append(cli("build", tmp_path / "schema", "-o", tmp_path / "out"))
    outputs.append(cli("validate", tmp_path / "missing"))
    outputs.append(cli("build", copy_sample(tmp_path / "ok"), "-o", tmp_path / "ok-out"))
    assert [r.code for r in outputs] == [1, 1, 1, 1, 1, 2, 0]
    assert "schema-invalid" in outputs[0].out and "Step 7/7" in outputs[-1].err
    for r in outputs:
        assert not SPEC.search(r.out + r.err), r


def docx_text(blob: bytes) -> str:
    import io

    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        xml = " ".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/") and ".xml" in n
        )
    return re.sub(r"<[^>]+>", "", xml)


def test_no_spec_in_the_packet_word_copies_or_reports(built: Path) -> None:
    reader = pypdf.PdfReader(packet_of(built))
    pages = {f"page {i + 1}": text for i, text in enumerate(page_texts(packet_of(built)))}
    assert len(pages) > 20 and all(pages.values())
    words = {p.name: docx_text(p.read_bytes()) for p in (built / "documents").glob("*.docx")}
    assert len(words) >= 10 and all(words.values())
    reports = {p.name: p.read_text() for p in (built / "readiness.json", built / "manifest.json")}
    reports["metadata"] = yaml.safe_dump({str(k): str(v) for k, v in reader.metadata.items()})
    offenders = [name for name, text in {**pages, **words, **reports}.items() if SPEC.search(text)]
    assert offenders == []
