"""What reading and checking the proofs adds to a cold build (issue 15's 10 % budget).

    python benchmarks/evidence_cost.py --staff 500     # 1,500 uploads, about a minute

Makes the benchmark agency (make_agency.py: per staff member a text license proof, an image-only
Registry scan and a text diploma), then, in one process and on the same uploads, times:
intake as the build runs it without text (inspect + sanitize), the text extraction the build adds
(pypdfium2 over each sanitized PDF), and validation with the evidence rules and without them.
These are the parts' costs in one process; the build spreads reading and matching over every
core during intake. `bench_evidence.py` measures what the whole feature adds to a cold build.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from make_agency import make

from cmpacket.intake import page_texts, take_in
from cmpacket.validators import (
    EVIDENCE_RULES,
    check,
    load_profile,
    prepare,
    upload_paths,
    upload_uses,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--staff", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        agency = make(args.staff, 3, 2, Path(tmp) / "agency", realistic=False)
        prepared = prepare(agency)
        uses = upload_uses(prepared.data) if prepared.data else []
        paths = upload_paths(uses)
        t0 = time.perf_counter()
        taken = [take_in(p, prepared.limits) for p in paths]
        intake_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for facts, pdf in taken:
            if pdf is not None:
                facts.text = page_texts(pdf, 1)  # the build reads a proof's first page
        text_s = time.perf_counter() - t0
        facts = {p: f for p, (f, _) in zip(paths, taken, strict=True)}
        t0 = time.perf_counter()
        with_ev = check(prepared, facts, uses=uses)
        checked_s = time.perf_counter() - t0
        (agency / "no-evidence.yaml").write_text(
            "extends: il-guide\nrules:\n"
            + "".join(f"  - {{code: {c}, enabled: false}}\n" for c in EVIDENCE_RULES)
        )
        plain = prepared.__class__(
            **{**prepared.__dict__, "profile": load_profile("no-evidence.yaml", base=agency)}
        )
        t0 = time.perf_counter()
        check(plain, facts, uses=uses)
        plain_s = time.perf_counter() - t0
        ev = with_ev.report.evidence
        print(f"{args.staff} staff, {len(paths)} uploads, {len(ev)} proofs read")
        print(
            f"  checked: {sum(e.checked for e in ev)}, with a mismatch: {sum(bool(e.mismatched) for e in ev)}"
        )
        print(f"  intake without text (inspect + sanitize): {intake_s:.2f} s")
        print(f"  text extraction added:                    {text_s:.2f} s")
        print(f"  validation with evidence rules:           {checked_s:.2f} s")
        print(f"  validation without them:                  {plain_s:.2f} s")
        print(f"  added in all:                             {text_s + checked_s - plain_s:.2f} s")


if __name__ == "__main__":
    main()
