"""`cmpacket` with each layout task and Word copy timed in the worker that runs it, and
assembly's steps timed in the build's process, each with the process's memory: where a large
build's time and memory go (benchmarks/README.md, "Agencies of thousands").

    python benchmarks/memwatch.py python benchmarks/stage_timings.py build AGENCY --draft ...

Lines on stderr: `LAYOUT <template> html=<KB> <s> peak <MB>->< MB>`, `WORD ...` and `ASM <step>
<s> rss <MB>-><MB>`. The wrappers replace module functions before the workers are forked, so
they run in the workers too.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import cmpacket.assemble._build as build
import cmpacket.assemble._packet as packet
import cmpacket.convert._jobs as jobs
import cmpacket.render._copies as copies
import cmpacket.render._layout as layout


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def rss_mb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 // 2**20


def worker_task(fn: Callable[[Any], bytes], tag: str) -> Callable[[Any], bytes]:
    def timed(task: Any) -> bytes:
        start, before = time.perf_counter(), peak_mb()
        out = fn(task)
        name = task[0] if tag == "LAYOUT" else "(Word copy)"
        html = task[1] if tag == "LAYOUT" else task[0]
        sys.stderr.write(
            f"{tag} {name} html={len(html) // 1024}KB {time.perf_counter() - start:.1f}s"
            f" peak {before}->{peak_mb()}MB\n"
        )
        return out

    timed.__module__, timed.__qualname__ = fn.__module__, fn.__qualname__  # pickled by name
    return timed


def main_step(module: Any, name: str) -> None:
    fn = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start, before = time.perf_counter(), rss_mb()
        out = fn(*args, **kwargs)
        sys.stderr.write(
            f"ASM {name} {time.perf_counter() - start:.1f}s rss {before}->{rss_mb()}MB"
            f" peak {peak_mb()}MB\n"
        )
        return out

    setattr(module, name, timed)


jobs.lay_out_job = layout.lay_out_job = worker_task(jobs.lay_out_job, "LAYOUT")
copies._word_copy = worker_task(copies._word_copy, "WORD")
for step in ("sources", "write_packet"):
    main_step(build, step)
for step in ("resolve_links", "set_page_labels", "add_outline"):
    main_step(packet, step)

if __name__ == "__main__":
    from cmpacket.cli import main

    main(sys.argv[1:])
