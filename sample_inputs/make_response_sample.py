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
<div class="bar">Illinois Department of Human Services</div>
<p style="margin-top:18px">January 5, 2027</p>
<p>Dana Whitfield, Executive Director<br>Prairie Care Coordination, Inc.<br>
410 W Main St<br>Springfield, IL 62701</p>
<p><b>Re: Case management agency certification — request for information
(HSP-CM-2027-014)</b></p>
<p>Dear Ms. Whitfield:</p>
<p>The Department has reviewed the certification packet Prairie Care Coordination, Inc.
submitted on December 1, 2026. Before the review can be completed, please provide the following
within 30 calendar days of receipt of this letter:</p>
<ol>
<li>Dated evidence of Tomás Herrera's case management experience that separates months as a
case aide from months as a case manager.</li>
<li>Evidence that every staff member completed privacy (HIPAA) training within the past twelve
months, as the agency's policies and procedures manual states.</li>
<li>The name of the agency's HIPAA security official and how access to electronic participant
records is granted, reviewed and removed.</li>
<li>The procedure by which a case is closed or transferred, including when the customer is
notified.</li>
<li>The job description of the case manager, showing the minimum qualifications.</li>
</ol>
<p>Please cite this letter's reference on every page of your response.</p>
<p>Sincerely,</p>
<p>Certification Review Unit<br>Illinois Department of Human Services</p>
<p class="small">Fictional letter for the cmpacket sample agency.</p>
"""

EXPERIENCE = (
    '<div class="bar">Central Illinois Family Services — Human Resources</div>'
    "<p style='margin-top:18px'>January 18, 2027</p>"
    "<p>To the Illinois Department of Human Services:</p>"
    "<p>Tomás Herrera was employed by Central Illinois Family Services in these roles:</p>"
    + rows(
        [
            ("Case aide", "June 1, 2023 – December 31, 2023 (not case management)"),
            ("Case manager", "January 1, 2024 – February 28, 2026 (26 months)"),
            ("Duties as case manager", "assessment, service planning, monitoring, closure"),
        ]
    )
    + "<p>Janet Morales, Human Resources Director, Central Illinois Family Services</p>"
    + '<p class="small">Letter for the cmpacket sample agency. Fictional data.</p>'
)

STAFF = [
    ("Dana Whitfield", "2026-12-14"),
    ("Renee Okafor", "2026-12-14"),
    ("Marcus Bell", "2026-12-14"),
    ("Maria Lopez", "2026-12-15"),
    ("James Thornton", "2026-12-15"),
    ("Aisha Rahman", "2026-12-15"),
    ("Tomás Herrera", "2026-12-16"),
    ("Grace Kim", "2026-12-16"),
    ("Lena Novak", "2026-12-16"),
]

TRAINING = (
    '<div class="bar">Prairie Care Coordination, Inc. — Privacy (HIPAA) training log</div>'
    "<p style='margin-top:18px'>Course: Protecting participant information (HIPAA Privacy and "
    "Security Rules, 740 ILCS 110), 1.5 hours, Prairie Care (internal)</p>"
    + rows([(name, f"completed {day}") for name, day in STAFF])
    + "<p>Certified by Renee Okafor, Quality Assurance and Records Coordinator, January 12, "
    "2027</p>" + '<p class="small">Log for the cmpacket sample agency. Fictional data.</p>'
)


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, body in (
        ("rfi-letter-2027-01-05.pdf", LETTER),
        ("herrera-experience-2027.pdf", EXPERIENCE),
        ("privacy-training-log-2027.pdf", TRAINING),
    ):
        (HERE / name).write_bytes(page(body))
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
