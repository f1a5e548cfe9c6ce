"""Run a command and print, for each progress line it writes on stderr, the largest resident
memory of the command's own process and of its largest child seen while that line was the last.

    python benchmarks/memwatch.py cmpacket build AGENCY --draft --ocr never --no-cache -o OUT
    python benchmarks/memwatch.py python benchmarks/stage_timings.py build AGENCY ...

Memory is sampled from /proc/PID/statm every 0.3 s (Linux only), so a peak shorter than that
can be missed; the figures are what benchmarks/README.md reports per step. The command's stderr
is passed through with the seconds since the start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE // (1 << 20)
    except OSError:
        return 0


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in map(int, f.read().split()):
                    out += [child, *descendants(child)]
    except OSError:
        pass
    return out


def main(argv: list[str]) -> int:
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, bufsize=1)
    start = time.monotonic()
    step = ["(start)"]
    seen: dict[str, list[float]] = {}  # step -> [main MB, largest child MB, first seen]

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(f"[{time.monotonic() - start:7.1f}] {line}")
            step[0] = line.strip()[:70]

    threading.Thread(target=read, daemon=True).start()
    while proc.poll() is None:
        main_mb = rss_mb(proc.pid)
        child_mb = max([rss_mb(c) for c in descendants(proc.pid)] or [0])
        row = seen.setdefault(step[0], [0, 0, time.monotonic() - start])
        row[0], row[1] = max(row[0], main_mb), max(row[1], child_mb)
        time.sleep(0.3)
    print(f"exit {proc.returncode} after {time.monotonic() - start:.1f} s")
    for name, (main_mb, child_mb, at) in seen.items():
        print(f"{at:7.1f} s  main {main_mb:5.0f} MB  largest child {child_mb:5.0f} MB  {name}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
