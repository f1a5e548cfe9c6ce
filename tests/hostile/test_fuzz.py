"""Property-based fuzzing of the schema loader and the upload intake.

The default run is short; set CMPACKET_FUZZ_EXAMPLES=2000 for a longer one.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import pikepdf
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmpacket.errors import CmpacketError
from cmpacket.intake import take_in
from cmpacket.intake._bounded import page_streams
from cmpacket.model import load_folder
from cmpacket.model._field_paths import SCHEMAS
from tests.conftest import corpus

EXAMPLES = int(os.environ.get("CMPACKET_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

FIELD_NAMES = sorted({name for schema in SCHEMAS.values() for name in schema().fields})
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=False),
    st.text(max_size=20), st.dates().map(str), st.dates(),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=5)
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=8)


def _load(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "agency.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        try:
            loaded = load_folder(Path(tmp))
        except CmpacketError:
            return
        assert loaded.data is not None or all(
            f.code == "schema-invalid" or f.code == "unknown-field" for f in loaded.findings
        )


@FUZZ
@given(documents)
def test_any_structure_loads_or_reports(doc: dict[str, Any]) -> None:
    _load(yaml.safe_dump(doc, allow_unicode=True))


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_load_or_fail_cleanly(raw: bytes) -> None:
    _load(raw)


SEEDS = [corpus(n).read_bytes() for n in ("001-", "004-", "010-", "012-", "014-", "025-")]


@FUZZ
@given(st.data())
def test_mutated_real_pdfs_never_escape_as_exceptions(data: st.DataObject) -> None:
    body = bytearray(data.draw(st.sampled_from(SEEDS)))
    for _ in range(data.draw(st.integers(1, 12))):
        kind = data.draw(st.sampled_from(["flip", "cut", "splice", "stream"]))
        at = data.draw(st.integers(0, max(len(body) - 1, 0)))
        if kind == "stream":  # a bit flipped inside compressed stream data
            start = body.find(b"stream", at)
            start = body.find(b"stream", 0) if start < 0 else start
            if start >= 0:
                where = min(start + data.draw(st.integers(8, 400)), len(body) - 1)
                body[where] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "flip":
            body[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del body[at : at + data.draw(st.integers(1, 500))]
        else:
            body[at:at] = data.draw(st.binary(min_size=1, max_size=40))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.pdf"
        path.write_bytes(bytes(body))
        facts, clean = take_in(path, None)  # what a build does with every upload; never raises
        kinds = ("unreadable", "encrypted", "too-large", "active-content", "repaired")
        assert all(kind in kinds for kind, _ in facts.problems)
        assert (clean is not None) == facts.usable
        if clean is not None:
            with pikepdf.open(io.BytesIO(clean)) as pdf:
                assert len(pdf.pages) == facts.pages
                for page in pdf.pages:  # what intake accepts, later stages can read
                    for _, stream in page_streams(page.obj):
                        if stream.get("/Subtype") != "/Image":
                            stream.read_bytes()
