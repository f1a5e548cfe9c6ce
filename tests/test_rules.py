"""Requirement rules: one failing variant per finding code, as-of, strict, profiles as data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmpacket import api
from cmpacket.validators._rules_agency import npi_valid
from tests.conftest import copy_sample


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path[:-1]:
            if isinstance(part, str) and part.startswith("S-"):
                node = next(s for s in node if s["id"] == part)
            else:
                node = node[part]
        node[path[-1]] = value

    return edit


def _both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for one in edits:
            one(data)

    return edit


def _write_pdf(folder: Path, name: str, body: bytes) -> str:
    (folder / "uploads" / name).write_bytes(body)
    return f"uploads/{name}"


# (code, severity, edit, expected path, text the message must quote)
CASES: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str]] = [
    (  # il-guide's severity (the sample's il-hsp-aids-waiver warns)
        "caseload-over-limit",
        "error",
        _both(_set(["profile"], "il-guide"), _set(["staff", "S-004", "caseload"], 31)),
        "staff[3].caseload",
        "31",
    ),
    (
        "caseload-increase-unsupported",
        "error",
        _set(["staff", "S-006", "caseload_increase"], {"limit": 34}),
        "staff[5].caseload_increase",
        "34",
    ),
    (
        "training-hours-short",
        "error",
        _both(
            _set(["profile"], "il-guide"),
            _set(["staff", "S-004", "training"], [{"date": "2026-06-01", "hours": 5}]),
        ),
        "staff[3].training",
        "5",
    ),
    (
        "license-expired",
        "error",
        _set(["staff", "S-004", "licenses", 0, "expires"], "2026-11-30"),
        "staff[3].licenses[0].expires",
        "2026-11-30",
    ),
    (
        "license-expiring-soon",
        "warning",
        _set(["staff", "S-004", "licenses", 0, "expires"], "2027-01-15"),
        "staff[3].licenses[0].expires",
        "2027-01-15",
    ),
    (
        "license-proof-missing",
        "error",
        _set(["staff", "S-004", "licenses", 0, "file"], None),
        "staff[3].licenses[0].file",
        "150.123456",
    ),
    (
        "qualification-not-met",
        "error",
        _set(["staff", "S-007", "case_management_experience_months"], 3),
        "staff[6]",
        "Tomás Herrera",
    ),
    (
        "background-check-missing",
        "error",
        _set(["staff", "S-004", "background_check"], None),
        "staff[3].background_check",
        "Maria Lopez",
    ),
    (
        "background-check-late",
        "error",
        _set(["staff", "S-004", "background_check", "registry_check"], "2024-04-01"),
        "staff[3].background_check",
        "2024-04-01",
    ),
    (
        "background-check-disqualified",
        "error",
        _set(["staff", "S-004", "background_check", "status"], "pending"),
        "staff[3].background_check.status",
        "'pending'",
    ),
    (
        "job-description-missing",
        "error",
        _set(["staff", "S-004", "position"], "peer-specialist"),
        "staff[3].position",
        "'peer-specialist'",
    ),
    (
        "policy-topic-missing",
        "error",
        _set(["policies", "crisis_line"], ""),
        "policies.crisis_line",
        "policies.crisis_line",
    ),
    (
        "service-settings-missing",
        "error",
        _set(["service_settings", 0, "description"], None),
        "service_settings[0]",
        "'home'",
    ),
    (
        "records-system-incomplete",
        "error",
        _set(["records_system", "access_control"], ""),
        "records_system.access_control",
        "access control",
    ),
    (
        "records-retention-short",
        "error",
        _set(["records_system", "retention_years"], 4),
        "records_system.retention_years",
        "4",
    ),
    (
        "medicaid-enrollment-incomplete",
        "error",
        _set(["agency", "medicaid"], None),
        "agency.medicaid",
        "IMPACT",
    ),
    ("npi-invalid", "error", _set(["agency", "npi"], "1234567890"), "agency.npi", "'1234567890'"),
    ("fein-invalid", "error", _set(["agency", "fein"], "364810275"), "agency.fein", "'364810275'"),
    (
        "agreement-incomplete",
        "error",
        _set(["agreement", "signatory"], None),
        "agreement.signatory",
        "signatory",
    ),
    (
        "upload-missing",
        "error",
        _set(["attachments", 0, "file"], "uploads/nope.pdf"),
        "attachments[0].file",
        "'uploads/nope.pdf'",
    ),
    (
        "upload-outside-folder",
        "error",
        _set(["attachments", 0, "file"], "../../etc/passwd"),
        "attachments[0].file",
        "'../../etc/passwd'",
    ),
    (
        "schema-invalid",
        "error",
        _set(["staff", "S-004", "hire_date"], "March 1"),
        "staff[3].hire_date",
        "'March 1'",
    ),
    (
        "staff-id-duplicate",
        "error",
        _set(["staff", "S-005", "id"], "S-004"),
        "staff[4].id",
        "'S-004'",
    ),
    (
        "unknown-field",
        "warning",
        _set(["agency", "legal_nmae"], "x"),
        "agency.legal_nmae",
        "'legal_name'",
    ),
]


@pytest.mark.parametrize(
    ("code", "severity", "edit", "path", "quoted"), CASES, ids=[c[0] for c in CASES]
)
def test_each_finding_code(
    tmp_path: Path, code: str, severity: str, edit: Any, path: str, quoted: str
) -> None:
    report = api.validate(copy_sample(tmp_path, edit))
    hits = [f for f in report.findings if f.code == code]
    assert hits, f"{code} not raised; got {[f.code for f in report.findings]}"
    f = next((h for h in hits if h.path == path), hits[0])
    assert (f.severity, f.path) == (severity, path)
    assert quoted in f.message
    assert f.citation


BAD_PDFS = {
    "upload-unreadable": (b"", "empty"),
    "upload-encrypted": (None, "password"),
    "upload-active-content": (None, "JavaScript"),
    "upload-too-large": (None, "limit"),
}


def _hostile_pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )
    import io

    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("code", sorted(BAD_PDFS))
def test_upload_codes(tmp_path: Path, code: str) -> None:
    from tests.conftest import corpus

    folder = copy_sample(tmp_path)
    body, text = BAD_PDFS[code]
    if code == "upload-encrypted":
        body = corpus("005-").read_bytes()
    elif code == "upload-active-content":
        body = _hostile_pdf()
    elif code == "upload-too-large":
        body = corpus("004-").read_bytes()
        prof = yaml.safe_load((folder / "agency.yaml").read_text())
        (folder / "p.yaml").write_text(
            yaml.safe_dump(
                {"extends": "il-guide", "name": "tiny", "limits": {"max_upload_pages": 2}}
            )
        )
        prof["profile"] = "p.yaml"
        (folder / "agency.yaml").write_text(yaml.safe_dump(prof, sort_keys=False))
    rel = _write_pdf(folder, "bad.pdf", body)
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["attachments"][0]["file"] = rel
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    report = api.validate(folder)
    (f,) = [f for f in report.findings if f.code == code]
    assert (
        f.path == "attachments[0].file" and "'uploads/bad.pdf'" in f.message and text in f.message
    )


def test_text_file_named_pdf_is_unreadable(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "uploads" / "articles.pdf").write_text("Dear sir,\nthis is not a PDF\n")
    (f,) = [f for f in api.validate(folder).findings if f.code == "upload-unreadable"]
    assert "the file is a plain text file" in f.message  # what it is, never its raw bytes
    assert "\\x" not in f.message and "Dear sir" not in f.message


def test_sample_is_ready_with_no_errors(sample: Path) -> None:
    report = api.validate(sample)
    assert report.ready and report.counts["error"] == 0, [f.text_line() for f in report.findings]


def test_as_of_moves_every_date_rule(sample: Path) -> None:
    later = api.validate(sample, as_of="2027-12-15")
    codes = {f.code for f in later.findings}
    assert "license-expired" in codes and later.as_of.isoformat() == "2027-12-15"
    assert "training-hours-short" in codes  # nothing logged in the year before 2027-12-15


def test_strict_turns_warnings_into_errors(sample: Path) -> None:
    soon = api.validate(sample, as_of="2027-10-15")
    assert any(f.code == "license-expiring-soon" and f.severity == "warning" for f in soon.findings)
    strict = api.validate(sample, as_of="2027-10-15", strict=True)
    assert any(f.code == "license-expiring-soon" and f.severity == "error" for f in strict.findings)
    assert not strict.ready


def test_training_is_prorated_for_new_staff(tmp_path: Path) -> None:
    # Tomás Herrera, hired 2026-04-13, has 13 h; 7 full months to 2026-12-01 -> 7 h required.
    ok = api.validate(copy_sample(tmp_path / "a"))
    assert not [f for f in ok.findings if f.path == "staff[6].training"]

    def cut(data: dict[str, Any]) -> None:  # every session logged as one hour: 4 h
        for entry in next(s for s in data["staff"] if s["id"] == "S-007")["training"]:
            entry["hours"] = 1

    short = api.validate(copy_sample(tmp_path / "b", cut))
    (f,) = [f for f in short.findings if f.code == "training-hours-short"]
    assert f.path == "staff[6].training" and "7 required (prorated" in f.message


def test_grant_writer_raises_caseload_limit_in_a_copied_profile(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path, _set(["staff", "S-004", "caseload"], 33))
    assert any(f.code == "caseload-over-limit" for f in api.validate(folder).findings)
    from importlib import resources

    text = resources.files("cmpacket.profiles").joinpath("il-guide.yaml").read_text()
    text = text.replace("params: {limit: 30,", "params: {limit: 35,")
    (folder / "my-profile.yaml").write_text(text.replace("name: il-guide", "name: my-agency"))
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["profile"] = "my-profile.yaml"
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    report = api.validate(folder)
    assert report.profile == "my-agency"
    assert not any(f.code == "caseload-over-limit" for f in report.findings)


def test_profile_extends_and_overrides(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path, _set(["records_system", "retention_years"], 6))
    (folder / "p.yaml").write_text(
        "extends: il-guide\nname: strict-records\nrules:\n  - code: records-retention-short\n    params: {min_years: 10}\n"
    )
    report = api.validate(folder, profile="p.yaml")
    (f,) = [f for f in report.findings if f.code == "records-retention-short"]
    assert "at least 10" in f.message


def test_unknown_rule_code_in_profile_is_a_usage_error(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    (folder / "p.yaml").write_text("name: x\nrules:\n  - code: caseload-too-high\n")
    r = cli("validate", folder, "--profile", "p.yaml")
    assert r.code == 2 and "caseload-too-high" in r.err and "Known codes" in r.err


def test_hsp_profile_flags_provisional_case_managers_and_contact_frequency(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["policies"]["contact_frequency"] = "every quarter"
        del data["staff"][3]["competency_score"]  # Maria Lopez without her review score

    folder = copy_sample(tmp_path, edit)
    report = api.validate(folder, profile="il-hsp-aids-waiver")
    codes = {f.code: f for f in report.findings}
    assert codes["contact-frequency-missing"].severity == "error"
    assert "monthly" in codes["contact-frequency-missing"].message
    prov = [f for f in report.findings if f.code == "provisional-case-manager"]
    assert {f.path for f in prov} >= {"staff[3].competency_score"}  # Maria Lopez has no score
    assert "staff[5].competency_score" not in {f.path for f in prov}  # Aisha Rahman scored 100


def test_hsp_profile_keeps_guide_numbers_as_warnings(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path, _set(["staff", "S-004", "caseload"], 40))
    (f,) = [
        f
        for f in api.validate(folder, profile="il-hsp-aids-waiver").findings
        if f.code == "caseload-over-limit"
    ]
    assert f.severity == "warning"


def test_fcm_profile_requires_rn_case_managers_and_has_no_caseload_cap(tmp_path: Path) -> None:
    folder = copy_sample(
        tmp_path,
        _both(
            _set(["staff", "S-004", "caseload"], 120),
            _set(["staff", "S-007", "position"], "case-manager"),  # a case manager under FCM
        ),
    )
    report = api.validate(folder, profile="il-fcm")
    assert not any(f.code == "caseload-over-limit" for f in report.findings)
    unqualified = {f.path for f in report.findings if f.code == "qualification-not-met"}
    assert "staff[6]" in unqualified  # Tomás Herrera: no RN/LSW/LCSW
    assert "staff[4]" not in unqualified  # James Thornton, RN with BSN and experience


@pytest.mark.parametrize(
    ("npi", "ok"),
    [("1234567893", True), ("1234567890", False), ("123456789", False), ("1245319599", True)],
)
def test_npi_check_digit(npi: str, ok: bool) -> None:
    assert npi_valid(npi) is ok


def test_validate_json_shape_and_exit_codes(cli: Any, sample: Path, tmp_path: Path) -> None:
    r = cli("validate", sample, "--format", "json")
    assert r.code == 0
    rep = r.json()
    assert set(rep) == {"ready", "as_of", "profile", "counts", "findings", "evidence", "lapsing"}
    assert rep["lapsing"]["within_days"] == 90 and rep["lapsing"]["obligations"]  # the calendar's
    assert all(e["page"] is None and e["checked"] for e in rep["evidence"])  # no packet yet
    assert (
        rep["ready"] is True
        and rep["as_of"] == "2026-12-01"
        and rep["profile"] == "il-hsp-aids-waiver"
    )
    assert set(rep["counts"]) == {"error", "warning", "info"}
    bad = copy_sample(
        tmp_path / "bad",
        _both(_set(["profile"], "il-guide"), _set(["staff", "S-004", "caseload"], 31)),
    )
    r = cli("validate", bad, "--format", "json")
    assert r.code == 1 and r.json()["ready"] is False
    assert r.json()["findings"][0].keys() >= {"code", "severity", "path", "message", "citation"}
    r = cli("validate", bad)
    assert r.code == 1 and "staff[3].caseload" in r.out and "not ready" in r.out


def test_profiles_list_and_show(cli: Any) -> None:
    r = cli("profiles", "list")
    assert r.code == 0 and all(n in r.out for n in ("il-guide", "il-hsp-aids-waiver", "il-fcm"))
    r = cli("profiles", "show", "il-guide")
    assert (
        r.code == 0
        and "caseload-over-limit" in r.out
        and "guide only" in r.out
        and "verified" in r.out
    )
    r = cli("profiles", "show", "il-guide", "--format", "json")
    rules = {x["code"]: x for x in r.json()["rules"]}
    assert (
        rules["caseload-over-limit"]["params"]["limit"] == 30
        and rules["caseload-over-limit"]["verified"] is False
    )
    assert cli("profiles", "show", "nope").code == 2
