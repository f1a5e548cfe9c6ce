"""Plain-text renderings of reports, packets and diffs for people (stdout)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cmpacket.findings import SEVERITIES, Finding, Report, field_label

LABELS = {"error": "error", "warning": "warning", "info": "note"}
# what a terminal would act on or an encoder refuses: control characters (but line breaks and
# tabs), DEL and the C1 controls, and lone surrogates (UTF-16 halves no UTF-8 text can hold)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """Text from a received packet made safe to print: anything a terminal would act on (an
    escape sequence) or UTF-8 cannot encode (a lone surrogate) is shown escaped, `\\x1b`,
    `\\ud800`, never printed raw and never a crash."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


PER_CODE = 5  # lines of one finding code in grouped output; the rest are counted
MORE_VALIDATE = "cmpacket validate --all lists every one"


def finding_line(f: Finding) -> str:
    """`error [upload-unreadable] agency.yaml:41: attachments[3].file: ... [citation]`: the code
    is what docs/errors.md is organised by, so a message can be looked up there."""
    return f"{LABELS.get(f.severity, f.severity)} [{f.code}] {f.text_line()}"


def findings_text(findings: Iterable[Finding], summary: str = "") -> str:
    """One line per finding (errors first, as given), then the summary line if any."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    lines = [finding_line(f) for f in sorted(findings, key=lambda f: order.get(f.severity, 9))]
    if summary:
        lines.append(summary)
    return "\n".join(lines)


def grouped_lines(findings: Iterable[Finding], more: str, per_code: int = PER_CODE) -> list[str]:
    """The findings by severity (errors first) and, within one, by code in order of first
    appearance: at most `per_code` lines of a code, then one line counting the rest (`more`
    says where they all are), so a roster of thousands prints a screenful, not a line a row."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in sorted(findings, key=lambda f: order.get(f.severity, 9)):
        groups.setdefault((f.severity, f.code), []).append(f)
    lines = []
    for (severity, code), found in groups.items():
        lines += [finding_line(f) for f in found[:per_code]]
        if len(found) > per_code:
            label = LABELS.get(severity, severity)
            lines.append(f"{label} [{code}] ... and {len(found) - per_code:,} more ({more})")
    return lines


def counts_text(counts: dict[str, int]) -> str:
    """`{'error': 0, 'warning': 2, 'info': 1}` -> `0 errors, 2 warnings, 1 note`."""
    words = []
    for severity in SEVERITIES:
        n = int(counts.get(severity) or 0)
        label = LABELS[severity]
        words.append(f"{n} {label}{'' if n == 1 else 's'}")
    return ", ".join(words)


def report_text(report: Report, name: str, *, every: bool = True, more: str = "") -> str:
    """The report for people: its findings (every one, or grouped by code: `every` False, the
    rest counted and `more` saying where they are), then the summary line of counts."""
    c = report.counts
    state = "ready" if report.ready else "not ready"
    summary = (
        f"{name}: {state}: {c['error']} error(s), {c['warning']} warning(s), {c['info']} note(s) "
        f"(profile {report.profile}, as of {report.as_of})"
    )
    if every:
        return findings_text(report.findings, summary) + responses_text(report)
    return "\n".join([*grouped_lines(report.findings, more), summary]) + responses_text(report)


def responses_text(report: Report) -> str:
    """The agency's responses to the Department: what each answers, when it is due."""
    lines = []
    for r in report.responses:
        state = f"sent {r.sent}" if r.sent else ("OVERDUE" if r.overdue else "open")
        due = f", due {r.due}" if r.due else ""
        lines.append(
            f"  {r.name}: {r.kind.upper()} {r.reference}{due} ({state}); "
            f"{r.answered} of {r.items} item(s) answered"
        )
    return ("\nResponses to the Department:\n" + "\n".join(lines)) if lines else ""


def profile_text(profile: Any) -> str:
    program = profile.program or {}
    cite = f" ({program['citation']})" if program.get("citation") else ""
    division = f", {program['division']}" if program.get("division") else ""
    routable = "" if program.get("routable") else " [not routable: drafts only]"
    lines = [
        f"{profile.name}: {profile.title}",
        f"program: {program.get('title', '')}{cite}{division}{routable}",
        f"source: {profile.source}",
        "",
    ]
    for r in profile.rules:
        mark = "verified" if r.verified else "guide only"
        lines.append(f"{r.code}  [{r.severity}, {mark}]")
        if r.title:
            lines.append(f"    requirement: {r.title} (section {r.section})")
        if r.params:
            lines.append("    params: " + ", ".join(f"{k}={v}" for k, v in r.params.items()))
        if r.citation:
            lines.append(f"    citation: {r.citation}")
        if r.note:
            lines.append(f"    note: {r.note}")
    if profile.qualification_paths:
        lines.append("\nqualification paths:")
        for key, paths in profile.qualification_paths.items():
            lines += [f"  {key}: {p.get('name')}" for p in paths]
    lines.append("\npolicy topics: " + ", ".join(t["key"] for t in profile.policy_topics))
    if profile.schedule:
        lines.append("\nschedule (dated obligations the calendar lists):")
        for e in profile.schedule:
            mark = "verified" if e["verified"] else "not verified"
            lines.append(
                f"  {e['key']}: {e['field']} + {e['interval_months']} months [{mark}]"
                + (f"\n    citation: {e['citation']}" if e["citation"] else "")
            )
    if profile.promises:
        lines.append("\npromises (what the policy manual promises, and the data evidencing it):")
        for e in profile.promises:
            mark = "verified" if e["verified"] else "not verified"
            every = f"every {e['interval_months']} months" if e.get("interval_months") else "once"
            words = f" (topics: {', '.join(e['topics'])})" if e.get("topics") else ""
            lines.append(
                f"  {e['key']} ({e['topic']}): {e['field']}{words}, {every}"
                f"{', tested by ' + e['check'] if e.get('check') else ''} [{mark}]"
                f"\n    citation: {e['citation']}"
            )
    return "\n".join(lines)


