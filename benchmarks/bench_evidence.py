"""What reading and checking the proofs adds to a cold build: issue 15's budget of 10 %.

    python benchmarks/bench_evidence.py --staff 500 --runs 3     # about 4 minutes on 2 cores

Makes the benchmark agency (make_agency.py: per staff member a license printout, a Registry
printout and a diploma, all text PDFs: 1,500 proofs), then builds it cold (`--no-cache`,
`--ocr never`) in fresh processes, alternating: with the built-in profile, and with a copy of it
that turns the four evidence rules off (so no proof is read, matched or listed); and a third way, with the rules on but the
readiness report's evidence list left out (a template override, as a grant writer could make),
which separates reading and matching from showing the list. Prints each
run, the medians and their ratio, and each run's ratio (a run is a pair built one after the
other, so a change in the machine's load falls on both of its builds) with their median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_agency import make  # noqa: E402

from cmpacket.validators import EVIDENCE_RULES  # noqa: E402


def cold(agency: Path, out: Path, profile: list[str]) -> float:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    cmd = [sys.executable, "-m", "cmpacket", "build", str(agency), "-o", str(out), "-q"]
    cmd += ["--no-cache", "--ocr", "never", *profile]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        agency = make(args.staff, 3, 2, work / "agency", realistic=False)
        off = work / "no-evidence.yaml"
        off.write_text(
            "extends: il-guide\nrules:\n"
            + "".join(f"  - {{code: {c}, enabled: false}}\n" for c in EVIDENCE_RULES)
        )
        builtin = Path(__import__("cmpacket").__file__).parent / "templates" / "builtin"
        source = (builtin / "readiness-report.html.j2").read_text()
        unlisted = (
            source[: source.index("{# evidence")] + source[source.index("{# end evidence #}") :]
        )
        (work / "no-list").mkdir()
        (work / "no-list" / "readiness-report.html.j2").write_text(unlisted)
        configs = (
            ("without", ["--profile", str(off)]),
            ("with", []),
            ("no list", ["--template-dir", str(work / "no-list")]),
        )
        times: dict[str, list[float]] = {label: [] for label, _ in configs}
        for run in range(args.runs):
            for label, profile in configs:
                seconds = cold(agency, work / f"out-{label}", profile)
                times[label].append(seconds)
                print(f"run {run + 1}: {label:7} {seconds:6.2f} s", flush=True)
        base, full = (statistics.median(times[k]) for k in ("without", "with"))
        print(f"{args.staff} staff, cold build, median of {args.runs}:")
        print(f"  without evidence {base:.2f} s, with evidence {full:.2f} s")
        print(f"  with / without: {full / base:.3f} (target <= 1.10)")
        for label in ("with", "no list"):
            pairs = [w / o for w, o in zip(times[label], times["without"], strict=True)]
            shown = ", ".join(f"{r:.3f}" for r in pairs)
            print(f"  {label} / without, per run: {shown}; median {statistics.median(pairs):.3f}")
        quiet = statistics.median(times["no list"])
        print(f"  reading and matching only (no list): {quiet:.2f} s, {quiet / base:.3f}")
        print(f"  load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
