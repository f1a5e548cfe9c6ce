"""Every promise the policy manual makes is evidenced (SPEC §19, issue 23): the profile's
`promises:` and the rules that test the data against them, experience counted by role, licenses
the person's degrees cannot support, and the evidence check of the new proofs.

The rule tests run the profile's rules over the sample agency's data changed in one place (no
upload is read); one end-to-end test validates a copy of the sample, whose printouts are real
PDFs, with dates the printouts do not show.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cmpacket import api
from cmpacket.errors import ProfileError
from cmpacket.findings import Finding
from cmpacket.model import AgencyData, load_folder
from cmpacket.model._types import DatedProof, Degree, ExperienceRole, TrainingEntry
from cmpacket.validators import load_profile, obligations, run_rules
from tests.conftest import SAMPLE, copy_sample

AS_OF = date(2026, 12, 1)
NEW_CODES = (
    "registry-check-stale",
    "aps-check-missing",
    "license-verification-missing",
    "license-verification-stale",
    "training-topic-missing",
    "license-degree-inconsistent",
    "experience-unproven",
)
WHITFIELD, OKAFOR, BELL, LOPEZ, HERRERA = 0, 1, 2, 3, 6


@pytest.fixture(scope="module")
def sample() -> AgencyData:
    loaded = load_folder(SAMPLE)
    assert loaded.data is not None
    return loaded.data


def _with(data: AgencyData, i: int, **change: Any) -> AgencyData:
    staff = list(data.staff)
    staff[i] = dataclasses.replace(staff[i], **change)
    return dataclasses.replace(data, staff=tuple(staff))


def _bc(data: AgencyData, i: int, **change: Any) -> AgencyData:
    bc = data.staff[i].background_check
    assert bc is not None
    return _with(data, i, background_check=dataclasses.replace(bc, **change))


def _found(data: AgencyData, code: str, profile: str = "il-guide") -> list[Finding]:
    report = run_rules(data, load_profile(profile), AS_OF)
    return [f for f in report.findings if f.code == code]


@pytest.mark.parametrize("profile", ["il-guide", "il-fcm", "il-hsp-aids-waiver"])
def test_the_sample_keeps_every_promise(sample: AgencyData, profile: str) -> None:
    report = run_rules(sample, load_profile(profile), AS_OF)
    assert [f for f in report.findings if f.code in NEW_CODES] == []
    keys = {p["key"] for p in load_profile(profile).promises}
    assert {"registry-recheck", "aps-registry", "license-lookup", "privacy-training"} <= keys


# -- Health Care Worker Registry re-checks -----------------------------------------------------


def test_registry_not_checked_again_within_the_year_is_stale(sample: AgencyData) -> None:
    data = _bc(sample, OKAFOR, registry_recheck=None)
    (hit,) = _found(data, "registry-check-stale")
    assert hit.path == f"staff[{OKAFOR}].background_check.registry_recheck"
    assert hit.severity == "error" and "2021-03-01" in hit.message and "every year" in hit.message
    assert "anniversary of hire" in hit.citation


def test_a_new_hire_checked_before_hire_is_not_stale(sample: AgencyData) -> None:
    # Herrera, hired 2026-04-13, was checked on 2026-03-30 and has no re-check yet
    assert sample.staff[HERRERA].background_check.registry_recheck is None  # type: ignore[union-attr]
    assert _found(sample, "registry-check-stale") == []


def test_a_recheck_without_its_printout_is_found(sample: AgencyData) -> None:
    data = _bc(sample, LOPEZ, registry_recheck=DatedProof(date(2026, 2, 27), None))
    (hit,) = _found(data, "registry-check-stale")
    assert hit.path.endswith("registry_recheck.file") and "no printout" in hit.message


# -- APS Registry --------------------------------------------------------------------------------


def test_no_aps_registry_search_is_missing(sample: AgencyData) -> None:
    (hit,) = _found(_bc(sample, BELL, aps_registry=None), "aps-check-missing")
    assert hit.path == f"staff[{BELL}].background_check.aps_registry"
    assert "270.404" in hit.citation and "Adult Protective Services Registry" in hit.message


def test_an_aps_search_over_a_year_old_is_missing(sample: AgencyData) -> None:
    old = DatedProof(date(2025, 6, 1), "uploads/aps/bell.pdf")
    (hit,) = _found(_bc(sample, BELL, aps_registry=old), "aps-check-missing")
    assert "2025-06-01" in hit.message and "12 months" in hit.message


# -- license lookups -------------------------------------------------------------------------------


def test_a_license_without_a_dated_lookup_is_unverified(sample: AgencyData) -> None:
    lic = dataclasses.replace(sample.staff[LOPEZ].licenses[0], verified=None)
    (hit,) = _found(_with(sample, LOPEZ, licenses=(lic,)), "license-verification-missing")
    assert hit.path == f"staff[{LOPEZ}].licenses[0].verified" and "date and file" in hit.message


def test_a_lookup_before_the_last_renewal_is_stale(sample: AgencyData) -> None:
    # an LSW expiring 2027-11-30 was last renewed on 2025-11-30 (odd-year cycle)
    lic = sample.staff[LOPEZ].licenses[0]
    looked = DatedProof(date(2025, 6, 1), lic.file)
    changed = _with(sample, LOPEZ, licenses=(dataclasses.replace(lic, verified=looked),))
    (hit,) = _found(changed, "license-verification-stale")
    assert hit.path == f"staff[{LOPEZ}].licenses[0].verified.date"
    assert "2025-11-30" in hit.message and hit.severity == "warning"


# -- training by topic ---------------------------------------------------------------------------


def test_privacy_training_missing_from_the_log_is_found(sample: AgencyData) -> None:
    kept = tuple(t for t in sample.staff[BELL].training if "privacy" not in (t.topic or "").lower())
    (hit,) = _found(_with(sample, BELL, training=kept), "training-topic-missing")
    assert hit.path == f"staff[{BELL}].training" and "privacy training" in hit.message


def test_a_new_hire_inside_the_window_owes_no_training_yet(sample: AgencyData) -> None:
    data = _with(sample, BELL, hire_date=date(2026, 11, 20), training=())
    hits = _found(data, "training-topic-missing")
    assert hits == []  # privacy within a month, APS mandated-reporter within three


def test_aps_mandated_reporter_training_is_read_from_the_log(sample: AgencyData) -> None:
    kept = tuple(t for t in sample.staff[LOPEZ].training if "Adult Protective" not in t.topic)  # type: ignore[operator]
    (hit,) = _found(_with(sample, LOPEZ, training=kept), "training-topic-missing")
    assert "Adult Protective Services mandated-reporter training" in hit.message


def test_mandated_reporter_training_logged_counts(sample: AgencyData) -> None:
    logged = TrainingEntry(date(2026, 6, 1), 2.0, "DCFS Mandated Reporter training", "DCFS")
    data = _with(sample, LOPEZ, mandated_reporter_training=date(2022, 1, 5))
    assert [f.path for f in _found(data, "mandated-reporter-training-missing")] == [
        f"staff[{LOPEZ}].mandated_reporter_training"
    ]
    data = _with(data, LOPEZ, training=(*data.staff[LOPEZ].training, logged))
    assert _found(data, "mandated-reporter-training-missing") == []


# -- experience counted by role --------------------------------------------------------------


def test_case_aide_months_do_not_count(sample: AgencyData) -> None:
    proof = sample.staff[HERRERA].experience_proof
    assert proof is not None
    aide = (ExperienceRole("Case Aide", date(2025, 1, 6), date(2026, 3, 20), False),)
    data = _with(  # as a case manager (the sample's Herrera is provisional: no months needed)
        sample,
        HERRERA,
        position="case-manager",
        case_management_experience_months=14,
        experience_proof=dataclasses.replace(proof, roles=aide),
    )
    report = run_rules(data, load_profile("il-guide"), AS_OF)
    (hit,) = [f for f in report.findings if f.code == "experience-unproven"]
    assert hit.severity == "error" and "show 0 months" in hit.message and "Case Aide" in hit.message
    assert [f.path for f in report.findings if f.code == "qualification-not-met"] == [
        f"staff[{HERRERA}]"
    ]


def test_months_claimed_beyond_the_case_management_roles_are_unproven(
    sample: AgencyData,
) -> None:
    data = _with(sample, HERRERA, case_management_experience_months=26)
    report = run_rules(data, load_profile("il-guide"), AS_OF)
    (hit,) = [f for f in report.findings if f.code == "experience-unproven"]
    # the 20 case-manager months still qualify him (12 needed): a warning, not an error
    assert (
        hit.severity == "warning" and "26 months" in hit.message and "show 20 months" in hit.message
    )
    assert not [f for f in report.findings if f.code == "qualification-not-met"]


def test_a_letter_without_roles_proves_nothing(sample: AgencyData) -> None:
    proof = sample.staff[HERRERA].experience_proof
    assert proof is not None
    data = _with(  # as a case manager (the sample's Herrera is provisional: no months needed)
        sample,
        HERRERA,
        position="case-manager",
        experience_proof=dataclasses.replace(proof, roles=()),
    )
    (hit,) = _found(data, "experience-unproven")
    assert "missing roles" in hit.message and hit.severity == "error"


# -- licenses the degrees cannot support ---------------------------------------------------------


def test_an_lcsw_without_a_social_work_masters_is_inconsistent(sample: AgencyData) -> None:
    degrees = (
        Degree("master", "public administration", "University of Illinois Springfield", 2012),
        Degree("bachelor", "social work", "Illinois State University", 2008),
    )
    (hit,) = _found(_with(sample, WHITFIELD, degrees=degrees), "license-degree-inconsistent")
    assert hit.path == f"staff[{WHITFIELD}].licenses[0].type" and hit.severity == "error"
    assert "225 ILCS 20/9" in hit.citation and "public administration" in hit.message


def test_an_lsw_with_a_bsw_is_consistent_and_unverified_rows_warn(sample: AgencyData) -> None:
    assert _found(sample, "license-degree-inconsistent") == []  # Lopez: LSW with a BSW
    lic = dataclasses.replace(sample.staff[LOPEZ].licenses[0], type="LCPC", number="180.000001")
    (hit,) = _found(_with(sample, LOPEZ, licenses=(lic,)), "license-degree-inconsistent")
    assert hit.severity == "warning" and "not verified" in hit.message


# -- the profile data -----------------------------------------------------------------------------


def _profile(tmp_path: Path, promise: dict[str, Any]) -> Path:
    import yaml

    base = {
        "key": "x",
        "title": "x",
        "topic": "confidentiality",
        "field": "staff[].training[]",
        "topics": ["privacy"],
        "interval_months": 12,
        "check": "training-topic-missing",
        "citation": "agency policy",
        "verified": False,
    }
    path = tmp_path / "p.yaml"
    body = {"extends": "il-guide", "promises": [{**base, **promise}]}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"topic": "nonesuch"}, "promises[0].topic"),
        ({"topics": None}, "promises[0].topics"),
        (
            {"field": "staff[].background_check.aps_registy", "topics": None},
            "not a field of the agency data",
        ),
        ({"check": "no-such-rule"}, "unknown finding code"),
        ({"interval_months": "yearly"}, "interval_months"),
        ({"verified": "yes"}, "promises[0].verified"),
    ],
)
def test_a_malformed_promise_is_refused(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    with pytest.raises(ProfileError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_profile(str(_profile(tmp_path, change)))


def test_recurring_promises_are_on_the_calendar(sample: AgencyData) -> None:
    listed = obligations(sample, load_profile("il-guide"), AS_OF)
    keys = {o.key for o in listed}
    assert "staff:S-002|background_check.registry_recheck" in keys
    assert "staff:S-002|background_check.aps_registry" in keys
    privacy = next(o for o in listed if o.key == "staff:S-003|training[]:privacy-training")
    assert privacy.due == date(2027, 9, 18)  # a year after the logged refresher


# -- the evidence check reads the new proofs (end to end, real printouts) ---------------------


def test_the_evidence_check_catches_wrong_search_lookup_and_role_dates(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        lopez, herrera = d["staff"][LOPEZ], d["staff"][HERRERA]
        lopez["background_check"]["aps_registry"]["date"] = "2026-02-26"  # printout: 02-27
        lopez["background_check"]["registry_recheck"]["date"] = "2026-02-20"
        lopez["licenses"][0]["verified"]["date"] = "2026-11-06"  # printout: 11-16
        herrera["experience_proof"]["roles"][1]["from"] = "2024-06-01"  # letter: July 1

    report = api.validate(copy_sample(tmp_path, edit))
    hits = {f.path: f.message for f in report.findings if f.code == "proof-mismatch"}
    assert set(hits) == {
        f"staff[{LOPEZ}].background_check.aps_registry.date",
        f"staff[{LOPEZ}].background_check.registry_recheck.date",
        f"staff[{LOPEZ}].licenses[0].verified.date",
        f"staff[{HERRERA}].experience_proof.roles[1].from",
    }
    assert (
        "'2026-02-27' as the search date"
        in hits[f"staff[{LOPEZ}].background_check.aps_registry.date"]
    )
    assert "'2026-11-16' as the lookup date" in hits[f"staff[{LOPEZ}].licenses[0].verified.date"]
    assert "June 1, 2024" in hits[f"staff[{HERRERA}].experience_proof.roles[1].from"]
    kinds = {e.path: (e.kind, e.mismatched) for e in report.evidence}
    assert kinds[f"staff[{LOPEZ}].background_check.aps_registry"] == ("aps", ("searched",))
    assert kinds[f"staff[{HERRERA}].experience_proof"] == ("experience", ("role_dates",))


def test_staff_csv_carries_the_new_fields(tmp_path: Path) -> None:
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "agency.yaml").write_text("schema_version: 1\nprofile: il-guide\n", encoding="utf-8")
    (folder / "staff.csv").write_text(
        "id,name,license1_type,license1_verified_date,license1_verified_file,"
        "bg_registry_recheck_date,bg_aps_registry_date,bg_aps_registry_file,"
        "experience_proof_file,role1_title,role1_from,role1_to,role1_case_management\n"
        "S-1,Ann Lee,LSW,11/16/2026,uploads/l.pdf,2026-02-27,2026-02-27,uploads/a.pdf,"
        "uploads/x.pdf,Case Manager,2024-07-01,2026-03-20,true\n",
        encoding="utf-8",
    )
    loaded = load_folder(folder)
    assert loaded.data is not None, loaded.findings
    (s,) = loaded.data.staff
    assert s.licenses[0].verified == DatedProof(date(2026, 11, 16), "uploads/l.pdf")
    assert s.background_check is not None
    assert s.background_check.registry_recheck == DatedProof(date(2026, 2, 27), None)
    assert s.background_check.aps_registry == DatedProof(date(2026, 2, 27), "uploads/a.pdf")
    assert s.experience_proof is not None and s.experience_proof.roles == (
        ExperienceRole("Case Manager", date(2024, 7, 1), date(2026, 3, 20), True),
    )
