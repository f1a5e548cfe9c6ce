"""The readable JSON writer (`cmpacket._json`) writes exactly what `json.dumps` writes."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cmpacket import _json

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans())
def test_the_text_is_json_dumps_text(doc: Any, ascii_only: bool) -> None:
    expected = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=ascii_only)
    assert _json.dumps(doc, ensure_ascii=ascii_only) == expected
    if not ascii_only:  # the manifest's bytes
        assert _json.encode(doc) == (expected + "\n").encode("utf-8")


class _Text(str):
    pass


def test_what_json_dumps_treats_its_own_way_is_left_to_it() -> None:
    # keys that are not strings are converted and sorted by json.dumps; str subclasses and
    # values it cannot encode keep its behaviour, TypeError included
    for doc in ({2: "a", 1: "b"}, {"k": _Text("v")}, [True, 1.5, {"x": [None]}]):
        expected = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
        assert _json.dumps(doc) == expected
        assert _json.encode(doc) == (expected + "\n").encode()
    try:
        _json.dumps({"k": object()})
    except TypeError as exc:
        assert "not JSON serializable" in str(exc)
    else:
        raise AssertionError("an object JSON cannot hold was written")


def test_a_manifest_sized_document_is_the_same_text() -> None:
    pages = [f"{i:064x}" for i in range(5000)]
    doc = {"sections": [{"documents": [{"pages": pages, "first_page": 1, "title": "Rôster"}]}]}
    assert _json.dumps(doc) == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)


def test_a_file_written_as_it_is_made_holds_the_same_text(tmp_path: Any) -> None:
    """`write` flushes every CHUNK pieces; a value left to json.dumps half way through the
    document starts the file again, so nothing written before it stays."""
    rows = [{"code": f"c{i}", "message": "é" * (i % 7), "n": i / 3} for i in range(3 * _json.CHUNK)]
    for doc in ({"findings": rows}, {"findings": rows, "z": {2: "a", 1: "b"}}):
        path = tmp_path / "out.json"
        _json.write(doc, path)
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert path.read_bytes() == text.encode("utf-8")


def test_a_large_document_is_never_held_as_its_pieces() -> None:
    """A manifest's pieces (a million at 2,000 staff) took seven times its text's memory."""
    doc = {"pages": [{"n": i, "sha256": f"{i:064x}", "label": f"R1-{i:06d}"} for i in range(20000)]}
    expected = json.dumps(doc, indent=2, sort_keys=True)
    for make, limit in ((_json.dumps, 2.5), (_json.encode, 2.5)):
        tracemalloc.start()
        try:
            made = make(doc)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert made in (expected, (expected + "\n").encode())
        assert peak < limit * len(expected), f"{make.__name__}: {peak / len(expected):.1f} times"
