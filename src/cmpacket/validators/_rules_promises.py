"""Promise rules: each check or training the policy manual promises (the profile's `promises:`)
tested against the data that evidences it (SPEC §19): Health Care Worker Registry re-checks, APS
Registry searches, license lookups, privacy and other training by topic; and licenses the
person's degrees cannot support (the license table's `degree:` rows).

Each rule reads only the promises whose `check:` is its finding code, with their interval and
citation: no interval is written here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from cmpacket.findings import Finding
from cmpacket.model import Staff
from cmpacket.profiles import RuleSpec
from cmpacket.validators._dates import add_months
from cmpacket.validators._license_table import license_row
from cmpacket.validators._registry import Context, rule
from cmpacket.validators._rules_staff import LEVELS


def _who(s: Staff) -> str:
    return f"{s.name or s.id} ({s.id})"


def _covered(ctx: Context, promise: dict[str, Any], s: Staff) -> bool:
    positions = promise.get("positions", "all")
    if positions == "all":
        return True
    if positions == "direct-care":
        pos = ctx.data.position(s.position)
        return bool(pos and pos.direct_care)
    return s.position in positions


def _every(months: int) -> str:
    if months % 12 == 0:
        return "every year" if months == 12 else f"every {months // 12} years"
    return f"every {months} months"


def _finding(spec: RuleSpec, promise: dict[str, Any], path: str, message: str) -> Finding:
    sure = "" if promise["verified"] else " (not verified in rule text)"
    citation = f"{promise['citation']}{sure}"
    return Finding(spec.code, spec.severity, path, message, citation or spec.citation)


def _promised(ctx: Context, spec: RuleSpec) -> Iterator[tuple[dict[str, Any], int, Staff]]:
    """(promise, staff index, staff member) for each promise the rule tests and each person it
    covers."""
    for promise in ctx.profile.promised(spec.code):
        for i, s in enumerate(ctx.data.staff):
            if _covered(ctx, promise, s):
                yield promise, i, s


def _new_hire(ctx: Context, promise: dict[str, Any], s: Staff) -> bool:
    """True while the person is inside the promise's new-hire window (nothing is due yet)."""
    grace = int(promise.get("new_hire_months", 0))
    return bool(grace and s.hire_date and add_months(s.hire_date, grace) > ctx.as_of)


