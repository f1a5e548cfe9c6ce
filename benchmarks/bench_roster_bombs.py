"""Peak memory and time of reading hostile roster workbooks (SPEC §17: refused within bounded
memory). Each case is written to a temporary folder, then read in a fresh process that prints
its own peak RSS; the target is under 300 MB for every case.

    python benchmarks/bench_roster_bombs.py            # every case, about two minutes
    python benchmarks/bench_roster_bombs.py --quick    # smaller files, seconds

The 50 MB case is a real workbook of a million rows of numbers; the reader must refuse it
(more than 20,000 rows) without reading it all.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_MB = 300
# Linux keeps a process's peak RSS across fork and exec, so the files are made in one child and
# read in another: this process stays small and the reader's figure is its own.
MAKER = """
import sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from bench_roster_bombs import cases
from pathlib import Path
cases(sys.argv[3] == "quick")[sys.argv[2]](Path(sys.argv[4]))
"""
CHILD = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from cmpacket.errors import InputError
from cmpacket.model._sheets import read_staff_sheet
path = Path(sys.argv[1])
if sys.argv[2] == "import-only":
    outcome = "imports only"
else:
    try:
        got = read_staff_sheet(path, path.name)
        outcome = f"read {len(got.rows)} rows"
    except InputError as exc:
        outcome = "refused: " + exc.message.splitlines()[0]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"outcome": outcome, "rss": rss, "seconds": time.perf_counter() - start}))
"""


def cases(quick: bool) -> dict[str, Callable[[Path], Path]]:
    from tests import roster_files as rf

    big = 150_000 if quick else 1_000_000
    roster = [["id", "name", "fte", "caseload", "hire_date", "license1_number"]] + [
        [f"S-{i:05d}", f"Person {i}", 1.0, 25, "2024-03-01", f"150.{i:06d}"] for i in range(2000)
    ]
    return {
        "baseline (imports)": lambda p: rf.xlsx(p / "staff.xlsx", [["id"]]),
        "2,000-staff roster (xlsx)": lambda p: rf.xlsx(p / "staff.xlsx", roster),
        "2,000-staff roster (ods)": lambda p: rf.ods(
            p / "staff.ods", {"staff": [rf.ods_row(r) for r in roster]}
        ),
        "roster at the caps: 20,000 rows x 10 columns": lambda p: rf.xlsx(
            p / "staff.xlsx",
            [["id", "name", *[f"training{i}_hours" for i in range(1, 9)]]]
            + [[f"S-{i}", f"P {i}", *range(8)] for i in range(19_999)],
        ),
        f"{big:,} rows of numbers, declared": lambda p: rf.million_rows(
            p / "staff.xlsx", big, declare=True
        ),
        f"{big:,} rows of numbers, undeclared": lambda p: rf.million_rows(
            p / "staff.xlsx", big, declare=False
        ),
        f"{big:,} rows of numbers, dimension claims A1:F100": lambda p: rf.million_rows(
            p / "staff.xlsx", big, declare="A1:F100"
        ),
        "dimension A1:XFD1048576": lambda p: rf.far_cell(p / "staff.xlsx", declare=True),
        "a value in XFD1048576, no dimension": lambda p: rf.far_cell(
            p / "staff.xlsx", declare=False
        ),
        "zip bomb: 1 GB sheet part": lambda p: rf.zip_bomb(p / "staff.xlsx", 64 if quick else 1024),
        "3,500,000 shared strings": lambda p: rf.shared_strings(
            p / "staff.xlsx", 500_000 if quick else 3_500_000
        ),
        "billion laughs in shared strings": lambda p: rf.entity_bomb(p / "staff.xlsx"),
        "60,000 zip entries": lambda p: rf.many_entries(p / "staff.xlsx", 60_000),
        "ods: a row repeated 1,048,576 times": lambda p: rf.ods(
            p / "staff.ods",
            {"staff": [rf.ods_row(["id"]), rf.ods_row(["S-1", "x"], repeat=1_048_576)]},
        ),
        "ods: empty rows repeated to the end": lambda p: rf.ods(
            p / "staff.ods",
            {"staff": [rf.ods_row(["id"]), rf.ods_row(["S-1"]), rf.ods_row([], repeat=1_048_574)]},
        ),
        f"ods: {big:,} real rows": lambda p: rf.ods(
            p / "staff.ods", {"staff": (rf.ods_row([i if i else "id"]) for i in range(big))}
        ),
        "ods roster at the caps: 20,000 rows x 10 columns": lambda p: rf.ods(
            p / "staff.ods",
            {
                "staff": [rf.ods_row(["id", "name", *[f"training{i}_hours" for i in range(1, 9)]])]
                + [rf.ods_row([f"S-{i}", f"P {i}", *range(8)]) for i in range(19_999)]
            },
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller files")
    args = parser.parse_args()
    print(f"{'case':<52} {'file MB':>8} {'peak RSS MB':>12} {'s':>6}  outcome")
    worst = 0.0
    size_arg = "quick" if args.quick else "full"
    for name in cases(args.quick):
        with tempfile.TemporaryDirectory(prefix="cmpacket-roster-bomb-") as tmp:
            maker = [sys.executable, "-c", MAKER, str(ROOT), name, size_arg, tmp]
            subprocess.run(maker, check=True)
            (path,) = Path(tmp).glob("staff.*")
            mode = "import-only" if name.startswith("baseline") else "read"
            t0 = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True
            )
            if run.returncode != 0:
                print(f"{name:<52} crashed ({time.perf_counter() - t0:.1f} s): {run.stderr[-300:]}")
                worst = float("inf")
                continue
            got = json.loads(run.stdout)
            worst = max(worst, got["rss"])
            size = path.stat().st_size / 2**20
            print(
                f"{name:<52} {size:8.1f} {got['rss']:12.0f} {got['seconds']:6.1f}  "
                f"{got['outcome'][:90]}"
            )
    verdict = "met" if worst < TARGET_MB else "NOT met"
    print(f"worst peak RSS {worst:.0f} MB: target < {TARGET_MB} MB {verdict}")


if __name__ == "__main__":
    main()
