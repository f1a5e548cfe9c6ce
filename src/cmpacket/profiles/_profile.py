"""Requirement profiles: YAML data naming which rules run, with parameters and citations."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cmpacket.errors import ProfileError
from cmpacket.findings import Finding
from cmpacket.profiles._licenses import SAFE_LOADER, license_table
from cmpacket.profiles._promises import promise_entries
from cmpacket.profiles._schedule import schedule_entries

BUILTIN = ("il-guide", "il-hsp-aids-waiver", "il-fcm")
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class RuleSpec:
    """One rule as a profile configures it."""

    code: str
    severity: str
    citation: str
    verified: bool
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    title: str = ""
    section: str = ""

    def finding(self, path: str, message: str, severity: str | None = None) -> Finding:
        return Finding(self.code, severity or self.severity, path, message, self.citation)


@dataclass(frozen=True)
class Profile:
    """A loaded profile; `source` is the built-in name or the file path it came from."""

    name: str
    title: str
    description: str
    source: str
    rules: tuple[RuleSpec, ...]
    qualification_paths: dict[str, list[dict[str, Any]]]
    policy_topics: tuple[dict[str, Any], ...]
    required_sections: tuple[str, ...]
    limits: dict[str, Any]
    program: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    licenses: dict[str, Any] = field(default_factory=dict)  # the licence table (_licenses.py)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)  # due dates by kind
    # dated obligations the calendar lists besides the rules' own intervals (_schedule.py)
    schedule: tuple[dict[str, Any], ...] = ()
    # each check or training the policy manual promises, and the field evidencing it (_promises.py)
    promises: tuple[dict[str, Any], ...] = ()
    # codes that check the packet's own preparation, not a program requirement: a draft's
    # readiness report lists them, a final packet's crosswalk leaves them out
    preparation_checks: tuple[str, ...] = ()

    def rule(self, code: str) -> RuleSpec | None:
        return next((r for r in self.rules if r.code == code), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "program": dict(self.program),
            "source": self.source,
            "rules": [r.__dict__ for r in self.rules],
            "qualification_paths": self.qualification_paths,
            "policy_topics": list(self.policy_topics),
            "required_sections": list(self.required_sections),
            "limits": self.limits,
            "licenses": self.licenses,
            "responses": self.responses,
            "schedule": [dict(entry) for entry in self.schedule],
            "promises": [dict(entry) for entry in self.promises],
            "preparation_checks": list(self.preparation_checks),
        }

    def promised(self, check: str) -> tuple[dict[str, Any], ...]:
        """The promises the rule with finding code `check` tests."""
        return tuple(p for p in self.promises if p.get("check") == check)


def _builtin_text(name: str) -> str:
    return resources.files("cmpacket.profiles").joinpath(f"{name}.yaml").read_text()


def load_profile(ref: str, base: Path | None = None, codes: Collection[str] = ()) -> Profile:
    """Load a built-in profile by name, or a profile file (relative to `base`); every rule's
    code must be one of `codes` (the rules the validators know; `validators.load_profile`)."""
    if ref in BUILTIN:
        text, source = _builtin_text(ref), ref
    else:
        path = Path(ref) if base is None else base / ref
        if not path.is_file():
            raise ProfileError(
                f"profile {ref!r}: no built-in profile of that name and no such file.",
                hint=f"Built-in profiles: {', '.join(BUILTIN)}; or give a path to a .yaml profile.",
            )
        text, source = path.read_text(encoding="utf-8-sig"), str(path)
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{source}: YAML error in profile: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: a profile is a mapping with `name` and `rules`.")
    if data.get("extends"):
        parent = load_profile(str(data["extends"]), base, codes).as_dict()
        data = _merge(parent, data)
    profile = _build(data, source, codes)
    digest = hashlib.sha256(repr(profile.as_dict()).encode()).hexdigest()
    return Profile(**{**profile.__dict__, "sha256": digest})


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = {**parent, **{k: v for k, v in child.items() if k not in ("rules", "extends")}}
    rules = {r["code"]: dict(r) for r in parent["rules"]}
    for r in child.get("rules") or []:
        if not isinstance(r, dict) or "code" not in r:
            raise ProfileError(f"profile rule {r!r} needs a `code`.")
        base = rules.get(r["code"], {})
        merged = {**base, **r, "params": {**base.get("params", {}), **(r.get("params") or {})}}
        rules[r["code"]] = merged
    out["rules"] = list(rules.values())
    return out


def _build(data: dict[str, Any], source: str, codes: Collection[str]) -> Profile:
    rules = []
    for i, r in enumerate(data.get("rules") or []):
        where = f"{source}: rules[{i}]"
        if not isinstance(r, dict) or r.get("code") not in codes:
            known = ", ".join(sorted(codes))
            code = r.get("code") if isinstance(r, dict) else r
            raise ProfileError(
                f"{where}: unknown rule code {code!r}.", hint=f"Known codes: {known}."
            )
        if r.get("severity", "error") not in SEVERITIES:
            raise ProfileError(
                f"{where}.severity: {r.get('severity')!r} is not one of {', '.join(SEVERITIES)}."
            )
        if r.get("enabled", True) is False:
            continue
        rules.append(
            RuleSpec(
                code=r["code"],
                severity=r.get("severity", "error"),
                citation=str(r.get("citation", "")),
                verified=bool(r.get("verified", False)),
                params=dict(r.get("params") or {}),
                note=str(r.get("note", "")),
                title=str(r.get("title") or r["code"].replace("-", " ").capitalize()),
                section=_section(r.get("section", "A"), where),
            )
        )
    return Profile(
        name=str(data.get("name") or Path(source).stem),
        title=str(data.get("title", "")),
        description=str(data.get("description", "")),
        source=source,
        rules=tuple(rules),
        qualification_paths=dict(data.get("qualification_paths") or {}),
        policy_topics=tuple(data.get("policy_topics") or ()),
        required_sections=tuple(data.get("required_sections") or "ABCDEFG"),
        limits=dict(data.get("limits") or {}),
        program=_program(data.get("program"), source),
        licenses=license_table(data.get("licenses"), source),
        responses=_responses(data.get("responses"), source),
        schedule=schedule_entries(data.get("schedule"), source),
        promises=promise_entries(
            data.get("promises"), source, tuple(data.get("policy_topics") or ())
        ),
        preparation_checks=_codes(data.get("preparation_checks"), source),
    )


def _codes(value: Any, source: str) -> tuple[str, ...]:
    """`preparation_checks: [code, ...]`: a list of finding codes."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ProfileError(
            f"{source}: preparation_checks: {value!r} is not a list of finding codes.",
            hint="Write e.g. preparation_checks: [schema-invalid, upload-missing].",
        )
    return tuple(value)


