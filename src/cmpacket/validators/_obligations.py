"""Every dated obligation the agency's data implies: the one list the compliance calendar
(`cmpacket calendar`) and the readiness report's "Lapsing within 90 days" show (SPEC §17).

Each interval is read here from where the validators read it, never copied: the rules' params
(`training-hours-short`, `mandated-reporter-training-missing`, `exclusion-check-missing`), the
profile's license table (renewal cycles), its `schedule:` and `promises:` (_intervals.py), and the
profile's response rules (through the responses' due dates). Each obligation is the next time it
falls due; an obligation already late is listed as overdue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cmpacket.findings import Obligation, Report, ResponseFacts
from cmpacket.model import AgencyData, Staff
from cmpacket.profiles import Profile
from cmpacket.validators import _intervals as iv
from cmpacket.validators._dates import add_months, full_months_between, next_on_cycle, on_cycle
from cmpacket.validators._license_table import license_row
from cmpacket.validators._rules_evidence import mandated_reporter_date
from cmpacket.validators._rules_staff import applies, training_hours, training_required

RESPONSE_DUE = "response-due"  # the only kind made from the responses
KINDS = {"rfi": "request for information", "cap": "corrective action plan"}


@dataclass
class _List:
    """The obligations made so far, one per key: when two sources name one obligation (a rule
    and a promise for the same field), the earlier due date stands."""

    as_of: date
    made: dict[str, Obligation] = field(default_factory=dict)

    def add(
        self, key: str, kind: str, due: date, who: str, what: str, basis: str, **more: Any
    ) -> None:
        old = self.made.get(key)
        if old is None or due < old.due:
            overdue = due < self.as_of
            self.made[key] = Obligation(key, kind, due, who, what, basis, overdue=overdue, **more)


def obligations(
    data: AgencyData,
    profile: Profile,
    as_of: date,
    responses: Iterable[ResponseFacts] = (),
) -> tuple[Obligation, ...]:
    """Every dated obligation of the agency and its staff, by date (then key): the next due date
    of each, overdue ones included."""
    out = _List(as_of)
    _licenses(out, data, profile)
    _training_years(out, data, profile)
    _mandated_reporter(out, data, profile)
    _exclusion(out, data, profile)
    _scheduled(out, data, profile)
    _agreement(out, data)
    _responses(out, data, responses)
    return _by_date(out.made.values())


def _by_date(listed: Iterable[Obligation]) -> tuple[Obligation, ...]:
    return tuple(sorted(listed, key=lambda o: (o.due, o.key)))


def _who(s: Staff) -> str:
    return s.name or s.id


def _cycle_words(cycle: dict[str, Any]) -> str:
    month = date(2001, cycle["month"], 1).strftime("%B")
    years = f"of {cycle['years']}-numbered years" if cycle["years"] != "any" else "each year"
    sure = "" if cycle["verified"] else " (not verified in rule text)"
    return f"{month} {cycle['day']} {years}{sure}"


def _licenses(out: _List, data: AgencyData, profile: Profile) -> None:
    """Each license's expiry; and the renewal date the license table's cycle sets, where the
    data gives no expiry or one off the cycle."""
    rule = profile.rule("license-expired")
    fallback = (rule.citation, rule.verified) if rule else ("", False)
    for i, s in enumerate(data.staff):
        seen: dict[str, int] = {}
        for j, lic in enumerate(s.licenses):
            name = (lic.type or "").strip().upper()
            seen[name] = seen.get(name, 0) + 1
            key = f"staff:{s.id}|license:{name}" + (f"#{seen[name]}" if seen[name] > 1 else "")
            label = f"{name} license" if name else "license"
            cycle: dict[str, Any] | None = (license_row(profile, lic) or {}).get("renewal")
            path = f"staff[{i}].licenses[{j}].expires"
            regular = bool(cycle and lic.expires and on_cycle(lic.expires, cycle))
            if lic.expires is not None:
                basis = f"The {label} expires on {lic.expires}, the date in the data."
                citation, verified = fallback
                if cycle is not None and regular:
                    basis += f" {name} licenses expire {_cycle_words(cycle)}."
                    citation, verified = str(cycle["citation"]), bool(cycle["verified"])
                what = f"{label} expires"
                out.add(f"{key}|expires", "license-expiry", lic.expires, _who(s), what, basis,
                        path=path, citation=citation, verified=verified)  # fmt: skip
            if cycle is not None and not regular:
                given = f"gives {lic.expires}, off that cycle" if lic.expires else "gives no expiry"
                basis = (
                    f"{name} licenses expire {_cycle_words(cycle)}; the data {given}. Check the "
                    f"license and record its expiry."
                )
                when, what = next_on_cycle(out.as_of, cycle), f"{label} renewal date set by rule"
                out.add(f"{key}|renewal", "license-renewal", when, _who(s), what, basis,
                        path=path, citation=str(cycle["citation"]),
                        verified=bool(cycle["verified"]))  # fmt: skip


def _training_years(out: _List, data: AgencyData, profile: Profile) -> None:
    """Each covered staff member's training year (the rule's window, from each anniversary of
    the hire date; without one, from January 1): hours logged against hours required, due at
    the year's end; and the year just ended, overdue, when it ended short and the rule finds
    the person short on the as-of date too (hours logged late count for the rule)."""
    spec = profile.rule("training-hours-short")
    if spec is None:
        return
    months = int(spec.params.get("window_months", 12))
    window = add_months(out.as_of, -months)
    for i, s in enumerate(data.staff):
        if not applies(spec, s):
            continue
        short = training_hours(s, window, out.as_of) < training_required(spec, s, out.as_of)
        anchor = s.hire_date or date(out.as_of.year, 1, 1)
        k = full_months_between(anchor, out.as_of) // months if out.as_of >= anchor else 0
        key, path = f"staff:{s.id}|training-year", f"staff[{i}].training"
        for n, now in ((k, True), (k - 1, False)):
            if n < 0:
                continue
            start, end = add_months(anchor, n * months), add_months(anchor, (n + 1) * months)
            last = end - timedelta(days=1)
            have = training_hours(s, start - timedelta(days=1), min(last, out.as_of))
            need = training_required(spec, s, end)
            if not now and (have >= need or not short):
                continue
            state = "met" if have >= need else f"{need - have:g} short"
            since = "the hire date's anniversary" if s.hire_date else "January 1 (no hire date)"
            basis = (
                f"Training year {start} to {last} (from {since}): {have:g} of {need:g} "
                f"in-service hours logged ({state})."
            )
            hours = f"({have:g} of {need:g} hours logged)"
            what = f"in-service training year {'ends' if now else 'ended short'} {hours}"
            out.add(key if now else f"{key}|ended-short", "training-year", last, _who(s), what,
                    basis, path=path, citation=spec.citation, verified=spec.verified)  # fmt: skip


def _mandated_reporter(out: _List, data: AgencyData, profile: Profile) -> None:
    spec = profile.rule("mandated-reporter-training-missing")
    if spec is None:
        return
    months = int(spec.params.get("max_age_months", 36))
    grace = int(spec.params.get("new_hire_months", 3))
    for i, s in enumerate(data.staff):
        if not applies(spec, s):
            continue
        last = mandated_reporter_date(s, spec)
        if last is not None:
            due, basis = (
                add_months(last, months),
                f"Last completed {last}; renewed every {months} months.",
            )
        elif s.hire_date is not None:
            due = add_months(s.hire_date, grace)
            basis = f"No completion recorded; due within {grace} months of hire ({s.hire_date})."
        else:
            continue
        out.add(
            f"staff:{s.id}|mandated_reporter_training",
            "mandated-reporter-training",
            due,
            _who(s),
            "mandated-reporter training due",
            basis,
            path=f"staff[{i}].mandated_reporter_training",
            citation=spec.citation,
            verified=spec.verified,
        )


def _exclusion(out: _List, data: AgencyData, profile: Profile) -> None:
    """Exclusion screening of every staff member (before hire, then at the rule's interval),
    owner, director and officer (at the interval after their last screening)."""
    spec = profile.rule("exclusion-check-missing")
    if spec is None:
        return
    months = int(spec.params.get("max_age_months", 12))
    people: list[tuple[str, str, Any, date | None, str]] = [
        (
            iv.owner_key(o.name, i),
            o.name or f"Owner {i + 1}",
            o.exclusion_check,
            None,
            f"agency.owners[{i}]",
        )
        for i, o in enumerate(data.agency.owners)
    ]
    people += [
        (
            iv.board_key(m.name, i),
            m.name or f"Board member {i + 1}",
            m.exclusion_check,
            None,
            f"agency.board[{i}]",
        )
        for i, m in enumerate(data.agency.board)
    ]
    people += [
        (f"staff:{s.id}", _who(s), s.exclusion_check, s.hire_date, f"staff[{i}]")
        for i, s in enumerate(data.staff)
    ]
    for subject, who, check, hired, path in people:
        last = check.date if check is not None else None
        if last is not None:
            due, basis = (
                add_months(last, months),
                f"Last screened {last}; screened at least every {months} months.",
            )
        elif hired is not None:
            due, basis = hired, f"No screening recorded; due before hire ({hired})."
        else:
            continue
        out.add(
            f"{subject}|exclusion_check",
            "exclusion-screening",
            due,
            who,
            "exclusion screening due",
            basis,
            path=f"{path}.exclusion_check",
            citation=spec.citation,
            verified=spec.verified,
        )


def _scheduled(out: _List, data: AgencyData, profile: Profile) -> None:
    """The profile's schedule and promises: each due its interval after the date in its field."""
    for entry in iv.entries(profile):
        if not iv.known(entry):
            continue
        for subject in iv.subjects(data, entry.field):
            if not iv.covers(entry, subject, data):
                continue
            found = iv.due(entry, subject)
            if found is None:
                continue
            when, basis = found
            rest = ".".join(subject.rest).removesuffix(".date")
            if entry.topics:  # training promises share the log: one obligation per promise
                rest = f"{rest}:{entry.key}"
            path = ".".join(p for p in (subject.path, ".".join(subject.rest)) if p)
            out.add(
                f"{subject.key}|{rest}",
                entry.key,
                when,
                subject.who,
                entry.title,
                basis,
                path=path.replace("[]", ""),
                citation=entry.citation,
                verified=entry.verified,
            )


def _agreement(out: _List, data: AgencyData) -> None:
    """The written agreement's last day in force: its effective date plus its term."""
    a = data.agreement
    if a.effective_date is None or not a.term_months:
        return
    last = add_months(a.effective_date, a.term_months) - timedelta(days=1)
    party = a.designee or a.department or "the Department"
    basis = f"Effective {a.effective_date} for {a.term_months} months: in force through {last}."
    out.add(
        "agency|agreement",
        "agreement-term-end",
        last,
        data.agency.display_name,
        f"written agreement with {party} ends",
        basis,
        path="agreement.term_months",
        citation="The agreement's own term (agreement.effective_date and term_months in agency.yaml)",
        verified=True,
    )


def _responses(out: _List, data: AgencyData, responses: Iterable[ResponseFacts]) -> None:
    """Each response to the Department not yet sent, on its due date."""
    for r in responses:
        if not r.open or r.due is None:
            continue
        letter = " ".join(x for x in (KINDS.get(r.kind, r.kind), r.reference) if x)
        what = f"response to the Department's {letter} due"
        basis = f"{r.answered} of {r.items} item(s) answered; letter received {r.received or 'on a date not given'}."
        out.add(
            f"response:{r.name}|due",
            RESPONSE_DUE,
            r.due,
            data.agency.display_name,
            what,
            basis,
            path=f"responses/{r.name}/response.yaml",
            citation=r.due_basis,
            verified=r.due_verified,
        )


def with_responses(
    report: Report, data: AgencyData, responses: tuple[ResponseFacts, ...]
) -> Report:
    """The report with the agency's responses to the Department, and its obligations listing
    those still open: the report's own obligations (the rules listed them from the same data)
    with the responses' in place of any it had, not all of them made again."""
    out = _List(report.as_of)
    _responses(out, data, responses)
    kept = (o for o in report.obligations if o.kind != RESPONSE_DUE)
    return report.keeping_findings(
        responses=responses, obligations=_by_date([*kept, *out.made.values()])
    )
