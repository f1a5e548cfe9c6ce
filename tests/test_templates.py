"""Templates: search path, export, check, overrides, and the sandbox (no escapes, no network)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

import pytest

from cmpacket import api
from tests.conftest import ROOT, copy_sample, page_texts


def test_list_names_every_template_with_extension(cli: Any, sample: Path) -> None:
    r = cli("templates", "list", sample)
    assert r.code == 0
    for name in ("job-description.html.j2", "policies/crisis-services.txt.j2", "packet.css"):
        assert name in r.out
    # the Word copies are made from the HTML: no built-in Word template to keep in step
    assert ".docx" not in r.out
    from docx import Document

    (sample / "templates" / "word").mkdir(parents=True)
    Document().save(str(sample / "templates" / "word" / "policy-manual.docx"))
    r = cli("templates", "list", sample)
    line = next(x for x in r.out.splitlines() if x.startswith("word/policy-manual.docx"))
    assert str(sample / "templates" / "word" / "policy-manual.docx") in line
    (sample / "templates" / "cover.html.j2").write_text("{% extends '_base.html.j2' %}")
    r = cli("templates", "list", sample)
    line = next(x for x in r.out.splitlines() if x.startswith("cover.html.j2"))
    assert str(sample / "templates" / "cover.html.j2") in line and "overrides 1" in line


def test_export_to_file_and_folder_and_refuse_overwrite(cli: Any, tmp_path: Path) -> None:
    r = cli("templates", "export", "policies/caseload.txt.j2", tmp_path / "t.txt.j2")
    assert r.code == 0 and "caseload_limit" in (tmp_path / "t.txt.j2").read_text()
    target = tmp_path / "one.html.j2"
    assert cli("templates", "export", "cover.html.j2", target).code == 0
    assert "Certification Packet" in target.read_text()
    (tmp_path / "dir").mkdir()
    assert cli("templates", "export", "policies/caseload.txt.j2", tmp_path / "dir").code == 0
    assert (tmp_path / "dir" / "policies" / "caseload.txt.j2").is_file()
    r = cli("templates", "export", "cover.html.j2", target)
    assert r.code == 2 and "never overwrites" in r.err
    r = cli("templates", "export", "nope.html.j2", tmp_path / "x")
    assert r.code == 2 and "cover.html.j2" in r.err


def test_check_passes_on_builtins_and_names_undefined_variable_with_line(
    cli: Any, sample: Path
) -> None:
    assert cli("templates", "check", sample).code == 0
    (sample / "templates" / "policies").mkdir(parents=True)
    (sample / "templates" / "policies" / "grievances.txt.j2").write_text(
        "Line one\n\nWe answer in {{ policies.grievance_days }} days.\n"
    )
    (sample / "templates" / "broken.html.j2").write_text("<p>{% if x %}</p>\n")
    r = cli("templates", "check", sample)
    assert r.code == 1
    assert "grievances.txt.j2:3" in r.out and "grievance_days" in r.out
    assert "broken.html.j2:1" in r.out and "syntax error" in r.out


def test_printing_a_method_is_an_error_with_its_line_never_garbage(cli: Any, sample: Path) -> None:
    """`x.items` on a mapping is the dict's method: printing it would put an address that
    changes every run into the packet; `templates check` names the line instead."""
    (sample / "templates" / "policies").mkdir(parents=True)
    (sample / "templates" / "policies" / "grievances.txt.j2").write_text(
        "Line one\n\nWe answer within {{ policies.keys }} days.\n"
    )
    r = cli("templates", "check", sample)
    assert r.code == 1, r.out
    assert "grievances.txt.j2:3" in r.out and "'keys'" in r.out and "0x" not in r.out


def test_override_changes_the_output(tmp_path: Path) -> None:

    folder = copy_sample(tmp_path)
    (folder / "templates" / "policies").mkdir()
    (folder / "templates" / "policies" / "grievances.txt.j2").write_text(
        "Complaints go to the ombudsman of {{ agency.display_name }} within 5 days.\n"
    )
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    text = " ".join(page_texts(result.packet))
    assert "Complaints go to the ombudsman of Prairie Care within 5 days." in " ".join(text.split())
    import json

    man = json.loads(result.manifest.read_text())
    (entry,) = [t for t in man["templates"] if t["name"] == "policies/grievances.txt.j2"]
    assert entry["origin"] == "templates"


def _build_with_template(tmp_path: Path, name: str, text: str, cli: Any) -> Any:
    folder = copy_sample(tmp_path)
    (folder / "templates" / name).write_text(text)
    return cli("build", folder, "-o", tmp_path / "out", "-q"), tmp_path / "out"


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{% include '../../../../etc/passwd' %}",
        "{% include '/etc/passwd' %}",
        "{{ agency.no_such_field }}",
    ],
)
def test_hostile_templates_fail_cleanly_with_exit_3(tmp_path: Path, cli: Any, body: str) -> None:
    r, out = _build_with_template(
        tmp_path,
        "cover.html.j2",
        "{% extends '_base.html.j2' %}{% block body %}" + body + "{% endblock %}",
        cli,
    )
    assert r.code == 3, r.err
    assert "cover.html.j2" in r.err and "Traceback" not in r.err
    assert not out.exists() or not list(out.glob("*.pdf"))
    assert "root:" not in r.err and "uid=" not in r.err


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    "body",
    [
        '<style>@import url("{url}/import.css");</style>',
        '<style>body {{ background: url("{url}/bg.png"); }}</style>',
        '<link rel="stylesheet" href="{url}/link.css">',
        '<img src="{url}/img.png">',
        '<img src="file://{secret}">',
        '<img src="../../../../etc/passwd">',
    ],
)
def test_templates_cannot_reach_the_network_or_files_outside_the_roots(
    tmp_path: Path, cli: Any, body: str
) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not really")
    page = body.format(url=url, secret=secret) + "<p>Cover</p>"
    try:
        r, out = _build_with_template(
            tmp_path,
            "cover.html.j2",
            "{% extends '_base.html.j2' %}{% block body %}" + page + "{% endblock %}",
            cli,
        )
    finally:
        server.shutdown()
    assert _Recorder.hits == []
    assert r.code == 3 and "cover.html.j2" in r.err and "Traceback" not in r.err
    assert "refused to load" in r.err or "not a file on the template search path" in r.err
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_templates_may_load_their_own_files(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    (folder / "templates" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#1f3a5f"/></svg>'
    )
    (folder / "templates" / "cover.html.j2").write_text(
        "{% extends '_base.html.j2' %}{% block body %}<img src=\"logo.svg\"><h1>{{ agency.legal_name }}</h1>{% endblock %}"
    )
    r = cli("build", folder, "-o", tmp_path / "out", "-q")
    assert r.code == 0, r.err
    import json

    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert any(t["name"] == "logo.svg" and t["origin"] == "templates" for t in man["templates"])


def test_the_documented_variables_are_exactly_what_the_context_builder_makes(
    tmp_path: Path,
) -> None:
    """docs/templates.md's variable table and the one context builder cannot drift apart."""
    import re

    from cmpacket.findings import Report
    from cmpacket.model import example_data
    from cmpacket.plan import Planned, plan
    from cmpacket.render import build_context
    from cmpacket.render._check import _extras
    from cmpacket.templates import TemplateRegistry
    from cmpacket.validators import load_profile

    data = example_data(tmp_path)
    profile = load_profile("il-guide")
    registry = TemplateRegistry.for_agency(None, ())
    pieces = plan(data)
    ctx = build_context(
        data,
        profile,
        Report(data.submission.date, profile.name),
        Planned(pieces, [], "0" * 16, "packet.pdf", whole=tuple(pieces)),
        registry,
        draft=False,
    )
    made = set(ctx) | set(_extras(ctx))
    text = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    table = text.split("## Variables", 1)[1].split("\n## ", 1)[0]
    documented = {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`(\w+)`", row.split("|")[1])
    }
    assert documented == made, (
        f"undocumented: {sorted(made - documented)}; documented but never made: "
        f"{sorted(documented - made)}"
    )


