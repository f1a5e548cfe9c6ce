"""What writing a packet as parts costs against writing it whole (issue: receivers).

    python benchmarks/bench_parts.py --staff 500          # about 3,000 pages
    python benchmarks/bench_parts.py --staff 60 --noise   # scan-like uploads (larger files)

Both builds start from an empty cache, in fresh processes, in this run; the receiver's cap is set
from the whole packet's size so that it needs about four parts. Prints the ratio (target: parts
cost at most 1.15x the whole) and peak memory of each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import cmpacket  # noqa: E402
from make_agency import make  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--noise", action="store_true", help="scan-like uploads")
    parser.add_argument("--parts", type=float, default=4.0, help="about how many parts")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cmpacket-bench-parts-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        agency = make(args.staff, 3, 2, work / "agency", noise=args.noise, realistic=False)
        whole_out = work / "out-whole"
        t_whole, rss_whole = cmpacket(
            [
                "build",
                str(agency),
                "-o",
                str(whole_out),
                "-q",
                "--cache-dir",
                str(work / "c1"),
                "--ocr",
                "never",
            ],
            work,
        )
        manifest = json.loads((whole_out / "manifest.json").read_text())
        size = (whole_out / manifest["packet"]["file"]).stat().st_size
        cap = size / args.parts / 1_000_000 * 1.1
        receiver = work / "receiver.yaml"
        receiver.write_text(f"name: bench\nmax_file_mb: {cap:.3f}\nsplit: parts\n")
        parts_out = work / "out-parts"
        t_parts, rss_parts = cmpacket(
            ["build", str(agency), "-o", str(parts_out), "-q", "--cache-dir", str(work / "c2"),
             "--receiver", str(receiver), "--ocr", "never"],
            work,
        )  # fmt: skip
        parts = json.loads((parts_out / "manifest.json").read_text())["parts"]
        t_verify, _ = cmpacket(["verify", str(parts_out)], work)
        pages = manifest["packet"]["pages"]
        print(f"{args.staff} staff, {pages} pages, whole packet {size / 1e6:.1f} MB")
        print(f"  whole: {t_whole:.2f}s, peak RSS {rss_whole} MB")
        sizes = ", ".join(f"{p['bytes'] / 1e6:.2f}" for p in parts)
        print(
            f"  {len(parts)} parts under {cap:.2f} MB ({sizes} MB): "
            f"{t_parts:.2f}s, peak RSS {rss_parts} MB"
        )
        print(f"  parts / whole = {t_parts / t_whole:.2f}   (target <= 1.15)")
        print(f"  verify of the set: {t_verify:.2f}s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
