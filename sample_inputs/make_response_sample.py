"""Generate the sample agency's answer to a request for information (RFI): the Department's
letter and the two new exhibits under `prairie-care/responses/rfi-2027-01/`. Run from the
repository root after installing cmpacket:

    python sample_inputs/make_response_sample.py

The files are committed (response.yaml is written by hand, beside them); rerun this only to
change the PDFs. The letter is fictional, as is everything in the sample.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from make_uploads import page, rows  # noqa: E402  (the sample's own page style)

HERE = Path(__file__).parent / "prairie-care" / "responses" / "rfi-2027-01"

LETTER = """
<div class="bar">Illinois Department of Human Services — Division of Rehabilitation Services</div>
<p style="margin-top:18px">January 5, 2027</p>
<p>Dana Whitfield, Executive Director<br>Prairie Care Coordination, Inc.<br>
410 W Main St<br>Springfield, IL 62701</p>
<p><b>Re: Home Services Program case management agency certification (89 Ill. Adm. Code
686 Subpart J) — request for information (HSP-CM-2027-014)</b></p>
<p>Dear Ms. Whitfield:</p>
<p>The Department has reviewed the certification packet Prairie Care Coordination, Inc.
submitted on December 1, 2026. Before the review can be completed, please provide the following
within 30 calendar days of receipt of this letter:</p>
<ol>
<li>A confirmation of Tomás Herrera's duties as a case manager at Central Illinois Family
Services from the person who supervised him there (the letter in the packet is signed by its
human resources director).</li>
<li>The attendance record of the HIPAA privacy and security refresher of September 18, 2026 that
the staff roster lists for every staff member.</li>
<li>How access to electronic participant records is granted, reviewed and removed, and who is
responsible for it.</li>
<li>The procedure by which a case is closed or transferred, including when the customer is
notified.</li>
<li>The job description of the case manager, showing the minimum qualifications.</li>
</ol>
<p>Please cite this letter's reference on every page of your response.</p>
<p>Sincerely,</p>
<p>Home Services Program, Case Management Certification<br>Division of Rehabilitation Services<br>Illinois Department of Human Services</p>
<p class="small">Fictional letter for the cmpacket sample agency.</p>
"""

EXPERIENCE = (
    '<div class="bar">Central Illinois Family Services</div>'
    "<p style='margin-top:18px'>January 18, 2027</p>"
    "<p>To the Illinois Department of Human Services:</p>"
    "<p>I supervised Tomás Herrera at Central Illinois Family Services. His roles were:</p>"
    + rows(
        [
            ("Case Aide", "January 8, 2024 – June 30, 2024: scheduling, transport, filing"),
            ("Case Manager", "July 1, 2024 – March 20, 2026, a caseload of up to 25 customers"),
            (
                "Duties as case manager",
                "assessments, person-centered service plans, monthly monitoring contacts, "
                "referrals and case closure, under my supervision",
            ),
        ]
    )
    + "<p>Karen Olsen, LCSW, Case Management Supervisor, Central Illinois Family Services, "
    "1200 S 6th St, Springfield, IL 62703, 217-555-0190</p>"
    + '<p class="small">Letter for the cmpacket sample agency. Fictional data.</p>'
)

STAFF = [
    "Dana Whitfield",
    "Renee Okafor",
    "Marcus Bell",
    "Maria Lopez",
    "James Thornton",
    "Aisha Rahman",
    "Tomás Herrera",
    "Grace Kim",
    "Lena Novak",
]

ATTENDANCE = (
    '<div class="bar">Prairie Care Coordination, Inc. — Training attendance</div>'
    "<p style='margin-top:18px'>HIPAA privacy and security refresher, September 18, 2026, "
    "9:00 a.m. – 1:00 p.m. (4 hours), Prairie Care (internal); presenter: Renee Okafor, "
    "privacy officer</p>"
    + rows([(name, "attended, signed in and out") for name in STAFF])
    + "<p>Certified by Renee Okafor, Quality Assurance and Records Coordinator</p>"
    + '<p class="small">Record for the cmpacket sample agency. Fictional data.</p>'
)


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, body in (
        ("rfi-letter-2027-01-05.pdf", LETTER),
        ("herrera-supervisor-2027.pdf", EXPERIENCE),
        ("privacy-training-attendance-2026-09-18.pdf", ATTENDANCE),
    ):
        (HERE / name).write_bytes(page(body))
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
