"""Measure PDF text extractors for the evidence checks: time and whether they read the proofs.

    python benchmarks/extract_text.py            # 1,500 proofs + the corpus, about a minute
    python benchmarks/extract_text.py --proofs 300

Proofs: licence printouts, registry printouts and diplomas laid out by WeasyPrint (the same
layouts as sample_inputs/make_uploads.py, 30 different people), read in turn until `--proofs`
extractions are done. "read right" counts proofs whose text shows the person's name and the
licence number or date exactly as printed. The corpus is tests/resources/*.pdf (real PDFs from
many producers); "failed" counts files an extractor raised on (the password-protected one is
expected to fail everywhere). pdfplumber is measured when installed (it is pdfminer.six plus
layout work); none of these but pypdfium2 is a dependency of cmpacket.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sample_inputs"))


def people(n: int) -> list[dict]:
    first = [
        "Maria",
        "Tomás",
        "Dana",
        "Marcus",
        "Aisha",
        "Lena",
        "Grace",
        "James",
        "Renée",
        "Ngozi",
    ]
    last = ["Lopez", "Herrera", "Whitfield", "Bell", "Rahman", "Novak", "Kim", "Thornton", "Okafor"]
    out = []
    for i in range(n):
        out.append(
            {
                "name": f"{first[i % len(first)]} {last[(i * 7) % len(last)]}",
                "licenses": [
                    {
                        "type": "LSW",
                        "number": f"150.{123456 + i * 977:06d}",
                        "expires": "2027-11-30",
                    }
                ],
                "background_check": {"registry_check": "2024-02-20", "fingerprint": "2024-02-22"},
                "degrees": [
                    {
                        "level": "bachelor",
                        "field": "social work",
                        "institution": "ISU",
                        "year": 2019,
                    }
                ],
            }
        )
    return out


def proofs(n_people: int) -> list[tuple[bytes, list[str]]]:
    import make_uploads as mk

    out = []
    for p in people(n_people):
        lic = p["licenses"][0]
        out.append((mk.licence(p, lic), [p["name"], lic["number"], "2027-11-30"]))
        out.append((mk.registry(p), [p["name"], "2024-02-20"]))
        out.append((mk.diploma(p, p["degrees"][0]), [p["name"], "Bachelor"]))
    return out


def ex_pypdfium2(blob: bytes) -> list[str]:
    from cmpacket.intake._text import page_texts

    return page_texts(blob)


def ex_pdfminer(blob: bytes) -> list[str]:
    from pdfminer.high_level import extract_text

    return [extract_text(io.BytesIO(blob))]


def ex_pdfplumber(blob: bytes) -> list[str]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(blob)) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


def ex_pypdf(blob: bytes) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(io.BytesIO(blob)).pages]


EXTRACTORS: dict[str, Callable[[bytes], list[str]]] = {
    "pypdfium2": ex_pypdfium2,
    "pdfminer.six": ex_pdfminer,
    "pdfplumber": ex_pdfplumber,
    "pypdf": ex_pypdf,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--proofs", type=int, default=1500)
    args = ap.parse_args()
    made = proofs(10)
    corpus = [p.read_bytes() for p in sorted((ROOT / "tests" / "resources").glob("*.pdf"))]
    print(f"{args.proofs} proofs from {len(made)} layouts; corpus: {len(corpus)} PDFs\n")
    print(f"| extractor | {args.proofs} proofs | per proof | read right | corpus | failed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, fn in EXTRACTORS.items():
        try:
            fn(made[0][0])  # import and warm up outside the timing
        except ImportError:
            print(f"| {name} | not installed | | | | |")
            continue
        right = 0
        t0 = time.perf_counter()
        for i in range(args.proofs):
            blob, expect = made[i % len(made)]
            text = "\n".join(fn(blob))
            right += all(e in text for e in expect)
        proofs_s = time.perf_counter() - t0
        failed = 0
        t0 = time.perf_counter()
        for blob in corpus:
            try:
                fn(blob)
            except Exception:
                failed += 1
        corpus_s = time.perf_counter() - t0
        print(
            f"| {name} | {proofs_s:.2f} s | {proofs_s / args.proofs * 1000:.2f} ms | "
            f"{right}/{args.proofs} | {corpus_s:.2f} s | {failed} |"
        )


if __name__ == "__main__":
    main()
