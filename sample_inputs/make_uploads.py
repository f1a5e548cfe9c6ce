"""Generate the sample agency's uploaded PDFs (fictional license lookup printouts, Health Care
Worker Registry printouts before hire and at the yearly re-check, Adult Protective Services
Registry printouts, exclusion-list printouts, diplomas, an experience letter naming each role
with its dates, a caseload increase approval and corporate documents). Run from the repository root after installing cmpacket:

    python sample_inputs/make_uploads.py

The PDFs are committed; rerun this only to change them.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import yaml
from weasyprint import HTML

HERE = Path(__file__).parent / "prairie-care"
LICENSES = {
    "LSW": "Licensed Social Worker",
    "LCSW": "Licensed Clinical Social Worker",
    "RN": "Registered Professional Nurse",
    "LPC": "Licensed Professional Counselor",
}
CSS = """
@page { size: letter; margin: 0.8in; }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 10.5pt; color: #222; }
.bar { background: #1f3a5f; color: white; padding: 10px 14px; font-size: 13pt; }
table { border-collapse: collapse; width: 100%; margin-top: 14px; }
td { border: 1px solid #999; padding: 6px 8px; } td:first-child { width: 35%; background: #eef2f7; }
.small { color: #555; font-size: 8.5pt; margin-top: 24px; }
.diploma { text-align: center; border: 6px double #7a5c1e; padding: 60px 30px; margin-top: 40px; }
.diploma h1 { font-family: 'DejaVu Serif', serif; font-size: 26pt; color: #7a5c1e; }
.diploma p { font-family: 'DejaVu Serif', serif; font-size: 14pt; }
"""


def page(body: str, landscape: bool = False) -> bytes:
    size = "<style>@page { size: letter landscape; }</style>" if landscape else ""
    doc = f"<html><head><style>{CSS}</style>{size}</head><body>{body}</body></html>"
    return HTML(string=doc).write_pdf()


def rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in pairs
    )
    return f"<table>{cells}</table>"


def license_printout(staff: dict, lic: dict) -> bytes:
    return page(
        '<div class="bar">Illinois Department of Financial and Professional Regulation — '
        "License Lookup</div>"
        + rows(
            [
                ("Name", staff["name"]),
                ("License type", f"{lic['type']} — {LICENSES.get(lic['type'], lic['type'])}"),
                ("License number", lic["number"]),
                ("Status", "ACTIVE"),
                ("Expiration date", str(lic["expires"])),
                ("City, State", "Springfield, IL"),
                ("Discipline", "None"),
                *([("Lookup date", str(lic["verified"]["date"]))] if lic.get("verified") else []),
            ]
        )
        + '<p class="small">Printout for the cmpacket sample agency. Fictional data.</p>'
    )


def registry(staff: dict, searched: object | None = None) -> bytes:
    """The Registry printout of one search: before hire (`registry_check`), or a re-check."""
    bc = staff["background_check"]
    return page(
        '<div class="bar">Illinois Department of Public Health — Health Care Worker Registry</div>'
        + rows(
            [
                ("Name", staff["name"]),
                ("Registry status", "Active — eligible to work"),
                ("Fingerprint background check", f"Completed {bc['fingerprint']} (CAAPP)"),
                ("Disqualifying convictions", "None"),
                ("Registry search date", str(searched or bc["registry_check"])),
                ("Employer", "Prairie Care Coordination, Inc."),
            ]
        )
        + '<p class="small">Printout for the cmpacket sample agency. Fictional data.</p>'
    )


def diploma(staff: dict, degree: dict) -> bytes:
    names = {
        "associate": "Associate in Applied Science",
        "bachelor": "Bachelor",
        "master": "Master",
    }
    return page(
        f'<div class="diploma"><p>{html.escape(degree["institution"])}</p>'
        f"<p>has conferred upon</p><h1>{html.escape(staff['name'])}</h1>"
        f"<p>the degree of {names.get(degree['level'], degree['level'])} in "
        f"{html.escape(degree['field'].title())}</p><p>{degree['year']}</p></div>",
        landscape=True,
    )


def aps_registry(staff: dict) -> bytes:
    """The printout of one Adult Protective Services Registry search (Department on Aging)."""
    aps = staff["background_check"]["aps_registry"]
    return page(
        '<div class="bar">Illinois Department on Aging — Adult Protective Services Registry</div>'
        + rows(
            [
                ("Name searched", staff["name"]),
                ("Search date", str(aps["date"])),
                ("Result", "No substantiated finding on the Registry for this name"),
                ("Searched by", "Renee Okafor, Quality Assurance and Records Coordinator"),
                ("Employer", "Prairie Care Coordination, Inc."),
            ]
        )
        + '<p class="small">Printout for the cmpacket sample agency. Fictional data.</p>'
    )


LIST_NAMES = {
    "LEIE": "HHS-OIG List of Excluded Individuals/Entities (exclusions.oig.hhs.gov)",
    "SAM": "SAM.gov exclusions (System for Award Management)",
    "HFS-OIG": "Illinois HFS Office of Inspector General provider sanctions list",
}


def exclusion(name: str, check: dict) -> bytes:
    """The printout of one exclusion screening: each list searched, with its result."""
    results = "".join(
        f"<tr><td>{html.escape(LIST_NAMES.get(x, x))}</td><td>No match found</td></tr>"
        for x in check["lists"]
    )
    return page(
        '<div class="bar">Exclusion screening record</div>'
        + rows(
            [
                ("Name searched", name),
                ("Searched on", str(check["date"])),
                ("Searched by", "Renee Okafor, Quality Assurance and Records Coordinator"),
                ("Employer", "Prairie Care Coordination, Inc."),
            ]
        )
        + f"<table><tr><td>List</td><td>Result</td></tr>{results}</table>"
        + '<p class="small">Printout for the cmpacket sample agency. Fictional data.</p>'
    )


def experience_letter(staff: dict) -> bytes:
    """A dated letter on the prior employer's letterhead, signed by the person who attests it."""
    proof = staff["experience_proof"]
    signer, title, employer = (x.strip() for x in proof["attested_by"].split(",", 2))
    return page(
        f'<div class="bar">{html.escape(employer)} · 1200 S 6th St, Springfield, IL 62703</div>'
        f"<p>{html.escape(str(proof['date']))}</p>"
        "<p>To whom it may concern:</p>"
        f"<p>{html.escape(staff['name'])} worked for {html.escape(employer)} in the following "
        "positions:</p>"
        + "".join(
            f"<p>{html.escape(r['title'])}, from {_long(r['from'])} to {_long(r['to'])}: "
            + (
                "case management: assessments, service plans and monthly monitoring contacts "
                "for a caseload of up to 25 customers, under supervision.</p>"
                if r["case_management"]
                else "clerical and scheduling support to the case managers; no caseload of "
                "their own.</p>"
            )
            for r in proof["roles"]
        )
        + "<p>I confirm this from our personnel records.</p>"
        f"<p style=\"margin-top: 30px; font-family: 'DejaVu Serif', serif; font-style: italic; "
        f'font-size: 14pt">{html.escape(signer)}</p>'
        f"<p>{html.escape(signer)}<br>{html.escape(title)}, {html.escape(employer)}</p>"
        '<p class="small">Fictional letter for the cmpacket sample agency.</p>'
    )


def _long(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def increase_approval(staff: dict) -> bytes:
    inc = staff["caseload_increase"]
    return page(
        '<div class="bar">Prairie Care Coordination, Inc. — Caseload increase approval</div>'
        + rows(
            [
                ("Case manager", staff["name"]),
                ("Caseload limit approved", str(inc["limit"])),
                ("Approved on", str(inc["approved"])),
                ("Basis", inc["basis"]),
                ("Policy", "Policies and procedures manual, caseload chapter, adopted 2026-09-15"),
                (
                    "Approved by",
                    "Marcus Bell, Case Management Supervisor; Dana Whitfield, Executive Director",
                ),
            ]
        )
        + '<p class="small">Fictional document for the cmpacket sample agency.</p>'
    )


def corporate(title: str, paragraphs: list[str], pages: int = 1) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    breaks = "".join(
        f'<div style="page-break-before: always"><p>{title}, continued (page {i + 2}).</p>{body}</div>'
        for i in range(pages - 1)
    )
    return page(f'<div class="bar">{html.escape(title)}</div>{body}{breaks}')


def main() -> None:
    data = yaml.safe_load((HERE / "agency.yaml").read_text())
    out: dict[str, bytes] = {}
    for s in data["staff"]:
        for lic in s.get("licenses") or []:
            out[lic["file"]] = license_printout(s, lic)
        bc = s["background_check"]
        out[bc["file"]] = registry(s)
        if bc.get("registry_recheck"):
            out[bc["registry_recheck"]["file"]] = registry(s, bc["registry_recheck"]["date"])
        if bc.get("aps_registry"):
            out[bc["aps_registry"]["file"]] = aps_registry(s)
        out[s["exclusion_check"]["file"]] = exclusion(s["name"], s["exclusion_check"])
        if s.get("experience_proof"):
            out[s["experience_proof"]["file"]] = experience_letter(s)
        if (s.get("caseload_increase") or {}).get("file"):
            out[s["caseload_increase"]["file"]] = increase_approval(s)
        for doc in s.get("documents") or []:
            if doc["kind"] == "diploma":
                out[doc["file"]] = diploma(s, s["degrees"][0])
    for person in (data["agency"].get("owners") or []) + (data["agency"].get("board") or []):
        out[person["exclusion_check"]["file"]] = exclusion(
            person["name"], person["exclusion_check"]
        )
    out["uploads/articles.pdf"] = corporate(
        "Articles of Incorporation — Illinois General Not For Profit Corporation Act",
        [
            "Article 1. The name of the corporation is Prairie Care Coordination, Inc.",
            "Article 2. Registered agent: Dana Whitfield, 410 W Main St, Springfield, IL 62701.",
            "Article 3. Purpose: to provide case management and care coordination to residents of "
            "central Illinois, without regard to ability to pay.",
            "Filed with the Illinois Secretary of State. Fictional document for the sample agency.",
        ],
        pages=2,
    )
    out["uploads/irs-determination.pdf"] = corporate(
        "Internal Revenue Service — Determination Letter",
        [
            "Employer Identification Number: 36-4810275.",
            "We have determined that Prairie Care Coordination, Inc. is exempt from federal income "
            "tax under section 501(c)(3). Fictional letter for the sample agency.",
        ],
    )
    out["uploads/board-resolution.pdf"] = corporate(
        "Board Resolution 2026-07",
        [
            "At its regular meeting of September 15, 2026, with a quorum present, the Board of "
            "Directors of Prairie Care Coordination, Inc. resolved as follows.",
            "Resolved, that the Board adopts the Case Management Policies and Procedures Manual "
            "presented at this meeting, including its chapters on caseload limits and "
            "competence-based increases, effective September 15, 2026.",
            "Certified as a true copy by Alicia Grant, Board Secretary, on September 16, 2026. "
            "Fictional document for the sample agency.",
        ],
    )
    for rel, pdf in sorted(out.items()):
        (HERE / rel).parent.mkdir(parents=True, exist_ok=True)
        (HERE / rel).write_bytes(pdf)
    print(f"wrote {len(out)} PDFs under {HERE / 'uploads'}")


if __name__ == "__main__":
    main()