@rule("registry-check-stale")
def registry_check_stale(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """The Health Care Worker Registry checked again at the promised interval: the latest check
    (the pre-hire `registry_check` or the `registry_recheck`) no older than the interval, and a
    re-check recorded with its printout."""
    for promise, i, s in _promised(ctx, spec):
        months = promise.get("interval_months")
        bc = s.background_check
        if not months or bc is None:
            continue  # no check at all is background-check-missing's
        again = bc.registry_recheck
        path = f"staff[{i}].background_check.registry_recheck"
        if again is not None and again.date and again.date > ctx.as_of:
            yield _finding(
                spec,
                promise,
                f"{path}.date",
                f"{_who(s)}'s Registry re-check is dated {again.date}, after the as-of date "
                f"{ctx.as_of}. Correct the date from the printout's search date.",
            )
            continue
        if again is not None and again.date and not again.file:
            yield _finding(
                spec,
                promise,
                f"{path}.file",
                f"{_who(s)}'s Registry re-check of {again.date} has no printout. The manual keeps "
                f"every Registry result printed and dated: upload it as file: uploads/....pdf.",
            )
        dates = [d for d in (bc.registry_check, again.date if again else None) if d]
        if not dates:
            continue
        last, oldest = max(dates), add_months(ctx.as_of, -months)
        if last < oldest:
            yield _finding(
                spec,
                promise,
                path,
                f"{_who(s)}'s last Health Care Worker Registry check is of {last}, over "
                f"{months} months before {ctx.as_of}; the policy manual promises it "
                f"{_every(months)} ({promise['title']}). Search the Registry, print the result "
                f"and record registry_recheck: {{date, file: uploads/....pdf}}.",
            )


@rule("aps-check-missing")
def aps_check_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """The Adult Protective Services Registry searched for everyone the promise covers, before
    hire and again at its interval, each search with its printout."""
    for promise, i, s in _promised(ctx, spec):
        months = promise.get("interval_months")
        bc = s.background_check
        aps = bc.aps_registry if bc else None
        path = f"staff[{i}].background_check.aps_registry"
        fix = "Search the APS Registry, print the result and record aps_registry: {date, file}."
        if aps is None or aps.date is None:
            yield _finding(
                spec,
                promise,
                path,
                f"{_who(s)} has no Adult Protective Services Registry search recorded; the "
                f"policy manual promises one before hire"
                f"{f' and {_every(months)}' if months else ''}. {fix}",
            )
            continue
        problems = []
        if aps.date > ctx.as_of:
            problems.append(f"it is dated {aps.date}, after the as-of date {ctx.as_of}")
        elif months and aps.date < add_months(ctx.as_of, -months):
            problems.append(f"the last search, of {aps.date}, is over {months} months old")
        if not aps.file:
            problems.append("no printout of the result (file)")
        if problems:
            yield _finding(
                spec,
                promise,
                path,
                f"{_who(s)}'s APS Registry search: {'; '.join(problems)}. {fix}",
            )


@rule("license-verification-missing")
def license_verification_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Every license verified on the IDFPR License Lookup, with the lookup's date and printout."""
    for i, s in enumerate(ctx.data.staff):
        for j, lic in enumerate(s.licenses):
            looked = lic.verified
            lacking = [
                n for n, v in (("date", looked and looked.date), ("file", looked and looked.file))
                if not v
            ]  # fmt: skip
            if not lacking:
                continue
            what = f"{lic.type or 'license'} {lic.number or ''}".strip()
            yield spec.finding(
                f"staff[{i}].licenses[{j}].verified",
                f"{_who(s)}'s {what} has no License Lookup verification recorded (missing "
                f"{' and '.join(lacking)}). Look the license up on the IDFPR License Lookup, "
                f"print the result with its date and record verified: {{date, file}} (the "
                f"license's own file when that printout shows the lookup date).",
            )


def _renewed(lic: Any, row: dict[str, Any] | None, as_of: date) -> date | None:
    """The license's last renewal on or before the as-of date, where its table row gives a
    renewal cycle (every two years for odd or even years, else yearly) and the data its expiry."""
    cycle = (row or {}).get("renewal")
    if lic.expires is None or cycle is None:
        return None
    step = 12 if cycle["years"] == "any" else 24
    day: date = lic.expires
    while day > as_of:
        day = add_months(day, -step)
    return day


@rule("license-verification-stale")
def license_verification_stale(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """A license lookup older than the promise allows: made before the license's last renewal
    (the manual checks it again at each renewal date), or older than the promise's interval."""
    promises = ctx.profile.promised(spec.code)
    for promise in promises:
        months = promise.get("interval_months")
        for i, s in enumerate(ctx.data.staff):
            if not _covered(ctx, promise, s):
                continue
            for j, lic in enumerate(s.licenses):
                looked = lic.verified
                if looked is None or looked.date is None:
                    continue  # license-verification-missing
                what = f"{lic.type or 'license'} {lic.number or ''}".strip()
                path = f"staff[{i}].licenses[{j}].verified.date"
                renewed = _renewed(lic, license_row(ctx.profile, lic), ctx.as_of)
                if looked.date > ctx.as_of:
                    problem = f"is dated {looked.date}, after the as-of date {ctx.as_of}"
                elif renewed is not None and looked.date < renewed:
                    problem = (
                        f"of {looked.date} is older than the license's last renewal, on {renewed}"
                    )
                elif months and looked.date < add_months(ctx.as_of, -months):
                    problem = f"of {looked.date} is over {months} months old"
                else:
                    continue
                yield _finding(
                    spec,
                    promise,
                    path,
                    f"{_who(s)}'s License Lookup of the {what} {problem}; the policy manual "
                    f"checks it again {'at each renewal' if renewed else _every(months or 12)}. "
                    f"Look it up again and record the new printout and date.",
                )


def _matches(topic: str | None, words: list[str]) -> bool:
    text = (topic or "").casefold()
    return any(w.casefold() in text for w in words)


@rule("training-topic-missing")
def training_topic_missing(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """Training the manual promises everyone it names (privacy, mandated reporting...), found in
    the training log by its topic: logged within the promise's interval (or ever, for a training
    kept once), past the new-hire window."""
    for promise, i, s in _promised(ctx, spec):
        if _new_hire(ctx, promise, s):
            continue
        months = promise.get("interval_months")
        words = list(promise.get("topics") or ())
        done = [t.date for t in s.training if t.date and _matches(t.topic, words)]
        done = [d for d in done if d <= ctx.as_of]
        oldest = add_months(ctx.as_of, -months) if months else None
        if done and (oldest is None or max(done) >= oldest):
            continue
        when = f"within the {months} months before {ctx.as_of}" if months else "at all"
        last = f" (last logged {max(done)})" if done else ""
        yield _finding(
            spec,
            promise,
            f"staff[{i}].training",
            f"{_who(s)} has no {promise['title']} in the training log {when}{last}; the policy "
            f"manual promises it to everyone it names. Log the session (date, hours, topic "
            f"naming {' or '.join(repr(w) for w in words)}, provider).",
        )


@rule("license-degree-inconsistent")
def license_degree_inconsistent(ctx: Context, spec: RuleSpec) -> Iterator[Finding]:
    """A license whose type needs a degree (the license table's `degree:` row) that none of the
    person's degrees is: an LCSW without a master's or doctorate in social work."""
    for i, s in enumerate(ctx.data.staff):
        for j, lic in enumerate(s.licenses):
            need = (license_row(ctx.profile, lic) or {}).get("degree")
            if not need:
                continue
            floor = LEVELS[need["level"]]
            if any(
                LEVELS.get(d.level or "", 0) >= floor
                and any(f in (d.field or "").lower() for f in need["fields"])
                for d in s.degrees
            ):
                continue
            held = (
                ", ".join(f"{d.level or '?'} in {d.field or '?'}" for d in s.degrees)
                or "no degree recorded"
            )
            sure = "" if need["verified"] else " (this requirement is not verified in rule text)"
            level = "doctorate" if need["level"] == "doctorate" else f"{need['level']}'s degree"
            yield Finding(
                spec.code,
                spec.severity if need["verified"] else "warning",
                f"staff[{i}].licenses[{j}].type",
                f"{_who(s)} holds an {lic.type} license, which needs at least a {level} in "
                f"{' or '.join(need['fields'])}{sure}; their degrees: {held}. Record the degree "
                f"the license rests on (with its diploma), or correct the license type.",
                need["citation"] or spec.citation,
            )
