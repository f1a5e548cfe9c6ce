"""What a build keeps in memory once a stage is done with it (issue 28: memory bounded by the
work, not by the agency): the proofs' text is read by the rules and then let go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmpacket import api
from cmpacket.pipeline import _packet
from cmpacket.validators import _evidence
from tests.conftest import copy_sample


def test_the_proofs_text_is_let_go_once_the_rules_have_read_it(
    tmp_path: Path, monkeypatch: Any, fake_renderer: None
) -> None:
    seen: list[Any] = []
    real = _packet.stage.plan

    def spy(ws: Any, validated: Any) -> Any:
        seen.append(validated)
        return real(ws, validated)

    monkeypatch.setattr(_packet.stage, "plan", spy)
    folder = copy_sample(tmp_path)
    result = api.build(folder, api.Options(quiet=True, no_cache=True), out=tmp_path / "out")
    (validated,) = seen
    checked = [e for e in result.report.evidence if e.checked]
    assert len(checked) >= 5  # the rules read the proofs' text ...
    assert validated.intaken and all(it.facts.pages for it in validated.intaken.values())
    assert not [p for p, it in validated.intaken.items() if it.facts.text]  # ... and let it go
    held = [key for key in _evidence._MEMO if any(isinstance(part, tuple) for part in key[:1])]
    assert not held, "the proof matcher's memo holds a proof's text"


def test_the_matchers_memo_knows_a_text_by_its_digest() -> None:
    pages = ("Name: Maria Lopez\nLicense number 150.123456\nExpires 11/30/2027",)
    values = (("name", "staff[0].name", "Maria Lopez"),)
    first = _evidence.match_proof(pages, "license", "uploads/x.pdf", values)
    assert first[0] == ("name",)
    assert all(pages[0] not in str(key) for key in _evidence._MEMO)
    # the same text (another string object) is known; a different one is matched on its own
    again = _evidence.match_proof(("".join(pages[0]),), "license", "uploads/x.pdf", values)
    assert again is first
    other = _evidence.match_proof(("Name: Tomas Lopez",), "license", "uploads/x.pdf", values)
    assert other[0] == ()