def inspect_text(info: dict[str, Any]) -> str:
    lines = [
        f"{info['agency'].get('legal_name')} — profile {info['profile']}, as of {info['as_of']}, "
        f"{info['packet']['pages']} pages{' (DRAFT)' if info['draft'] else ''}",
        f"findings: {counts_text(info.get('findings') or {})}",
        "",
    ]
    if info.get("parts"):
        lines.append(f"{len(info['parts'])} parts:")
        for p in info["parts"]:
            size = f"  {p['bytes'] / 1_000_000:.1f} MB" if p.get("bytes") else ""
            lines.append(f"  {p['file']:<56} pp. {p['first_page']}-{p['last_page']}{size}")
        lines.append("")
    for s in info["sections"]:
        lines.append(f"{s['letter']:>2}. {s['title']:<48} pp. {s['first_page']}-{s['last_page']}")
        for d in s["documents"]:
            lines.append(
                f"      {d['title'][:50]:<50} pp. {d['first_page']}-{d['last_page']}  "
                f"{d['source']}  {d['source_sha256'][:12]}"
            )
    lines += evidence_text(info.get("evidence") or [])  # proofs read against the data
    return "\n".join(lines)


def diff_text(result: dict[str, Any]) -> str:
    """What changed first (new, replaced, deleted, with their pages), then the data changes; the
    unchanged documents are counted, and those on other pages named last."""
    lines = [result["summary"], ""]
    docs = result["documents"]
    for op, word in (("new", "new"), ("replace", "replaced"), ("delete", "deleted")):
        for d in docs[op]:
            where = d["pages"] or f"was {d['base_pages']}"
            if op == "replace" and d["base_pages"] != d["pages"]:
                where = f"{d['pages']}, was {d['base_pages']}"
            lines.append(f"  {word:<9} {d['title']}  (pp. {where})")
    if not any(docs[op] for op in ("new", "replace", "delete")):
        lines.append("  no document was added, replaced or deleted")
    if result["data"]:
        lines.append("\nData changes:")
        lines += [f"  {c}" for c in result["data"]]
    lines.append(f"\nunchanged documents: {len(docs['unchanged'])}")
    if docs["moved"]:
        lines.append(f"of which on other pages: {len(docs['moved'])}")
        lines += [
            f"  {d['title']}  (pp. {d['pages']}, was {d['base_pages']})" for d in docs["moved"]
        ]
    if result.get("recorded") == "same":
        lines.append("\nThe newer packet records these very changes (it was built with this base).")
    elif result.get("recorded") == "differs":
        lines.append(
            "\nWARNING: the newer packet was built with this base but records other changes; "
            "run `cmpacket verify NEW --base OLD`."
        )
    return "\n".join(lines)


def receiver_text(receiver: Any) -> str:
    def mb(value: float | None) -> str:
        return f"{value:g} MB" if value else "no limit"

    lines = [
        f"{receiver.name} — {receiver.title}",
        f"  {receiver.description}" if receiver.description else "",
        f"  per file:        {mb(receiver.max_file_mb)}",
        f"  all files:       {mb(receiver.max_total_mb)}",
        f"  page size:       {receiver.page_size or 'any'}",
        f"  text searchable: {'required' if receiver.text_searchable else 'not required'}",
        f"  when too large:  {'written as parts' if receiver.split == 'parts' else 'one file (a finding)'}",
    ]
    for key, source in sorted(receiver.sources.items()):
        if isinstance(source, dict):
            mark = "verified" if source.get("verified") else "unverified"
            lines.append(f"  {key}: {source.get('citation', '')} ({mark})")
    return "\n".join(line for line in lines if line)


def evidence_text(rows: list[dict[str, Any]]) -> list[str]:
    """Lines for the text output of `cmpacket inspect`."""
    if not rows:
        return []
    checked = sum(1 for r in rows if r.get("checked"))
    off = sum(1 for r in rows if r.get("mismatched"))
    lines = [
        "",
        f"Evidence: {len(rows)} proofs, {checked} read and checked against the data, "
        f"{off} with a mismatch",
    ]
    for r in rows:
        if not r.get("checked"):
            status = "not checked (no readable text)"
        elif r.get("mismatched"):
            status = "MISMATCH: " + ", ".join(field_label(f) for f in r["mismatched"])
            if r.get("matched"):
                status += "; matched: " + ", ".join(field_label(f) for f in r["matched"])
        else:
            status = "matched: " + ", ".join(field_label(f) for f in r.get("matched") or [])
        page = f"p. {r['page']}" if r.get("page") else "p. -"
        lines.append(
            f"  {str(r.get('staff', ''))[:24]:<24} {page:<8} {r.get('file', '')}  {status}"
        )
    return lines
