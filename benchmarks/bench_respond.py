"""`cmpacket respond` after one staff member's proof changed, against a cold build of the same
agency (SPEC §16: at most 0.5x), in one run on this machine.

    python benchmarks/bench_respond.py                 # 60 and 500 staff
    python benchmarks/bench_respond.py --sizes 60      # a quicker run

For each size: a synthetic agency (benchmarks/make_agency.py) is built cold into an empty cache
and its packet kept as sent; one staff member's license proof is replaced by a renewed printout
(same fields, new bytes) and an RFI of four items answered (the new proof, a policy chapter, a job
description, the roster), then `respond` runs with the cache the cold build filled. Each figure is
the median of `--runs` runs (the cold builds each into an empty cache, `respond` each with a
fresh copy of the last one's cache); the ratio is what the target is about.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_agency import make, text_pdf  # noqa: E402

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cmpacket", *args, "-q", "--ocr", "never"],
        check=True,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def response(staff: int) -> dict[str, object]:
    proof = "uploads/s-0002-1.pdf"
    return {
        "kind": "rfi",
        "date": "2026-12-20",
        "letter": {"from": "IDHS", "reference": "BENCH-1", "received": "2026-12-10"},
        "base": "sent/prairie-care-coordination-inc-packet.pdf",
        "items": [
            {"id": "1", "request": "Renewed license.", "answer": "Enclosed.", "exhibits": [proof]},
            {"id": "2", "request": "Closure.", "answer": "Chapter.",
             "exhibits": [{"document": "policy-manual", "chapter": "closure-transfer"}]},
            {"id": "3", "request": "Job.", "answer": "Enclosed.",
             "exhibits": [{"document": "job-description:case-manager"}]},
            {"id": "4", "request": f"Roster of {staff}.", "answer": "Enclosed.",
             "exhibits": [{"document": "staff-roster"}]},
        ],
    }  # fmt: skip


def one_size(staff: int, work: Path, runs: int) -> dict[str, float]:
    # a submission-ready agency answering the Department after its packet was sent
    agency = make(staff, 3, 2, work / f"agency-{staff}", realistic=False)
    cache = work / f"cache-{staff}"
    colds = []
    for _ in range(runs):  # each cold build into an empty cache; the last one's is kept
        shutil.rmtree(cache, ignore_errors=True)
        colds.append(
            run(["build", str(agency), "-o", str(work / "cold"), "--cache-dir", str(cache)])
        )
    cold = statistics.median(colds)
    (agency / "sent").mkdir()
    for pdf in (work / "cold").glob("*-packet.pdf"):
        shutil.copyfile(pdf, agency / "sent" / pdf.name)
    # the renewed printout: the same fields, other bytes
    data = yaml.safe_load((agency / "agency.yaml").read_text())
    second = data["staff"][1]
    lic = second["licenses"][0]
    fields = (f"Name: {second['name']}", f"License number: {lic['number']}")
    fields += (f"Expiration date: {lic['expires']}", "Printed 2026-12-18")
    text_pdf(agency / lic["file"], 2, f"{lic['type']} license (renewed)", fields)
    where = agency / "responses" / "bench"
    where.mkdir(parents=True)
    (where / "response.yaml").write_text(yaml.safe_dump(response(staff), sort_keys=False))
    times = []
    for k in range(runs):
        mine = work / f"cache-{staff}-{k}"
        shutil.copytree(cache, mine)
        out = work / f"respond-{k}"
        times.append(
            run(["respond", str(agency), "bench", "-o", str(out), "--cache-dir", str(mine)])
        )
        shutil.rmtree(mine)
    return {"staff": staff, "cold": cold, "respond": statistics.median(times)}


def installed_bytecode() -> None:
    """Compile cmpacket's bytecode, as pip does when it installs the package. A checkout run in
    place where PYTHONDONTWRITEBYTECODE is set (this project's sandboxes set it) keeps none, so
    every command timed would compile every module first: 0.2 s a command that no installed
    copy pays."""
    import compileall
    import py_compile

    import cmpacket

    mode = py_compile.PycInvalidationMode.TIMESTAMP  # not the hashed kind SOURCE_DATE_EPOCH picks
    compileall.compile_dir(Path(cmpacket.__file__).parent, quiet=1, invalidation_mode=mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[60, 500])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    installed_bytecode()
    with tempfile.TemporaryDirectory(prefix="cmpacket-bench-") as tmp:
        for staff in args.sizes:
            r = one_size(staff, Path(tmp) / str(staff), args.runs)
            ratio = r["respond"] / r["cold"]
            print(
                f"{staff} staff: cold build {r['cold']:.2f}s, respond after one proof changed "
                f"{r['respond']:.2f}s (median of {args.runs}) -> {ratio:.2f} x cold "
                f"(target <= 0.5)",
                flush=True,
            )


if __name__ == "__main__":
    main()
