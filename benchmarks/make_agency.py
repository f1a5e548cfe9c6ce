"""Generate a synthetic agency of any size for benchmarks, as agencies are on their first builds.

    python benchmarks/make_agency.py --staff 500 --out /tmp/agency-500            # realistic
    python benchmarks/make_agency.py --staff 500 --clean --out /tmp/clean-500      # submission-ready

By default the agency is what cmpacket is for: about seven findings a staff member (proofs
scanned from another person's printout, licenses about to lapse, payroll fields the schema does
not know, short training logs, late or missing checks, a few uploads never copied in; see
`_as_agencies_are`), so a build of it needs `--draft`. `--clean` leaves it submission-ready.

Per staff member: a license lookup printout (name, number, expiry, lookup date), a Health Care
Worker Registry printout (name, search date) and a diploma (name, degree), all text PDFs, so every
proof is read and checked as a submission-ready agency's would be; and the yearly re-screening the
policy manual promises, two one-page text printouts: the Registry re-check and the Adult
Protective Services Registry search (name, search date); a fourth upload and beyond alternate image
scans (a greyscale bitmap with no text layer) and text PDFs. `--noise` makes the Registry
printouts scans with grain (barely compressible, like a real scan) instead. Every staff member
has the exclusion screening (one roster-wide printout, as screening services return it) and the
mandated-reporter training a reviewer asks for. Everything is deterministic.

Realistic uploads on top (attachments): `--photos N` phone photos of a document (4032 x 3024
JPEGs of 3-5 MB, stored landscape with EXIF Orientation 6 as phones do) and `--scans N`
image-only scans (Letter pages at 200 dpi, printed text drawn in DejaVu Sans, PNG, no text layer)
for OCR.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import yaml

from cmpacket.model import staff_rows

FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Tomas",
    "Grace",
    "Lena",
    "Marcus",
    "Renee",
    "Dana",
    "Omar",
    "Priya",
    "Chen",
]
LAST = [
    "Lopez",
    "Thornton",
    "Rahman",
    "Herrera",
    "Kim",
    "Novak",
    "Bell",
    "Okafor",
    "Whitfield",
    "Haddad",
    "Patel",
    "Wu",
]
LICENCES = [("LSW", "150"), ("LCSW", "149"), ("LPC", "178"), ("RN", "041")]
# each type's renewal date (the license table's cycle), so the evidence checks find nothing off
EXPIRES = {"LSW": "2027-11-30", "LCSW": "2027-11-30", "LPC": "2027-03-31", "RN": "2028-05-31"}
# the degree each license rests on (the license table's `degree:` rows)
DEGREES = {
    "LSW": ("bachelor", "social work"),
    "LCSW": ("master", "social work"),
    "LPC": ("master", "clinical mental health counseling"),
    "RN": ("bachelor", "nursing"),
}
LOOKED_UP = "2026-11-16"
RESCREENED = "2026-03-02"


def text_pdf(path: Path, pages: int, title: str, fields: tuple[str, ...] = ()) -> None:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for n in range(pages):
        lines = [f"BT /F1 16 Tf 72 720 Td ({title} - page {n + 1}) Tj ET"]
        # the proof's fields (name, number, date or degree), as the evidence checks read them
        lines += [
            f"BT /F1 10 Tf 72 {700 - 14 * i} Td ({field}) Tj ET"
            for i, field in enumerate(fields if n == 0 else ())
        ]
        lines += [
            f"BT /F1 10 Tf 72 {690 - 14 * (i + len(fields))} Td (Line {i + 1}: licence verification record, status active, no discipline.) Tj ET"
            for i in range(40 - len(fields))
        ]
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream("\n".join(lines).encode())
    pdf.save(path)


def image_pdf(path: Path, pages: int, seed: int, noise: bool = False) -> None:
    rng = random.Random(seed)
    width, height = 850, 1100  # a 100 dpi letter scan
    pdf = pikepdf.new()
    for _ in range(pages):
        rows = bytearray()
        for y in range(height):
            shade = 235 if (y // 40) % 3 else 200 + rng.randrange(20)
            if noise:  # scanner grain: barely compressible, like a real scan
                rows += bytes(min(255, shade + rng.randrange(-12, 12)) for _ in range(width))
                continue
            rows += bytes([shade]) * width
        image = pikepdf.Stream(pdf, zlib.compress(bytes(rows), 6))
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = width, height, 8
        image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.obj.Contents = pdf.make_stream(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    pdf.save(path)


WORDS = [
    "license",
    "verification",
    "record",
    "status",
    "active",
    "no",
    "discipline",
    "case",
    "management",
    "agency",
    "Illinois",
    "department",
    "human",
    "services",
    "registry",
    "background",
    "check",
    "training",
    "hours",
    "caseload",
    "supervisor",
    "social",
    "worker",
    "counselor",
    "nurse",
    "certificate",
    "expires",
    "number",
    "issued",
    "board",
    "resolution",
    "policy",
]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), size) if FONT.is_file() else ImageFont.load_default(size)


def _page_text(rng: random.Random, draw: Any, width: int, top: int, size: int, lines: int) -> None:
    font = _font(size)
    for i in range(lines):
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 9)))
        draw.text(
            (int(width * 0.08), top + i * int(size * 1.6)), line.capitalize(), font=font, fill=20
        )


def scan_image(path: Path, seed: int) -> None:
    """An image-only scan: a Letter page at 200 dpi (1700 x 2200), 30 lines of printed text."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    im = Image.new("L", (1700, 2200), 250)
    _page_text(rng, ImageDraw.Draw(im), 1700, 220, 34, 30)
    im.save(path, dpi=(200, 200))