def test_check_renders_a_user_word_template(cli: Any, sample: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("Agreement of {{ agency.legal_name }} ({{ agency.no_such_field }})")
    (sample / "templates" / "word").mkdir(parents=True)
    doc.save(str(sample / "templates" / "word" / "agreement.docx"))
    r = cli("templates", "check", sample)
    assert r.code == 1
    line = next(x for x in r.out.splitlines() if "agreement.docx" in x)
    assert str(sample / "templates" / "word" / "agreement.docx") in line
    assert "no_such_field" in line


def test_a_template_edited_between_builds_of_one_process_is_compiled_again(tmp_path: Path) -> None:
    """Templates compiled once per process are reused only while their source is the same."""
    from cmpacket.templates import TemplateRegistry

    root = tmp_path / "templates"
    root.mkdir()
    page = root / "note.html.j2"
    seen = []
    for body in ("First {{ n }}.", "Second {{ n }}.", "First {{ n }}."):
        page.write_text(body)
        seen.append(TemplateRegistry([root]).env.get_template("note.html.j2").render(n=1))
    assert seen == ["First 1.", "Second 1.", "First 1."]


def _page_size(pdf: bytes) -> tuple[int, int]:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        box = [round(float(v)) for v in doc.pages[0].mediabox]
    return box[2] - box[0], box[3] - box[1]


def test_the_house_stylesheet_edited_between_documents_of_one_process_is_applied(
    tmp_path: Path,
) -> None:
    """packet.css is parsed once per process and reused only while its bytes are the same: an
    override edited in a preview session changes the next document."""
    from cmpacket.convert import html_to_pdf
    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

    root = tmp_path / "templates"
    root.mkdir()
    house = (BUILTIN_ROOT / "packet.css").read_text()
    html = '<html><head><link rel="stylesheet" href="packet.css"></head><body><p>Text.</p></body></html>'
    sizes = []
    for size in ("A5", "letter", "A5"):
        (root / "packet.css").write_text(house + f"\n@page {{ size: {size}; }}\n")
        sizes.append(_page_size(html_to_pdf(html, TemplateRegistry([root]), "note.html.j2")))
    assert sizes == [(420, 595), (612, 792), (420, 595)]


def test_a_templates_own_style_wins_over_the_house_stylesheet(tmp_path: Path) -> None:
    from cmpacket.convert import html_to_pdf
    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

    registry = TemplateRegistry([BUILTIN_ROOT])
    link = '<link rel="stylesheet" href="packet.css">'
    own = "<style>@page { size: A5 }</style>"
    assert _page_size(
        html_to_pdf(f"<html><head>{link}</head><body>x</body></html>", registry, "a")
    ) == (612, 792)
    assert _page_size(
        html_to_pdf(f"<html><head>{link}{own}</head><body>x</body></html>", registry, "b")
    ) == (420, 595)
    # a base template that does not link the house stylesheet does not get it
    assert _page_size(html_to_pdf("<html><body>x</body></html>", registry, "c")) == (595, 842)
