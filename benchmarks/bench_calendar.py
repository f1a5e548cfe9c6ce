"""What `cmpacket calendar` costs at a given size (SPEC §17; target: under 1 s at 500 staff).

    python benchmarks/bench_calendar.py                 # 500 staff
    python benchmarks/bench_calendar.py --staff 60 --runs 5

Generates the agency with make_agency.py (one upload per staff member: the calendar reads no
uploads, so more would only slow the generator), then prints, measured in this run:
- `api.calendar` in this process once the library is imported (load the folder and the profile,
  list the obligations, write the calendar), best of --runs, per format;
- the whole command, `cmpacket calendar DIR -o FILE`, in a fresh process (Python start and the
  library's import included), best of --runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_agency import make  # noqa: E402

TARGET_S = 1.0


def best(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    """The best wall time and the best CPU time of this process over `runs` calls (CPU time
    says more on a shared machine, where other tenants' load inflates the wall clock)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate the agency here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cmpacket-bench-calendar-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        agency = make(args.staff, 1, 1, work / "agency")
        from cmpacket import api

        made = api.calendar(agency)  # warm: the first call imports icalendar
        print(f"{args.staff} staff: {len(made.events)} events, {made.overdue} overdue")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")  # fmt: skip
        for fmt in ("ics", "csv", "json"):
            out = work / f"calendar.{fmt}"
            wall, cpu = best(args.runs, lambda fmt=fmt, out=out: api.calendar(agency, fmt=fmt, out=out))  # fmt: skip
            size = out.stat().st_size
            print(f"api.calendar --format {fmt:<4}  {wall:6.3f} s wall, {cpu:6.3f} s CPU  ({size:,} bytes)")  # fmt: skip
        command = [sys.executable, "-m", "cmpacket", "calendar", str(agency), "-o", str(work / "cli.ics")]  # fmt: skip
        whole, _ = best(args.runs, lambda: subprocess.run(command, check=True, capture_output=True))
        print(f"cmpacket calendar -o FILE.ics, a new process: {whole:6.3f} s wall")
        print(f"target: under {TARGET_S:.0f} s at 500 staff")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
