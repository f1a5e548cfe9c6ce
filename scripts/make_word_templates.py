"""Write the built-in Word templates (docxtpl tags) under src/cmpacket/templates/builtin/word/.

Run from the repository root: python scripts/make_word_templates.py
The .docx files are committed; edit this script and rerun it to change them. Each template
receives the same variables as its HTML twin (docs/templates.md).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

OUT = Path("src/cmpacket/templates/builtin/word")
NAVY = RGBColor(0x1F, 0x3A, 0x5F)


def new(kicker: str, title: str) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10.5)
    props = doc.core_properties
    props.author = "cmpacket"
    props.created = props.modified = datetime(2026, 1, 1)
    props.last_modified_by = "cmpacket"
    props.revision = 1
    section = doc.sections[0]
    section.footer.paragraphs[0].text = "{{ agency.legal_name }} — " + title
    p = doc.add_paragraph(kicker.upper())
    p.runs[0].font.size = Pt(8)
    p.runs[0].font.color.rgb = NAVY
    doc.add_heading(title, level=1)
    return doc


def para(doc: Document, text: str, style: str | None = None) -> None:
    doc.add_paragraph(text, style=style)


def tag(doc: Document, text: str) -> None:
    """A paragraph holding only a {%p %} tag (docxtpl removes it)."""
    doc.add_paragraph(text)


def bullets(doc: Document, loop: str, item: str) -> None:
    tag(doc, "{%p for " + loop + " %}")
    doc.add_paragraph(item, style="List Bullet")
    tag(doc, "{%p endfor %}")


def kv(doc: Document, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light Grid Accent 1"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value


def grid(doc: Document, headers: list[str], loop: str, cells: list[str]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    row = table.add_row().cells
    row[0].text = "{%tr for " + loop + " %}"
    row = table.add_row().cells
    for cell, text in zip(row, cells, strict=True):
        cell.text = text
    row = table.add_row().cells
    row[0].text = "{%tr endfor %}"


def signature(doc: Document, lines: list[str]) -> None:
    doc.add_paragraph("\n\n______________________________________")
    for line in lines:
        doc.add_paragraph(line)


def application_summary() -> Document:
    d = new(
        "Section A · Agency and application",
        "Application for certification as a Case Management Agency",
    )
    para(d, "{{ as_of | long_date }}")
    para(
        d, "{{ submission.body_name }} — Case Management Agency Certification: {{ program.title }}"
    )
    para(d, "Dear Reviewer,")
    para(
        d,
        "{{ agency.legal_name }} applies for certification as a case management agency for "
        "{{ program.title }}{{ (' (' ~ program.citation ~ ')') if program.citation else '' }} in "
        "{{ agency.counties | counties }}, Illinois. The enclosed packet documents staff "
        "qualifications and licensure, job descriptions for key positions, policies and procedures, "
        "service settings, the participant records system and the agency's statement of assurances "
        "and intent to execute the Department's written agreement once the Department approves the "
        "application.",
    )
    para(
        d,
        "Please direct correspondence to {{ agency.official.name }}, {{ agency.official.title }}, "
        "at {{ agency.official.email or agency.email }} or {{ agency.phone }}.",
    )
    para(d, "Sincerely,")
    signature(d, ["{{ agency.official.name }}", "{{ agency.official.title }}"])
    d.add_heading("Agency information", level=2)
    kv(
        d,
        [
            ("Legal name", "{{ agency.legal_name }}"),
            ("FEIN", "{{ agency.fein }}"),
            ("Address", "{{ agency.address }}"),
            ("Telephone", "{{ agency.phone }}"),
            ("E-mail", "{{ agency.email }}"),
            ("Program", "{{ program.title }} {{ program.citation }}"),
            ("Counties served", "{{ agency.counties | counties }}"),
            ("Authorized official", "{{ agency.official.name }}, {{ agency.official.title }}"),
        ],
    )
    d.add_heading("Medicaid enrollment", level=2)
    kv(
        d,
        [
            ("Bills Medicaid", "{{ 'Yes' if submission.medicaid else 'No' }}"),
            ("NPI", "{{ agency.npi or '—' }}"),
            ("IMPACT application id", "{{ agency.medicaid.impact_application_id or '—' }}"),
            ("Taxonomy", "{{ agency.medicaid.taxonomy or '—' }}"),
        ],
    )
    return d


def agreement() -> Document:
    d = new(
        "Section B · Assurances and intent to execute the Department's written agreement",
        "Statement of Assurances and Intent to Execute the Department's Written Agreement",
    )
    para(
        d,
        '{{ agency.legal_name }}, FEIN {{ agency.fein }}, {{ agency.address }} ("the Agency"), '
        "applying for certification as a case management agency for {{ program.title }} in "
        "{{ agency.counties | counties }}, makes the assurances below. This statement commits the "
        "Agency only. It is not an agreement with the Department, sets no term, date or duty for "
        "the Department or its designees, and does not take the place of the Department's written "
        "agreement, which the Department prepares on its own form after it approves the application.",
    )
    for title, text in [
        (
            "1. Intent to execute the Department's agreement",
            "If the Department certifies the Agency, the Agency will execute the written agreement "
            "the Department or its designee offers, on the Department's form, and will not provide "
            "services as a certified case management agency before it is executed.",
        ),
        (
            "2. Continuing compliance",
            "The Agency will comply on a continuing basis with the Department's requirements for "
            "{{ program.title }}, the Department's agreement once executed, and all applicable State "
            "and federal laws.",
        ),
        (
            "3. Staff and services",
            "Staff meet the qualifications in sections C and G, keep their licenses current and "
            "complete the background and exclusion checks the agency's policies describe.",
        ),
        (
            "4. Records, monitoring and access",
            "The Agency will keep confidential participant records for "
            "at least {{ records.retention_years | hours }} years and give the Department access for "
            "monitoring and on-site reviews as its rules and agreement provide.",
        ),
        (
            "5. Confidentiality",
            "Customer information is used only for program purposes and released only as the law "
            "allows (45 CFR Parts 160 and 164; 740 ILCS 110; 42 CFR Part 2; 410 ILCS 305).",
        ),
        (
            "6. Reports and changes",
            "The Agency will furnish requested reports and notify the Department in writing of "
            "changes in ownership, control, key staff, address or services within 30 days.",
        ),
        (
            "7. Accuracy",
            "The information in this packet is true, accurate and complete to the best of the "
            "signer's knowledge.",
        ),
    ]:
        d.add_heading(title, level=2)
        para(d, text)
    para(d, "For the Agency:")
    signature(d, ["{{ agreement.signatory.name }}", "{{ agreement.signatory.title }}", "Date:"])
    return d


def job_description() -> Document:
    d = new("Section C · Job description", "Job description")
    d.add_heading("{{ position.title }}", level=1)
    kv(
        d,
        [
            ("Position key", "{{ position.key }}"),
            ("Reports to", "{{ position.reports_to }}"),
            ("Direct customer contact", "{{ 'Yes' if position.direct_care else 'No' }}"),
        ],
    )
    d.add_heading("Summary", level=2)
    para(d, "{{ position.summary }}")
    d.add_heading("Duties and responsibilities", level=2)
    bullets(d, "duty in position.duties", "{{ duty }}")
    d.add_heading("Qualifications", level=2)
    bullets(d, "q in position.qualifications", "{{ q }}")
    d.add_heading("Supervision", level=2)
    para(
        d,
        "Reports to the {{ position.reports_to }}; {% if 'board' in (position.reports_to or '') | lower %}"
        "the Board sets annual goals and evaluates the position in writing every year.{% else %}"
        "monthly supervision and a yearly written evaluation.{% endif %}",
    )
    d.add_heading("Caseload and training expectations", level=2)
    para(
        d,
        "{% if position.case_manager and profile.caseload_rule %}No more than {{ profile.caseload_limit }} customers; increases only on "
        "demonstrated competence. {% endif %}{% if position.training %}At least "
        "{{ profile.training_hours | hours }} hours of in-service training every 12 months.{% endif %}",
    )
    d.add_heading("Background check", level=2)
    para(
        d,
        "{% if position.background_check %}Health Care Worker Registry and fingerprint check before "
        "starting work (225 ILCS 46 where the position is covered; agency policy otherwise)."
        "{% else %}Registry and exclusion checks at hire, Registry check yearly.{% endif %}",
    )
    return d


def policy_manual() -> Document:
    d = new("Section D · Policies and procedures", "Case Management Policies and Procedures")
    para(
        d,
        "{{ agency.legal_name }} — {{ program.title }} — adopted {{ policies.adopted | long_date }}",
    )
    tag(d, "{%p for ch in chapters %}")
    d.add_heading("{{ loop.index }}. {{ ch.title }}", level=2)
    tag(d, "{%p for block in ch.blocks %}")
    tag(d, "{%p if block.kind == 'h' %}")
    d.add_heading("{{ block.text }}", level=3)
    tag(d, "{%p elif block.kind == 'ul' %}")
    tag(d, "{%p for item in block.bullets %}")
    d.add_paragraph("{{ item }}", style="List Bullet")
    tag(d, "{%p endfor %}")
    tag(d, "{%p else %}")
    para(d, "{{ block.text }}")
    tag(d, "{%p endif %}")
    tag(d, "{%p endfor %}")
    para(d, "Basis: {{ ch.citation }}")
    tag(d, "{%p endfor %}")
    return d


def service_settings() -> Document:
    d = new("Section E · Service settings", "Service Settings Capability Statement")
    para(
        d,
        "{{ agency.legal_name }} provides case management in these settings: "
        "{{ settings | map(attribute='setting') | join_and }}.",
    )
    tag(d, "{%p for s in settings %}")
    d.add_heading("{{ s.setting | capitalize }}", level=2)
    para(d, "{{ s.description }}")
    para(d, "{% if s.safety %}Safety: {{ s.safety }}{% endif %}")
    tag(d, "{%p endfor %}")
    return d


def records_attestation() -> Document:
    d = new("Section F · Participant records system", "Participant Records System Attestation")
    kv(
        d,
        [
            ("System", "{{ records.name }}"),
            ("Format", "{{ records.format }}"),
            ("Storage", "{{ records.storage }}"),
            ("Access control", "{{ records.access_control }}"),
            ("Backup", "{{ records.backup }}"),
            ("Retention", "{{ records.retention_years | hours }} years"),
            ("Destruction", "{{ records.destruction }}"),
            ("Release of information", "{{ records.release_of_information }}"),
        ],
    )
    para(
        d,
        "I attest that the participant records system described above is in place, that access is "
        "limited to staff with a need to know, and that the Department may inspect the records.",
    )
    signature(
        d,
        ["{{ agency.official.name }}", "{{ agency.official.title }}, authorized official", "Date:"],
    )
    return d


def staff_roster() -> Document:
    d = new("Section G · Staff qualifications and licensure", "Staff Qualifications Roster")
    para(d, "{{ staff | length }} staff members as of {{ as_of | long_date }}.")
    grid(
        d,
        [
            "Staff",
            "Position",
            "Degrees",
            "Licenses",
            "Background check",
            "Training (h)",
            "Caseload",
        ],
        "s in staff",
        [
            "{{ s.name }} ({{ s.id }})",
            "{{ s.position_title }}",
            "{{ s.degrees | join('; ') }}",
            "{% for l in s.licenses %}{{ l.type }} {{ l.number }} ({{ l.expires }}) {% endfor %}",
            "{{ s.background.status }}",
            "{{ s.training_hours | hours }}",
            "{{ s.caseload if s.caseload is not none else '' }}",
        ],
    )
    return d


def readiness_report() -> Document:
    d = new("Readiness report", "Readiness report")
    para(
        d,
        "Program {{ program.title }} ({{ program.citation }}), as of {{ as_of | long_date }}: "
        "{{ 'submission-ready' if readiness.ready else 'not submission-ready' }} "
        "({{ readiness.counts.error }} errors, {{ readiness.counts.warning }} warnings).",
    )
    grid(
        d,
        ["Requirement", "Status", "Evidence page", "Basis"],
        "req in requirements",
        ["{{ req.title }}", "{{ req.status }}", "{{ req.page or '' }}", "{{ req.citation }}"],
    )
    d.add_heading("Open findings", level=2)
    grid(
        d,
        ["Severity", "Where", "Finding"],
        "f in readiness.findings",
        ["{{ f.severity }}", "{{ f.path }}", "{{ f.message }}"],
    )
    return d


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in [
        ("application-summary", application_summary),
        ("agreement", agreement),
        ("job-description", job_description),
        ("policy-manual", policy_manual),
        ("service-settings", service_settings),
        ("records-attestation", records_attestation),
        ("staff-roster", staff_roster),
        ("readiness-report", readiness_report),
    ]:
        doc = build()
        for p in doc.paragraphs:
            if p.text.startswith("{%p"):
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        doc.save(OUT / f"{name}.docx")
    print(f"wrote 8 Word templates to {OUT}")


if __name__ == "__main__":
    main()
