"""`cmpacket calendar` (SPEC §17): every dated obligation as an RFC 5545 calendar (and CSV, JSON),
with stable UIDs, alarms, no identifiers and the same bytes every run; the readiness report's
"Lapsing within 90 days" is the same list."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import yaml

from cmpacket import validators
from tests.conftest import copy_sample, packet_of

AS_OF = "2026-12-01"
LICENSE_NUMBERS = ("149.018842", "149.021337", "150.123456", "041.412087", "178.014456")
IDENTIFIERS = (
    *LICENSE_NUMBERS,
    *(n.replace(".", "") for n in LICENSE_NUMBERS),
    "149.000777",  # the license added without an expiry
    "1234567893",  # NPI
    "36-4810275",  # FEIN
    "364810275",
    "IMP-2026-004512",  # IMPACT application id
    "S-004",  # staff ids stay inside the UIDs' hashes
)


def write_response(folder: Path, name: str, received: str, sent: str | None = None) -> None:
    where = folder / "responses" / name
    where.mkdir(parents=True)
    data: dict[str, Any] = {
        "kind": "rfi",
        "letter": {
            "from": "Illinois Department of Human Services",
            "reference": "HSP-CM-2026-101",
            "dated": "2026-11-16",
            "received": received,
        },
        "base": "sent/packet.pdf",
        "items": [{"id": "1", "request": "Send the board roster.", "answer": "Enclosed."}],
    }
    if sent:
        data["sent"] = sent
    (where / "response.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def every_kind(data: dict[str, Any]) -> None:
    """The sample with one obligation of each kind on a known date (as of 2026-12-01)."""
    data["agency"]["medicaid"]["enrolled"] = "2022-06-01"  # HFS revalidation 2027-06-01
    data["staff"][1]["licenses"] = [{"type": "LCSW", "number": "149.000777", "state": "IL"}]
    data["staff"][4]["mandated_reporter_training"] = "2023-06-01"  # overdue since 2026-06-01


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    folder = copy_sample(tmp_path, every_kind)
    write_response(folder, "rfi-2026-11", received="2026-11-20")  # due 2026-12-20
    write_response(folder, "rfi-old", received="2026-08-01", sent="2026-08-20")  # sent: not listed
    return folder


def ics(cli: Any, folder: Path, *more: str) -> icalendar.Calendar:
    r = cli("calendar", folder, "--as-of", AS_OF, *more)
    assert r.code == 0, r.err
    return icalendar.Calendar.from_ical(r.out)


def by_summary(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


EXPECTED = {  # SUMMARY -> DTSTART
    "Maria Lopez: LSW license expires": date(2027, 11, 30),
    "Renee Okafor: LCSW license renewal date set by rule": date(2027, 11, 30),
    "Maria Lopez: in-service training year ends (12 of 12 hours logged)": date(2027, 2, 28),
    "Maria Lopez: privacy training": date(2027, 9, 18),
    "Maria Lopez: Adult Protective Services Registry search": date(2027, 2, 27),
    "Maria Lopez: mandated-reporter training due": date(2027, 3, 5),
    "OVERDUE: James Thornton: mandated-reporter training due": date(2026, 6, 1),
    "Maria Lopez: exclusion screening due": date(2027, 11, 16),
    "Alicia Grant: exclusion screening due": date(2027, 11, 16),
    "Prairie Care: annual review of the policies by the Board": date(2027, 9, 15),
    "Prairie Care: written agreement with Illinois Department of Human Services ends": date(
        2027, 12, 31
    ),
    "Prairie Care: HFS Medicaid revalidation due": date(2027, 6, 1),
    "Prairie Care: response to the Department's request for information HSP-CM-2026-101 due": (
        date(2026, 12, 20)
    ),
}


def test_every_obligation_type_is_an_all_day_event_with_alarms(cli: Any, agency: Path) -> None:
    events = by_summary(ics(cli, agency))
    for summary, day in EXPECTED.items():
        assert summary in events, (summary, sorted(events))
        event = events[summary]
        assert event.decoded("DTSTART") == day and type(event.decoded("DTSTART")) is date
        assert event.decoded("DTEND") == day + timedelta(days=1)
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        alarms = event.walk("VALARM")
        assert sorted(a.decoded("TRIGGER") for a in alarms) == [
            timedelta(days=-90),
            timedelta(days=-30),
            timedelta(days=-7),
        ]
        assert all(str(a["ACTION"]) == "DISPLAY" for a in alarms)
    kinds = {str(e["X-CMPACKET-KIND"]) for e in events.values()}
    assert kinds >= {
        "license-expiry",
        "license-renewal",
        "training-year",
        "mandated-reporter-training",
        "exclusion-screening",
        "policy-review",
        "agreement-term-end",
        "hfs-revalidation",
        "response-due",
    }
    # the sent response is done; the Registry re-check is the profile's promise (yearly)
    assert not any("rfi-old" in s for s in events)
    assert events["Maria Lopez: Health Care Worker Registry re-check"].decoded("DTSTART") == date(
        2027, 2, 27
    )


def test_the_horizon_and_overdue_ones(cli: Any, agency: Path) -> None:
    events = by_summary(ics(cli, agency, "--months", "6"))
    last = date(2027, 6, 1)
    assert all(e.decoded("DTSTART") <= last for e in events.values())
    assert "OVERDUE: James Thornton: mandated-reporter training due" in events
    assert "Maria Lopez: LSW license expires" not in events  # 2027-11-30, past the horizon
    assert "Prairie Care: HFS Medicaid revalidation due" in events  # 2027-06-01, the last day


def test_a_training_year_that_ended_short_is_overdue_while_the_rule_finds_it_short(
    cli: Any, tmp_path: Path
) -> None:
    """Maria Lopez's training year 2026-03-01 to 2027-02-28 ended with 8 of 12 hours: overdue
    on 2027-03-01 while the rule finds her short; hours logged since count for the rule."""

    def unlogged(data: dict[str, Any]) -> None:  # her privacy refresher, 4 of her 12 hours
        lopez = data["staff"][3]
        lopez["training"] = [t for t in lopez["training"] if "privacy" not in t["topic"]]

    folder = copy_sample(tmp_path, unlogged)
    events = by_summary(ics(cli, folder, "--as-of", "2027-03-01"))
    ended = events["OVERDUE: Maria Lopez: in-service training year ended short (8 of 12 hours logged)"]  # fmt: skip
    assert ended.decoded("DTSTART") == date(2027, 2, 28)
    assert "Maria Lopez: in-service training year ends (0 of 12 hours logged)" in events
    found = cli("validate", folder, "--as-of", "2027-03-01", "--format", "json").json()["findings"]
    assert [
        f for f in found if f["code"] == "training-hours-short" and f["path"].startswith("staff[3]")
    ]
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["staff"][3]["training"].append({"date": "2027-03-01", "hours": 4, "topic": "Ethics"})
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    events = by_summary(ics(cli, folder, "--as-of", "2027-03-01"))
    assert not [s for s in events if "Maria Lopez: in-service training year ended short" in s]
    assert "Maria Lopez: in-service training year ends (4 of 12 hours logged)" in events


def test_uids_stay_when_the_data_changes_and_are_equal_across_runs(cli: Any, agency: Path) -> None:
    def uids(*more: str) -> dict[str, str]:
        return {str(e["SUMMARY"]): str(e["UID"]) for e in ics(cli, agency, *more).walk("VEVENT")}

    first = uids()
    assert uids() == first
    assert len(set(first.values())) == len(first)  # one UID per obligation
    data = yaml.safe_load((agency / "agency.yaml").read_text())
    data["staff"][4]["licenses"][0]["expires"] = "2030-05-31"  # Thornton renewed his RN license
    data["staff"][4]["licenses"][0]["number"] = "041.999999"
    (agency / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    after = uids("--months", "60")
    assert (
        after["James Thornton: RN license expires"] == first["James Thornton: RN license expires"]
    )
    for summary, value in first.items():  # every other obligation kept its UID
        if summary in after:
            assert after[summary] == value, summary
    assert set(first) - set(after) == set()


def test_uids_come_from_the_agency_and_the_obligation(cli: Any, agency: Path) -> None:
    before = {str(e["UID"]) for e in ics(cli, agency).walk("VEVENT")}
    data = yaml.safe_load((agency / "agency.yaml").read_text())
    data["agency"]["fein"] = "36-4810276"  # another agency, the same people and dates
    (agency / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    after = {str(e["UID"]) for e in ics(cli, agency).walk("VEVENT")}
    assert not before & after
    assert all(re.fullmatch(r"[0-9a-f]{32}@cmpacket", u) for u in before)


def test_no_license_number_or_other_identifier_in_any_format(cli: Any, agency: Path) -> None:
    for fmt in ("ics", "csv", "json"):
        r = cli("calendar", agency, "--as-of", AS_OF, "--format", fmt)
        assert r.code == 0 and r.out
        flat = r.out.replace("\r\n ", "")  # unfold iCalendar lines
        for value in IDENTIFIERS:
            assert value not in flat, (fmt, value)


def test_csv_and_json_list_the_same_events_as_the_ics(cli: Any, agency: Path) -> None:
    cal = ics(cli, agency)
    seen = [
        (str(e["UID"]), e.decoded("DTSTART").isoformat(), str(e["SUMMARY"]))
        for e in cal.walk("VEVENT")
    ]
    doc = cli("calendar", agency, "--as-of", AS_OF, "--format", "json").json()
    rows = list(csv.DictReader(io.StringIO(cli("calendar", agency, "--as-of", AS_OF, "--format", "csv").out)))  # fmt: skip

    def shown(e: dict[str, Any]) -> tuple[str, str, str]:
        overdue = e["overdue"] in (True, "true")
        return e["uid"], e["date"], ("OVERDUE: " if overdue else "") + e["summary"]

    assert [shown(e) for e in doc["events"]] == seen
    assert [shown(e) for e in rows] == seen
    fields = {"uid", "date", "summary", "kind", "who", "basis", "citation", "verified", "overdue"}
    assert set(doc["events"][0]) == fields and set(rows[0]) == fields
    assert [e for e in doc["events"] if e["overdue"]] and [
        r for r in rows if r["overdue"] == "true"
    ]
    assert doc["as_of"] == AS_OF and doc["until"] == "2028-06-01"
    # sorted by date, then UID
    assert [(e["date"], e["uid"]) for e in doc["events"]] == sorted(
        (e["date"], e["uid"]) for e in doc["events"]
    )


@pytest.mark.parametrize("epoch", [True, False])
def test_the_same_inputs_give_the_same_bytes(
    cli: Any, agency: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: bool
) -> None:
    if not epoch:  # DTSTAMP from the as-of date, never the clock
        monkeypatch.delenv("SOURCE_DATE_EPOCH")
    for fmt in ("ics", "csv", "json"):
        one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
        assert cli("calendar", agency, "-o", one).code == 0
        assert cli("calendar", agency, "-o", two).code == 0
        assert one.read_bytes() == two.read_bytes()
    stamp = "DTSTAMP:20260101T000000Z" if epoch else "DTSTAMP:20261201T000000Z"
    assert stamp in (tmp_path / "one.ics").read_text()


def test_output_file_stdout_and_messages(cli: Any, agency: Path, tmp_path: Path) -> None:
    out = tmp_path / "prairie-care.ics"
    r = cli("calendar", agency, "-o", out)
    assert r.code == 0 and r.out == ""
    assert "obligation(s)" in r.err and "overdue" in r.err
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert cli("calendar", agency).out == out.read_bytes().decode()  # no -o: stdout, the same
    r = cli("calendar", agency, "-o", tmp_path / "table.csv")  # the format from the extension
    assert r.code == 0 and (tmp_path / "table.csv").read_text().startswith("date,overdue,")
    r = cli("calendar", agency, "-o", tmp_path / "missing" / "x.ics")
    assert r.code == 2 and "does not exist" in r.err and "Traceback" not in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agency",
        "prairie-care.ics",
        "table.csv",
    ]  # nothing partial
    assert "Example" in cli("calendar", "--help").out


def test_schema_errors_make_no_calendar(cli: Any, tmp_path: Path) -> None:
    folder = copy_sample(tmp_path, lambda d: d["staff"][0].update(hire_date="March 1"))
    r = cli("calendar", folder)
    assert r.code == 1 and r.out == "" and "hire_date" in r.err and "no calendar" in r.err


def test_a_profile_schedule_entry_becomes_an_obligation(cli: Any, agency: Path) -> None:
    """Profile data alone adds an obligation: a yearly Registry re-check, as an agency's policy
    states it, in a profile file (no code)."""
    (agency / "my-profile.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "my-profile",
                "extends": "il-guide",
                "schedule": [
                    {
                        "key": "registry-recheck",
                        "title": "Health Care Worker Registry re-check due",
                        "field": "staff[].background_check.registry_check",
                        "interval_months": 12,
                        "positions": "direct-care",
                        "citation": "Agency policy (background-checks chapter)",
                        "verified": False,
                    }
                ],
            }
        )
    )
    events = by_summary(ics(cli, agency, "--profile", "my-profile.yaml", "--months", "36"))
    # Lopez (a case manager: direct care) was checked 2024-02-20; Okafor's position is not covered
    event = events["OVERDUE: Maria Lopez: Health Care Worker Registry re-check due"]
    assert event.decoded("DTSTART") == date(2025, 2, 20)
    assert not any(s.endswith("Renee Okafor: Health Care Worker Registry re-check due") for s in events)  # fmt: skip
    assert "Agency policy (background-checks chapter)" in str(event["DESCRIPTION"])
    bad = yaml.safe_load((agency / "my-profile.yaml").read_text())
    bad["schedule"][0]["interval_months"] = "yearly"
    (agency / "my-profile.yaml").write_text(yaml.safe_dump(bad))
    r = cli("calendar", agency, "--profile", "my-profile.yaml")
    assert r.code == 2 and "schedule[0].interval_months" in r.err and "Traceback" not in r.err


def test_a_policy_promise_with_a_field_and_interval_becomes_an_obligation(agency: Path) -> None:
    """Issue 23's `promises:` (profile data): one with `field` and an interval is an obligation
    without code changes; one for the same field as a rule's is one obligation, the earlier."""
    prepared = validators.prepare(agency, as_of=AS_OF)
    assert prepared.data is not None and prepared.profile is not None
    profile = prepared.profile
    promises = (
        {"topic": "background-checks", "field": "staff[].background_check.registry_check",
         "interval": "12 months", "citation": "Agency policy", "verified": False},
        {"topic": "program-integrity", "field": "staff[].exclusion_check.date",
         "interval_months": 1, "citation": "OIG bulletin (monthly)", "verified": False},
        {"topic": "background-checks", "field": "staff[].aps_registry", "interval_months": 12},
        {"topic": "confidentiality", "field": "staff[].training[].date"},  # no interval: none
    )  # fmt: skip
    object.__setattr__(profile, "promises", promises)  # as issue 23's loader will give them
    listed = validators.obligations(prepared.data, profile, prepared.as_of)
    lopez = {o.kind: o for o in listed if o.key.startswith("staff:S-004|")}
    assert lopez["background-checks"].due == date(2025, 2, 20)
    assert lopez["background-checks"].overdue and lopez["background-checks"].what == "registry check due"  # fmt: skip
    # the rule says 12 months, the promise monthly: one obligation, the earlier date
    screening = [o for o in listed if o.key == "staff:S-004|exclusion_check"]
    assert [o.due for o in screening] == [date(2026, 12, 16)]
    assert not [
        o for o in listed if "aps_registry" in o.key
    ]  # not a field: background_check.aps_registry is


