"""The test resources live in the repository, each listed with its source and license."""

from __future__ import annotations

import re

from tests.conftest import CORPUS, CORPUS_GLOB, ROOT

RESOURCES = ROOT / "tests" / "resources"


def test_every_resource_is_listed_once_with_source_and_license() -> None:
    readme = (RESOURCES / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \| (.+?) \|$", readme, flags=re.M)
    listed = [name for name, _, _ in rows]
    files = sorted(str(p.relative_to(RESOURCES)) for p in RESOURCES.rglob("*") if p.is_file())
    assert sorted(listed) == [f for f in files if f != "README.md"]
    assert len(set(listed)) == len(listed)
    assert all(source.strip() and license.strip() for _, source, license in rows)


def test_the_real_pdf_corpus_is_in_the_repository() -> None:
    pdfs = sorted(CORPUS.glob(CORPUS_GLOB))
    assert CORPUS.is_relative_to(ROOT) and len(pdfs) == 21
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