def phone_photo(path: Path, seed: int) -> None:
    """A phone photo of a document: 4032 x 3024 pixels stored landscape with EXIF Orientation 6
    (portrait when shown), sensor noise, 3-5 MB as JPEG quality 92."""
    from PIL import Image, ImageChops, ImageDraw

    rng = random.Random(seed)
    upright = Image.new("L", (3024, 4032), 200)
    draw = ImageDraw.Draw(upright)
    draw.rectangle((300, 350, 2724, 3700), fill=245)  # the sheet on a table
    _page_text(rng, draw, 3024, 500, 70, 28)
    noise = Image.effect_noise((3024, 4032), 30 + seed % 8)
    grain = ImageChops.add(upright, noise, scale=2.0, offset=-64)
    rgb = Image.merge("RGB", (grain, upright, upright.point(lambda v: v * 0.95)))
    stored = rgb.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "BenchPhone"
    stored.save(path, "JPEG", quality=92, exif=exif, dpi=(72, 72))


def make(
    staff: int,
    uploads: int,
    pages: int,
    out: Path,
    noise: bool = False,
    photos: int = 0,
    scans: int = 0,
    realistic: bool = True,
    roster: str = "yaml",
) -> Path:
    """Write the agency to `out`; `roster="csv"` keeps the staff in `staff.csv` beside
    agency.yaml, as agencies of thousands do (agency.yaml refuses more than 200,000 values, its
    guard against alias bombs: about 1,800 generated staff members)."""
    sample = Path(__file__).resolve().parent.parent / "sample_inputs" / "prairie-care"
    if out.exists():
        shutil.rmtree(out)
    (out / "uploads").mkdir(parents=True)
    data: dict[str, Any] = yaml.safe_load((sample / "agency.yaml").read_text())
    data["attachments"] = []
    people = (data["agency"].get("owners") or []) + (data["agency"].get("board") or [])
    for owner in people:  # the owners', directors' and officers' screening printouts come along
        check = owner.get("exclusion_check") or {}
        if check.get("file"):
            (out / check["file"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample / check["file"], out / check["file"])
    members = []
    rng = random.Random(staff)
    text_pdf(out / "uploads/exclusion-screening.pdf", 1, "Exclusion screening: no matches")
    for i in range(staff):
        sid = f"S-{i + 1:04d}"
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i + 1}"
        lic_type, prefix = LICENCES[i % len(LICENCES)]
        number = f"{prefix}.{100000 + i}"
        level, field = DEGREES[lic_type]
        files = []
        for k in range(uploads):
            rel = f"uploads/{sid.lower()}-{k + 1}.pdf"
            if k == 0:
                fields = (f"Name: {name}", f"License number: {number}")
                fields += (f"Expiration date: {EXPIRES[lic_type]}", f"Lookup date: {LOOKED_UP}")
                text_pdf(out / rel, pages, f"{lic_type} license", fields)
            elif k == 1 and not noise:
                fields = (f"Name: {name}", "Registry status: Active", "Search date: 2022-02-10")
                text_pdf(out / rel, pages, "Health Care Worker Registry", fields)
            elif k % 2 == 0:
                fields = (name, f"{level.title()} of {field.title()}, 2018")
                text_pdf(out / rel, pages, "Illinois State University", fields)
            else:
                image_pdf(out / rel, pages, seed=i * 10 + k, noise=noise)
            files.append(rel)
        rescreen = {}
        for key, title in (
            ("registry_recheck", "Health Care Worker Registry"),
            ("aps_registry", "Adult Protective Services Registry"),
        ):
            rel = f"uploads/{sid.lower()}-{key.replace('_', '-')}.pdf"
            shown = (f"Name: {name}", f"Search date: {RESCREENED}", "Result: no record found")
            text_pdf(out / rel, 1, title, shown)
            rescreen[key] = {"date": RESCREENED, "file": rel}
        member: dict[str, Any] = {
            "id": sid,
            "name": name,
            "position": "case-manager",
            "hire_date": "2022-03-01",
            "fte": 1.0,
            "degrees": [
                {
                    "level": level,
                    "field": field,
                    "institution": "Illinois State University",
                    "year": 2018,
                }
            ],
            "licenses": [
                {
                    "type": lic_type,
                    "number": number,
                    "state": "IL",
                    "expires": EXPIRES[lic_type],
                    "file": files[0],
                    "verified": {"date": LOOKED_UP, "file": files[0]},
                }
            ],
            "exclusion_check": {
                "date": "2026-11-16",
                "lists": ["LEIE", "SAM", "HFS-OIG"],
                "file": "uploads/exclusion-screening.pdf",
            },
            "mandated_reporter_training": "2025-06-03",
            "background_check": {
                "registry_check": "2022-02-10",
                "fingerprint": "2022-02-12",
                "status": "clear",
                **rescreen,
            },
            "training": [
                {
                    "date": "2026-03-10",
                    "hours": 6,
                    "topic": "Crisis de-escalation",
                    "provider": "NAMI Illinois",
                },
                {
                    "date": "2026-09-15",
                    "hours": 7,
                    "topic": "Person-centred planning",
                    "provider": "Internal",
                },
                {
                    "date": "2026-06-10",
                    "hours": 2,
                    "topic": "HIPAA privacy refresher",
                    "provider": "Internal",
                },
                {
                    "date": "2022-03-04",
                    "hours": 1,
                    "topic": "Adult Protective Services mandated reporter training",
                    "provider": "Illinois Department on Aging",
                },
            ],
            "caseload": 10 + rng.randrange(20),
            "documents": [
                {"kind": "diploma" if k % 2 else "proof", "title": f"Proof {k + 1}", "file": f}
                for k, f in enumerate(files[1:])
            ],
        }
        if len(files) > 1:
            member["background_check"]["file"] = files[1]
            member["documents"] = member["documents"][1:]
        if realistic:
            _as_agencies_are(member, i, rng, out)
        members.append(member)
    data["staff"] = members
    data["records_system"]["privacy_officer"] = members[0]["id"]
    on_call = data["policies"].get("on_call")
    if on_call:  # the rotation among the generated staff
        ids = [m["id"] for m in members[:4]] or ["S-0001"]
        on_call.update(primary=ids[1:] or ids, backup=(ids[2:] + ids[1:2]) or ids)
        on_call["last_backup"] = ids[0]
    data["records_system"]["security_officer"] = members[0]["id"]
    for k in range(photos):
        rel = f"uploads/IMG_{2231 + k}.jpg"
        phone_photo(out / rel, seed=k)
        data["attachments"].append({"title": f"Photo {k + 1}", "file": rel, "section": "agency"})
    for k in range(scans):
        rel = f"uploads/scan-{k + 1:03d}.png"
        scan_image(out / rel, seed=1000 + k)
        data["attachments"].append({"title": f"Scan {k + 1}", "file": rel, "section": "agency"})
    if roster == "csv":
        write_staff_csv(members, out / "staff.csv")
        data["staff"] = []
    (out / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return out


def write_staff_csv(members: list[dict[str, Any]], path: Path) -> None:
    """The staff as a roster export with the columns cmpacket reads (an unknown column is an
    error in a roster, so the payroll export's `badge_number` is not written: the CSV agency
    has one warning a staff member fewer than the YAML one)."""
    cols, rows = staff_rows(members)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=cols)
        writer.writeheader()
        writer.writerows(rows)


