"""Run a command and print the peak resident memory of each of its processes: when each worker
was forked (and how large its parent was then), its own peak and the progress line showing at
that peak. memwatch.py gives the largest child per step; this tells which worker it was.

    python benchmarks/procwatch.py cmpacket build AGENCY --draft --ocr never --no-cache -o OUT

Memory is sampled from /proc every 0.3 s (Linux only): a peak shorter than that can be missed.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

from memwatch import descendants, rss_mb


def main(argv: list[str]) -> int:
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, bufsize=1)
    start = time.monotonic()
    step = ["(start)"]

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            step[0] = line.strip()[:60]

    threading.Thread(target=read, daemon=True).start()
    kids: dict[int, dict[str, Any]] = {}
    top = {"peak": 0, "at": ""}
    while proc.poll() is None:
        main_mb = rss_mb(proc.pid)
        if main_mb > top["peak"]:
            top = {"peak": main_mb, "at": step[0]}
        for child in descendants(proc.pid):
            mb = rss_mb(child)
            seen = kids.setdefault(
                child, {"born": time.monotonic() - start, "parent": main_mb, "peak": 0, "at": ""}
            )
            if mb > seen["peak"]:
                seen.update(peak=mb, at=step[0])
        time.sleep(0.3)
    print(f"exit {proc.returncode} after {time.monotonic() - start:.1f} s")
    print(f"main: peak {top['peak']} MB during {top['at']}")
    for pid, k in kids.items():
        if k["peak"] > 10:  # not the short-lived helpers (tesseract --version, soffice checks)
            print(
                f"child {pid}: forked at {k['born']:.1f} s (parent {k['parent']} MB), "
                f"peak {k['peak']} MB during {k['at']}"
            )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
