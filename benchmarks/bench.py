"""Build synthetic agencies and print cmpacket's figures against the floor of SPEC §9.

    python benchmarks/bench.py        # realistic and clean at 60, 500, 2000, 5000 staff; respond
    python benchmarks/bench.py --sizes 60 --respond --uploads 0 0   # a quicker run
    python benchmarks/bench.py --sizes --respond --uploads 12 60   # photos and OCR only

The realistic agency has a first build's findings (benchmarks/make_agency.py) and is built
`--draft`; the clean one is submission-ready. Up to 500 staff every row is measured; above, the
cold build, memory, time per page and verify.

Every figure is measured in this run on this machine; ratios are what the targets are about.
The floor is the cost of the essential work: starting Python with WeasyPrint imported, rendering
the staff roster as one table (a row per staff member), rendering every other generated page as
plain prose, and concatenating the uploads with `qpdf --empty --pages`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_respond  # noqa: E402
from make_agency import make  # noqa: E402

# The peak of the command's own image (VmHWM: getrusage's ru_maxrss for the process carries the
# bench's own peak across exec, and the bench grows to gigabytes laying out the floor's roster
# table at 5,000 staff) and of its largest worker (each reaped worker's own high-water mark).
RUN = (
    "import re, resource, sys\n"
    "from cmpacket.cli import main\n"
    "code = 0\n"
    "try:\n    main(sys.argv[2:])\n"
    "except SystemExit as exc:\n    code = exc.code\n"
    "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    "peak = max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "open(sys.argv[1], 'w').write(str(peak))\n"
    "sys.exit(code)\n"
)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def cmpacket(args: list[str], work: Path) -> tuple[float, int]:
    """Run cmpacket in a fresh process; returns (seconds, peak RSS in MB of its largest process:
    the build's own, or its largest worker's)."""
    rss = work / "rss.txt"
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    seconds = timed([sys.executable, "-c", RUN, str(rss), *args], env)
    return seconds, int(rss.read_text()) // 1024


def floor(agency: Path, manifest: dict, staff: int) -> dict[str, float]:
    """The floor of SPEC §9 and its parts, measured now."""
    startup = statistics.median(
        timed([sys.executable, "-c", "import weasyprint"]) for _ in range(3)
    )
    from weasyprint import HTML

    cells = "".join(
        f"<tr><td>Person {i}<br>S-{i}</td><td>Case Manager<br>2022-03-01</td><td>Bachelor's in social work, Illinois State University 2018</td>"
        f"<td>LSW 150.{100000 + i} (2028-11-30)</td><td>Registry 2022-02-10<br>Prints 2022-02-12<br>clear</td><td>13 h [12]</td><td>20 / 30</td><td>pp. 100-105</td></tr>"
        for i in range(staff)
    )
    roster_html = f"<style>@page{{size:letter;margin:0.9in}} body{{font-family:sans-serif;font-size:7.6pt}} table{{width:100%;border-collapse:collapse}} td{{padding:2.5pt 3pt;border-bottom:0.4pt solid #ccc;vertical-align:top}}</style><table>{cells}</table>"
    start = time.perf_counter()
    roster_pdf = HTML(string=roster_html).write_pdf()
    roster = time.perf_counter() - start
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(roster_pdf)) as doc:
        roster_pages = len(doc.pages)
    generated = sum(
        d["last_page"] - d["first_page"] + 1
        for s in manifest["sections"]
        for d in s["documents"]
        if d["kind"] != "upload"
    )
    prose_pages = max(generated - roster_pages, 1)
    paragraph = (
        "<p>"
        + "Case managers assess needs, plan with the customer, link to resources and monitor services. "
        * 12
        + "</p>"
    )
    prose_html = (
        "<style>@page{size:letter;margin:0.9in} body{font-family:sans-serif;font-size:10pt}</style>"
        + paragraph * (5 * prose_pages)
    )
    start = time.perf_counter()
    HTML(string=prose_html).write_pdf()
    prose = time.perf_counter() - start
    uploads = sorted((agency / "uploads").glob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        # the arguments from a file (qpdf's @file): 25,000 uploads pass the command line's limit
        listed = Path(tmp) / "args"
        args = ["--empty", "--pages", *map(str, uploads), "--", str(Path(tmp) / "all.pdf")]
        listed.write_text("\n".join(args) + "\n")
        concat = timed(["qpdf", f"@{listed}"])
    return {
        "startup": startup,
        "roster": roster,
        "prose": prose,
        "concat": concat,
        "total": startup + roster + prose + concat,
        "roster_pages": roster_pages,
        "prose_pages": prose_pages,
    }


FULL_UP_TO = 500  # sizes above: the cold build, memory and verify only (rebuilds take long)


def one_size(staff: int, kind: str, work: Path, runs: int = 3) -> dict[str, Any]:
    """One agency (`realistic`: a first build's findings, built `--draft`; `clean`: ready):
    cold build, no-change and one-change rebuilds, verify, floor, peak RSS. The cold build and
    the floor are the medians of `runs` measurements (one above FULL_UP_TO staff), taken in turn,
    so a moment of load on a shared machine moves neither alone."""
    # above FULL_UP_TO the roster is a staff.csv, as agencies of thousands keep it (agency.yaml
    # refuses more than 200,000 values, about 1,800 generated staff members)
    roster = "csv" if staff > FULL_UP_TO else "yaml"
    folder = work / f"agency-{kind}-{staff}"
    agency = make(staff, 3, 2, folder, realistic=kind == "realistic", roster=roster)
    cache, out = work / f"cache-{kind}-{staff}", work / f"out-{kind}-{staff}"
    # --ocr never: these synthetic scans hold no words, and the figures stay comparable with the
    # earlier runs (OCR is measured on its own in uploads_run)
    base = ["build", str(agency), "-o", str(out), "-q", "--cache-dir", str(cache), "--ocr", "never"]
    if kind == "realistic":
        base.append("--draft")
    if staff > FULL_UP_TO:  # the profile's 6,000 pages of uploads: an agency of thousands raises it
        base += ["--max-total-pages", "100000"]
    runs = runs if staff <= FULL_UP_TO else 1
    colds, rsses, floors = [], [], []
    manifest: dict[str, Any] = {}
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)  # every cold build starts from an empty cache
        cold, rss = cmpacket(base, work)
        colds.append(cold)
        rsses.append(rss)
        manifest = json.loads((out / "manifest.json").read_text())
        floors.append(floor(agency, manifest, staff))
    middle = sorted(range(runs), key=lambda k: floors[k]["total"])[runs // 2]
    r: dict[str, Any] = {
        "staff": staff,
        "kind": kind,
        "cold": statistics.median(colds),
        "colds": colds,
        "rss": max(rsses),
        "floor": floors[middle],  # the median floor, with its parts
        "floors": [f["total"] for f in floors],
    }
    if staff <= FULL_UP_TO:
        r["warm"], _ = cmpacket(base, work)
        data = yaml.safe_load((agency / "agency.yaml").read_text())
        data["staff"][staff // 2]["caseload"] = data["staff"][staff // 2]["caseload"] + 1
        (agency / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        r["one"], _ = cmpacket(base, work)
    findings = json.loads((out / "readiness.json").read_text())["findings"]
    packet = out / manifest["packet"]["file"]
    r["verify"], r["verify_rss"] = cmpacket(["verify", str(packet)], work)
    r["pages"] = manifest["packet"]["pages"]
    r["findings"] = len(findings)
    shutil.rmtree(cache, ignore_errors=True)  # thousands of staff: gigabytes
    print(  # as each is measured (the tables come at the end)
        f"measured {kind} {staff}: cold {r['cold']:.2f} s, floor {r['floor']['total']:.2f} s, "
        f"{r['pages']} pages, peak {r['rss']} MB, verify {r['verify']:.2f} s",
        flush=True,
    )
    return r


def uploads_run(photos: int, scans: int, work: Path) -> dict[str, float]:
    """Realistic uploads: image intake per page, OCR throughput against plain Tesseract on both
    cores, and no-change rebuilds that must not convert or OCR anything again."""
    from cmpacket import api
    from cmpacket.intake._ocr import Job, add_text_layers, cores, engine, textless_pages
    from cmpacket.intake._pdf import take_in

    if engine() is None:
        sys.exit("--uploads needs OCRmyPDF and tesseract (pip install '.[ocr]', tesseract-ocr)")
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    r: dict[str, float] = {"photos": photos, "scans": scans, "cores": cores()}
    # 1. image intake per page, in process (detect, convert, inspect, sanitize)
    # submission-ready agencies (the realistic default has findings: a final build refuses it)
    agency_p = make(10, 1, 1, work / "agency-photos", photos=photos, realistic=False)
    agency_s = make(10, 1, 1, work / "agency-scans", scans=scans, realistic=False)
    shots = sorted((agency_p / "uploads").glob("IMG_*.jpg"))
    pages = sorted((agency_s / "uploads").glob("scan-*.png"))
    r["photo_mb"] = sum(p.stat().st_size for p in shots) / len(shots) / 2**20
    start = time.perf_counter()
    for p in shots:
        assert take_in(p, None)[1] is not None
    r["photo_ms"] = 1000 * (time.perf_counter() - start) / len(shots)
    start = time.perf_counter()
    sanitized = []
    for p in pages:
        sanitized.append(take_in(p, None)[1])
    r["scan_ms"] = 1000 * (time.perf_counter() - start) / len(pages)
    # 2. OCR: cmpacket's step (one batched OCRmyPDF run) against plain tesseract, 1 per core
    jobs = []
    for i, pdf in enumerate(sanitized):
        import io

        import pikepdf

        assert pdf is not None
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            jobs.append(Job(str(i), pdf, textless_pages(doc)))
    start = time.perf_counter()
    done = add_text_layers(jobs)
    r["ocr_s"] = time.perf_counter() - start
    assert len(done) == len(jobs), "OCR failed on some pages"
    listing = work / "pages.txt"
    listing.write_text("".join(f"{p}\n" for p in pages))
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    start = time.perf_counter()
    subprocess.run(
        ["xargs", "-P", str(cores()), "-I{}", "tesseract", "{}", "-", "-l", "eng"],
        stdin=listing.open(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, check=True,
    )  # fmt: skip
    r["tess_s"] = time.perf_counter() - start
    # 3. builds: cold with OCR, then a no-change rebuild (nothing converted or OCR'd again)
    for name, agency, ocr in (("photos", agency_p, "never"), ("scans", agency_s, "auto")):
        cache, out = work / f"cache-{name}", work / f"out-{name}"
        base = ["build", str(agency), "-o", str(out), "-q", "--cache-dir", str(cache), "--ocr", ocr]
        r[f"{name}_cold"], r[f"{name}_rss"] = cmpacket(base, work)
        r[f"{name}_warm"], _ = cmpacket(base, work)
        again = api.build(agency, api.Options(quiet=True, cache_dir=cache, ocr=ocr), out=out)
        redone = [m for m in again.rebuilt if m.startswith("upload")]
        assert not redone, f"a no-change rebuild converted or OCR'd again: {redone}"
        r[f"{name}_pages"] = again.pages
    return r


def report_uploads(r: dict[str, float]) -> None:
    n = r["scans"]
    print(f"\nuploads: {r['photos']:.0f} phone photos ({r['photo_mb']:.1f} MB each), {n:.0f} scans")
    print(
        f"  image intake: photo {r['photo_ms']:.0f} ms/page, 200 dpi scan {r['scan_ms']:.0f} ms/page"
    )
    ours, plain = n / r["ocr_s"], n / r["tess_s"]
    print(
        f"  OCR: cmpacket {ours:.2f} pages/s ({r['ocr_s']:.1f} s), plain tesseract x{r['cores']:.0f}"
        f" {plain:.2f} pages/s ({r['tess_s']:.1f} s), ratio {ours / plain:.2f} (target >= 0.9)"
    )
    for name in ("photos", "scans"):
        cold, warm = r[f"{name}_cold"], r[f"{name}_warm"]
        print(
            f"  {name} agency ({r[f'{name}_pages']:.0f} pages): cold {cold:.1f} s, no-change rebuild"
            f" {warm:.2f} s = {warm / cold:.2f} x cold, peak RSS {r[f'{name}_rss']:.0f} MB;"
            f" nothing converted or OCR'd again"
        )


def report(results: list[dict[str, Any]]) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()}, load average {os.getloadavg()[0]:.1f} at the end"
    )
    for kind in ("realistic", "clean"):
        rows = [r for r in results if r["kind"] == kind]
        if rows:
            print()
            _table(kind, rows)


def _table(kind: str, rows: list[dict[str, Any]]) -> None:
    """One agency's rows, as issue 28's table: a column per size."""
    first = rows[0]
    per_page = first["cold"] / first["pages"]
    head = [f"{r['staff']} staff ({r['pages']:,} pages, {r['findings']:,} findings)" for r in rows]
    print(f"{kind} agency" + (" (built --draft)" if kind == "realistic" else ""))
    print("| figure | " + " | ".join(head) + " | target |")
    print("| --- | " + " | ".join("---" for _ in rows) + " | --- |")

    def line(name: str, cells: list[str], target: str) -> None:
        print(f"| {name} | " + " | ".join(cells) + f" | {target} |")

    line("floor", [f"{r['floor']['total']:.1f} s" for r in rows], "")
    line("cold build", [f"{r['cold']:.1f} s" for r in rows], "")
    line("cold ÷ floor", [f"{r['cold'] / r['floor']['total']:.2f}" for r in rows], "≤ 1.3")
    line(
        "no-change / one-change rebuild ÷ cold",
        [f"{r['warm'] / r['cold']:.2f} / {r['one'] / r['cold']:.2f}" if "warm" in r else "—"
         for r in rows],
        "≤ 0.2 / 0.35",
    )  # fmt: skip
    line(
        f"time per page ÷ {first['staff']} staff's",
        [f"{r['cold'] / r['pages'] / per_page:.2f} ({1000 * r['cold'] / r['pages']:.1f} ms)"
         for r in rows],
        "≤ 1.2",
    )  # fmt: skip
    line("peak RSS (largest process)", [f"{r['rss']} MB" for r in rows], "< 500 MB")
    line("verify", [f"{r['verify']:.2f} s ({r['verify_rss']} MB)" for r in rows], "< 3 s")
    for r in rows:
        f = r["floor"]
        print(
            f"  floor at {r['staff']}: startup {f['startup']:.2f} + roster table {f['roster']:.2f}"
            f" ({f['roster_pages']} pages) + prose {f['prose']:.2f} ({f['prose_pages']} pages)"
            f" + qpdf concat {f['concat']:.2f}"
        )
        if len(r["colds"]) > 1:
            print(
                f"  runs at {r['staff']} (the medians above): cold "
                + ", ".join(f"{c:.2f}" for c in r["colds"])
                + " s; floor "
                + ", ".join(f"{c:.2f}" for c in r["floors"])
                + " s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[60, 500, 2000, 5000])
    parser.add_argument(
        "--agencies", nargs="*", default=["realistic", "clean"], choices=["realistic", "clean"]
    )
    parser.add_argument(
        "--uploads", type=int, nargs=2, metavar=("PHOTOS", "SCANS"), default=(4, 24),
        help="realistic uploads: phone photos and image-only scan pages (OCR); 0 0 skips",
    )  # fmt: skip
    parser.add_argument(
        "--respond", type=int, nargs="*", default=[60, 500], metavar="STAFF",
        help="respond after one changed proof against a cold build, at these sizes",
    )  # fmt: skip
    parser.add_argument(
        "--runs", type=int, default=3,
        help="cold builds and floors measured in turn (the medians count) up to 500 staff; "
        "respond: its runs",
    )  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep the agencies and outputs here")
    args = parser.parse_args()
    if not shutil.which("qpdf"):
        sys.exit("bench.py needs qpdf (apt-get install qpdf) for the floor's concatenation")
    bench_respond.installed_bytecode()  # what an installed cmpacket runs
    work = args.keep or Path(tempfile.mkdtemp(prefix="cmpacket-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.sizes:
            report([one_size(n, k, work, args.runs) for k in args.agencies for n in args.sizes])
        for staff in args.respond:
            r = bench_respond.one_size(staff, work / f"respond-{staff}", runs=args.runs)
            print(
                f"\nrespond at {staff} staff (clean agency, one proof renewed, an RFI of four"
                f" items, medians of {args.runs}): {r['respond']:.2f} s against a cold build of"
                f" {r['cold']:.2f} s ="
                f" {r['respond'] / r['cold']:.2f} x cold (target <= 0.5)",
                flush=True,
            )
        if any(args.uploads):
            report_uploads(uploads_run(*args.uploads, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