def _as_agencies_are(member: dict[str, Any], i: int, rng: random.Random, out: Path) -> None:
    """An agency's first builds, as they really are: about ten findings a staff member.

    Proofs scanned from the wrong printout (another person's number, name or expiry), licenses
    about to lapse, a field the roster export adds that the schema does not know, training logs
    that fall short, checks dated after the hire, screenings not recorded, and a few uploads
    that were never copied into the folder; and the policy manual's promises half kept: no
    Registry re-check since hire, no APS Registry search, license printouts without a lookup
    date, privacy training logged for some staff only, an LCSW whose degrees are an MPA and a BSW.
    Deterministic (the generator's seed)."""
    lic = member["licenses"][0]
    if rng.random() < 0.6:  # the proofs are another person's printouts: every field differs
        other = (f"Name: Pat Example {i}", "License number: 999.000001")
        text_pdf(out / lic["file"], 2, f"{lic['type']} license", (*other, "Expires: 2025-01-31"))
        registry = member["background_check"].get("file")
        if registry:
            shown = (f"Name: Pat Example {i}", "Search date: 2020-01-02")
            text_pdf(out / registry, 2, "Health Care Worker Registry", shown)
        for doc in member["documents"]:
            if doc["kind"] == "diploma":
                text_pdf(out / doc["file"], 2, "College", (f"Pat Example {i}", "Associate, 2010"))
    if rng.random() < 0.3:
        lic["expires"] = "2027-01-15"  # within 60 days of the as-of date: expiring soon
    if rng.random() < 0.4:
        member["badge_number"] = f"B{i:05d}"  # an unknown field from the payroll export
    if rng.random() < 0.5:
        member["training"] = member["training"][:1]  # 6 of 12 hours, no privacy or APS training
    elif rng.random() < 0.4:
        member["training"] = member["training"][:2] + member["training"][3:]  # no privacy
    bc = member["background_check"]
    if rng.random() < 0.3:
        bc.pop("registry_recheck")  # the printouts stop at the pre-hire search of 2022
    if rng.random() < 0.25:
        bc.pop("aps_registry")  # the APS Registry never searched
    if rng.random() < 0.3:
        lic["verified"].pop("date")  # the lookup printout shows no lookup date
    if lic["type"] == "LCSW" and rng.random() < 0.15:
        member["degrees"] = [  # an LCSW resting on an MPA and a BSW (225 ILCS 20/9)
            {"level": "master", "field": "public administration", "year": 2016},
            {"level": "bachelor", "field": "social work", "year": 2012},
        ]
    if rng.random() < 0.3:
        member["background_check"]["registry_check"] = "2022-03-15"  # after the hire date
    if rng.random() < 0.4:
        member.pop("exclusion_check")
    if rng.random() < 0.4:
        member.pop("mandated_reporter_training")
    if rng.random() < 0.05:
        lic["file"] = f"uploads/missing-{i}.pdf"  # never copied into the folder
    if rng.random() < 0.3:
        member["caseload"] = 33  # over the limit of 30, no approved increase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--uploads-per-staff", type=int, default=3)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--noise", action="store_true", help="scan-like, barely compressible images"
    )
    parser.add_argument("--photos", type=int, default=0, help="phone photos (3-5 MB JPEGs)")
    parser.add_argument("--scans", type=int, default=0, help="image-only scan pages (PNG)")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="submission-ready: no findings (the default has a first build's findings)",
    )
    parser.add_argument(
        "--roster",
        choices=["yaml", "csv"],
        default="yaml",
        help="where the staff are: inline in agency.yaml, or staff.csv (agencies of thousands)",
    )
    a = parser.parse_args()
    realistic = not a.clean
    make(
        a.staff,
        a.uploads_per_staff,
        a.pages,
        a.out,
        a.noise,
        a.photos,
        a.scans,
        realistic,
        a.roster,
    )
    print(
        f"wrote {a.out} ({a.staff} staff, {a.staff * a.uploads_per_staff} uploads of {a.pages} pages)"
    )


if __name__ == "__main__":
    main()
