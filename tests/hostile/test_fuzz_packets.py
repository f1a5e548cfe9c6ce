"""Property-based fuzzing of the reviewer side: mutated packets through verify, inspect and diff.

Whatever the mutation (bytes flipped, cut or spliced; objects swapped; manifest fields replaced
with any JSON), each command exits 0, 1 or 2 with no internal error. The default run is short;
set CMPACKET_FUZZ_EXAMPLES=500 for a longer one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import packet_of

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("CMPACKET_FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def original(built: Path) -> Path:
    return packet_of(built)


def run_all(cli: Any, original: Path, body: bytes) -> None:
    """verify, inspect and diff on the mutated packet: exit 0/1/2, never an internal error."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "mutated.pdf"
        target.write_bytes(body)
        for args in (
            ("verify", target, "--format", "json"),
            ("inspect", target),
            ("diff", original, target),
        ):
            r = cli(*args)
            assert r.code in (0, 1, 2), (args[0], r.code, r.err)
            assert "internal error" not in r.err and "Traceback" not in r.err, (args[0], r.err)
            if args[0] == "verify" and r.code != 2:
                report = r.json()
                assert report["ok"] is (r.code == 0)
                assert all(f["code"] and f["message"] for f in report["findings"])


@FUZZ
@given(st.data())
def test_bytes_flipped_cut_or_spliced(cli: Any, original: Path, data: Any) -> None:
    body = bytearray(original.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        if not body:
            break
        kind = data.draw(st.sampled_from(["flip", "cut", "splice", "truncate"]))
        at = data.draw(st.integers(0, max(len(body) - 1, 0)))
        if kind == "flip":
            body[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del body[at : at + data.draw(st.integers(1, 2000))]
        elif kind == "splice":
            body[at:at] = data.draw(st.binary(min_size=1, max_size=64))
        else:
            del body[at:]
    run_all(cli, original, bytes(body))


@FUZZ
@given(st.data())
def test_objects_swapped(cli: Any, original: Path, data: Any) -> None:
    with pikepdf.open(original) as pdf:
        ids = sorted(obj.objgen for obj in pdf.objects if obj.is_indirect)
        for _ in range(data.draw(st.integers(1, 4))):
            a = data.draw(st.sampled_from(ids))
            b = data.draw(st.sampled_from(ids))
            if a != b:
                pdf._swap_objects(a, b)  # every reference to a now reaches b's body
        buf = io.BytesIO()
        try:
            pdf.save(buf)
        except (pikepdf.PdfError, RecursionError, ValueError, TypeError):
            return  # qpdf itself cannot write this mutation
    run_all(cli, original, buf.getvalue())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):
            out += _paths(item, (*path, i))
    return out


@FUZZ
@given(st.data())
def test_manifest_fields_replaced(cli: Any, original: Path, data: Any) -> None:
    with pikepdf.open(original) as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
        paths = [p for p in _paths(manifest) if p]
        for _ in range(data.draw(st.integers(1, 4))):
            path = data.draw(st.sampled_from(paths))
            parent = manifest
            try:
                for part in path[:-1]:
                    parent = parent[part]
                if data.draw(st.booleans()):
                    parent[path[-1]] = data.draw(json_values)
                elif isinstance(parent, dict):
                    del parent[path[-1]]
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed or replaced this path
        body = json.dumps(manifest).encode()
        pdf.attachments["manifest.json"].get_file().obj.write(body)
        buf = io.BytesIO()
        pdf.save(buf)
    run_all(cli, original, buf.getvalue())
