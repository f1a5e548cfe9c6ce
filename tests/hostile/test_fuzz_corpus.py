"""The black-box fuzz corpus (benchmarks/fuzz.py) in a reduced form: seeded mutated agency folders
through `cmpacket validate` (two of them also `build --draft`), mutated and hostile packets
through `verify`, `inspect` and `diff`, each the real console script in its own process. No run
may end in an internal error, a timeout or an exit code other than 0, 1 or 2, nor alter any of
its inputs. The full run and its figures: benchmarks/README.md, "Fuzz corpus"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, packet_of

pytestmark = pytest.mark.e2e

sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz  # noqa: E402


def test_a_reduced_fuzz_run_has_no_internal_error_and_alters_no_input(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fuzz"
    args = ["--seed", "27", "--cases", "8", "--build-every", "4", "--packet-cases", "6",
            "--hostile", "2", "--jobs", "2", "--timeout", "120", "--out", str(out),
            "--base", str(packet_of(built))]  # fmt: skip
    code = fuzz.main(args)
    printed = capsys.readouterr().out
    runs: list[dict[str, Any]] = [json.loads(line) for line in (out / "results.jsonl").open()]
    summary = json.loads((out / "summary.json").read_text())

    by_command: dict[str, int] = {}
    for run in runs:
        key = f"{run['side']}: {run['command']}"
        by_command[key] = by_command.get(key, 0) + 1
    assert by_command["agency: validate"] == 8
    assert by_command["agency: build --draft"] == 2  # cases 0 and 4
    for command in ("verify", "inspect", "diff"):
        assert by_command[f"packet: {command}"] == 8  # 6 mutated, 2 hostile
    # the mutations are what they claim: seeded, and at least two kinds on each side
    assert len({run["notes"][0].split(":")[0] for run in runs if run["side"] == "agency"}) >= 2
    assert len({run["notes"][0] for run in runs if run["side"] == "packet"}) >= 2

    bad = [(r["case"], r["command"], r["code"], r["notes"], r["stderr_tail"]) for r in runs
           if r["internal"] or r["timed_out"] or r["altered"] or r["code"] not in (0, 1, 2)]  # fmt: skip
    assert bad == [], bad
    assert code == 0 and summary["internal"] == 0 and summary["altered"] == 0
    assert all(run["peak_mb"] > 10 for run in runs)  # the meter measured cmpacket itself
    assert "internal errors: 0" in printed and "inputs altered: 0" in printed
    assert "agency: validate" in printed and "exit 1" in printed  # the histogram


def test_the_corpus_is_seeded(tmp_path: Path) -> None:
    """The same seed makes the same mutated inputs (a failing case can be made again)."""
    base = tmp_path / "base.pdf"  # a stand-in: only a response's base mutation copies it
    base.write_bytes(b"%PDF-1.7\n%%EOF\n")
    made = []
    for name in ("a", "b"):
        root = tmp_path / name
        cases = [fuzz.agency_case(i, 27, root, base, 0, "never") for i in range(6)]
        digests = fuzz.hashes([root / "agency"])
        cut = len(str(root))  # symlinks name their absolute target: compared by notes only
        made.append(([c.notes for c in cases],
                     {k[cut:]: v for k, v in digests.items() if not v.startswith("link:")}))  # fmt: skip
    assert made[0] == made[1]
    assert len({str(notes) for notes in made[0][0]}) == 6  # six different cases


@pytest.mark.parametrize("shape", ["rows", "columns"])
def test_a_staff_csv_past_the_roster_caps_is_refused_in_bounded_memory(
    tmp_path: Path, shape: str
) -> None:
    """The fuzz found it: a 25,000-row staff.csv was read whole and validated (296 MB, 26 s),
    where a roster workbook is refused at row 20,001; a CSV may hold 20 MB of rows (about
    300,000). Now the same caps as a workbook: 20,000 rows, 1,000 columns (exit 2)."""
    from tests.conftest import copy_sample
    from tests.hostile.test_bombs import run_measured

    folder = copy_sample(tmp_path)
    if shape == "rows":
        rows = "".join(f"S-{n:06},Person {n},case-manager\n" for n in range(60_000))
        (folder / "staff.csv").write_text("id,name,position\n" + rows)
        expected = "staff.csv:20002: more than 20,000 staff rows"
    else:
        header = "id" + "".join(f",training{n}_date" for n in range(1, 1001))
        (folder / "staff.csv").write_text(header + "\nS-100" + ",2026-01-01" * 1000 + "\n")
        expected = "staff.csv:1: the header has 1,001 columns; a roster may have at most 1,000"
    code, output, peak = run_measured("validate", folder)
    assert code == 2 and expected in output, (code, output[-500:])
    assert "internal error" not in output and "Traceback" not in output
    assert peak < 150, peak


def test_a_draft_with_two_staff_sharing_an_id_shows_each_ones_proofs(
    tmp_path: Path, cli: Any
) -> None:
    """The fuzz found it: a staff.csv row reusing an agency.yaml staff id (S-004, who holds a
    license) ended `build --draft` with "internal error: IndexError" (the evidence table looked
    the license up on the other S-004, who has none)."""
    from tests.conftest import copy_sample

    folder = copy_sample(tmp_path)
    (folder / "staff.csv").write_text("id,name,position\nS-004,Ann Lee,intake-coordinator\n")
    validate = cli("validate", folder, "--ocr", "never")
    assert validate.code == 1 and "S-004" in validate.out, validate.out
    r = cli("build", folder, "-o", tmp_path / "out", "--draft", "--ocr", "never")
    assert r.code == 0, r.err[-1000:]
    assert "internal error" not in r.err
    text = subprocess.run(
        ["pdftotext", str(packet_of(tmp_path / "out")), "-"], capture_output=True, text=True
    ).stdout
    assert "LSW 150.123456" in text  # Maria Lopez's license, in the evidence list