DEFAULT_PROGRAM: dict[str, Any] = {
    "title": "Case Management Services",
    "citation": "",
    "division": "",
    "routable": False,
    "waiver": False,
}


def _program(value: Any, source: str) -> dict[str, Any]:
    """`program: {title, citation, division, routable}`: the program the profile certifies for,
    named on the cover, the letter and the crosswalk. `routable: true` says the Department has a
    program of that name, rule and division to route the packet to; without it a final packet is
    `program-not-named`. `waiver: true` when it is a Medicaid HCBS waiver program (the
    conflict-free chapter then cites 42 CFR 441.301(c)(1)(vi) as binding)."""
    if value is None:
        return dict(DEFAULT_PROGRAM)
    if not isinstance(value, dict) or not isinstance(value.get("title"), str):
        raise ProfileError(
            f"{source}: program: {value!r} is not a mapping with a `title`.",
            hint="Write e.g. program: {title: Family Case Management, citation: 77 Ill. Adm. "
            "Code 630, division: IDHS Bureau of Maternal and Child Health, routable: true}.",
        )
    for key in ("citation", "division"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ProfileError(f"{source}: program.{key}: {value[key]!r} is not text.")
    for key in ("routable", "waiver"):
        if value.get(key) is not None and not isinstance(value[key], bool):
            raise ProfileError(
                f"{source}: program.{key}: {value[key]!r} is not true or false.",
                hint=f"Write program.{key}: true or program.{key}: false.",
            )
    unknown = sorted(set(value) - {"title", "citation", "division", "routable", "waiver"})
    if unknown:
        raise ProfileError(
            f"{source}: program: unknown key(s) {', '.join(unknown)}.",
            hint="A program has title, citation, division, routable and waiver.",
        )
    routable = bool(value.get("routable", False))
    if routable and not (value.get("citation") and value.get("division")):
        raise ProfileError(
            f"{source}: program: routable: true needs the program's citation and division.",
            hint="Name the rule (e.g. 77 Ill. Adm. Code 630) and the Department's division "
            "that routes it (e.g. IDHS Bureau of Maternal and Child Health).",
        )
    return {
        "title": value["title"].strip(),
        "citation": str(value.get("citation") or "").strip(),
        "division": str(value.get("division") or "").strip(),
        "routable": routable,
        "waiver": bool(value.get("waiver", False)),
    }


RESPONSE_FROM = ("received", "dated")


def _responses(value: Any, source: str) -> dict[str, dict[str, Any]]:
    """`responses: {rfi: {days, from, citation, verified}, cap: {...}}`: when an answer to the
    Department is due, counted in calendar days from the letter's receipt or date."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProfileError(f"{source}: responses: {value!r} is not a mapping of rfi and cap.")
    out = {}
    for kind, rule in value.items():
        where = f"{source}: responses.{kind}"
        if kind not in ("rfi", "cap") or not isinstance(rule, dict):
            raise ProfileError(f"{where}: expected rfi or cap, each with days and from.")
        days, start = rule.get("days"), rule.get("from", "received")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ProfileError(f"{where}.days: {days!r} is not a number of calendar days.")
        if start not in RESPONSE_FROM:
            raise ProfileError(f"{where}.from: {start!r} is not one of {', '.join(RESPONSE_FROM)}.")
        out[kind] = {
            "days": days,
            "from": start,
            "citation": str(rule.get("citation") or ""),
            "verified": bool(rule.get("verified", False)),
        }
    return out


def _section(value: Any, where: str) -> str:
    text = str(value or "A").strip().upper()
    if len(text) != 1 or not "A" <= text <= "Z":
        raise ProfileError(
            f"{where}.section: {value!r} is not a packet section letter.",
            hint="Use the letter of the section that evidences the rule, A to G.",
        )
    return text