@pytest.mark.e2e
def test_the_readiness_report_lists_what_lapses_within_90_days(
    cli: Any, built: Path, tmp_path: Path
) -> None:
    """A draft's readiness report lists them; a final packet's crosswalk, which only points at
    the pages that answer each requirement, does not."""
    final = json.loads((built / "manifest.json").read_text())
    cross = next(
        d for s in final["sections"] for d in s["documents"] if d["kind"] == "readiness-report"
    )
    text = subprocess.run(
        ["pdftotext", "-f", str(cross["first_page"]), "-l", str(cross["last_page"]),
         str(packet_of(built)), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Lapsing within" not in text
    from cmpacket import api

    api.build(copy_sample(tmp_path), api.Options(quiet=True, draft=True), out=tmp_path / "out")
    built = tmp_path / "out"
    readiness = json.loads((built / "readiness.json").read_text())
    lapsing = readiness["lapsing"]
    assert lapsing["within_days"] == 90 and lapsing["obligations"]
    manifest = json.loads((built / "manifest.json").read_text())
    doc = next(
        d for s in manifest["sections"] for d in s["documents"] if d["kind"] == "readiness-report"
    )
    text = subprocess.run(
        ["pdftotext", "-f", str(doc["first_page"]), "-l", str(doc["last_page"]),
         str(packet_of(built)), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    flat = " ".join(text.split())
    assert "Lapsing within 90 days" in flat
    for o in lapsing["obligations"]:
        assert o["summary"] in flat, o["summary"]
    # the same list as the calendar's events up to 90 days after the as-of date
    cal = cli("calendar", built.parent / "agency", "--format", "json").json()
    last = (date.fromisoformat(cal["as_of"]) + timedelta(days=90)).isoformat()
    soon = [(e["date"], e["summary"]) for e in cal["events"] if e["date"] <= last]
    assert sorted(soon) == sorted((o["date"], o["summary"]) for o in lapsing["obligations"])


def test_the_shared_alarms_are_what_icalendar_writes_for_the_whole_calendar(agency: Path) -> None:
    """The ICS writer serializes the three alarms once and places their bytes in every event:
    the file must be byte for byte what icalendar gives when it writes every event whole."""
    from icalendar.prop import vDDDTypes, vDuration, vText

    from cmpacket import api
    from cmpacket._dates import stamp_time
    from cmpacket.calendar._events import ALARM_DAYS
    from cmpacket.calendar._write import OVERDUE, PRODID, _about, _description

    made = api.calendar(agency, as_of=AS_OF)
    assert len(made.events) > 5
    calname = str(icalendar.Calendar.from_ical(made.data)["X-WR-CALNAME"])
    name = calname.removesuffix(": compliance calendar")
    whole = icalendar.Calendar()
    for key, value in (
        ("prodid", PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"),
        ("method", "PUBLISH"), ("x-wr-calname", f"{name}: compliance calendar"),
        ("x-wr-caldesc", _about(name, made.as_of)),
    ):  # fmt: skip
        whole.add(key, value)
    for e in made.events:
        event = icalendar.Event()
        event.add("uid", vText(e.uid), encode=False)
        event.add("dtstamp", vDDDTypes(stamp_time(made.as_of)), encode=False)
        event.add("dtstart", vDDDTypes(e.date), encode=False)
        event.add("dtend", vDDDTypes(e.date + timedelta(days=1)), encode=False)
        summary = (OVERDUE if e.overdue else "") + e.summary
        event.add("summary", vText(summary), encode=False)
        event.add("description", vText(_description(e)), encode=False)
        event.add("x-cmpacket-kind", vText(e.kind), encode=False)
        event.add("transp", vText("TRANSPARENT"), encode=False)
        for d in ALARM_DAYS:
            alarm = icalendar.Alarm()
            alarm.add("action", vText("DISPLAY"), encode=False)
            alarm.add("description", vText(f"Due in {d} days"), encode=False)
            alarm.add("trigger", vDuration(timedelta(days=-d)), encode=False)
            event.add_component(alarm)
        whole.add_component(event)
    assert made.data == whole.to_ical()


def test_validate_lists_the_calendars_obligations_with_each_open_response_once(
    agency: Path,
) -> None:
    """The report adds the responses' due dates to the obligations its rules listed (each time a
    stage adds responses, theirs replace the earlier ones): the same list `calendar` makes."""
    from cmpacket import api

    report = api.validate(agency, as_of=AS_OF)
    prepared = validators.prepare(agency, as_of=AS_OF)
    assert prepared.data is not None and prepared.profile is not None
    assert len(report.responses) == 2  # the open one and the sent one
    listed = validators.obligations(
        prepared.data, prepared.profile, prepared.as_of, report.responses
    )
    assert report.obligations == listed
    due = [o.key for o in report.obligations if o.kind == "response-due"]
    assert due == ["response:rfi-2026-11|due"]
    again = validators.with_responses(report, prepared.data, ())  # no responses any more
    assert [o for o in again.obligations if o.kind == "response-due"] == []
    assert len(again.obligations) == len(listed) - 1
    assert again.findings == report.findings
