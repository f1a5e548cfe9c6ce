"""`cmpacket templates check`: render every template against the data model, collect problems."""

from __future__ import annotations

from typing import Any

from cmpacket.errors import TemplateError
from cmpacket.findings import Report
from cmpacket.model import AgencyData
from cmpacket.plan import Planned, plan
from cmpacket.profiles import Profile
from cmpacket.render._context import build_context, policy_chapters
from cmpacket.render._docx import render_docx
from cmpacket.render._jinja import render_template
from cmpacket.templates import TemplateRegistry


def check_all(
    registry: TemplateRegistry, data: AgencyData, profile: Profile, report: Report
) -> list[str]:
    """Render every template with the context a build would give it for `data` (the agency's,
    or `model.example_data`) and the rules' `report`; returns one message per problem."""
    pieces = plan(data)
    planned = Planned(pieces, [], "0" * 16, "packet.pdf", whole=tuple(pieces))
    context = build_context(data, profile, report, planned, registry, draft=False, chapters=False)
    problems: list[str] = []
    try:
        context["chapters"] = policy_chapters(registry, context)
    except TemplateError as exc:
        problems.append(str(exc))
    context.update(_extras(context))
    for name in registry.names():
        if not name.endswith((".html.j2", ".txt.j2", ".docx")):
            continue
        try:
            if name.endswith(".docx"):
                render_docx(registry, name, context)
            else:
                render_template(registry, name, context)
        except TemplateError as exc:
            problems.append(str(exc))
    return problems


def _extras(context: dict[str, Any]) -> dict[str, Any]:
    """Variables only some documents receive: a job description's `position`, a roster part's
    `chunk`, a draft placeholder's `placeholder`, a part cover's `part`, a response's `response`,
    `items` and `changes`, the on-call schedule's `on_call` (see docs/templates.md)."""
    day = context["as_of"]
    return {
        "response": {
            "name": "rfi-example",
            "date": day,
            "kind": "rfi",
            "kind_title": "request for information",
            "reference": "REF-1",
            "sender": "Illinois Department of Human Services",
            "dated": day,
            "received": day,
            "due": day,
            "due_basis": "",
            "has_letter": True,
            "letter_ref": "doc/letter",
            "base": "agency-packet.pdf",
            "sequence": 1,
            "counts": {},
        },
        "items": [
            {
                "id": "1",
                "request": "Provide the roster.",
                "citation": "",
                "answer": "Enclosed.",
                "cause": "",
                "correction": "",
                "owner": {"name": "A", "title": "B"},
                "completed": day,
                "target": None,
                "sustain": "",
                "exhibits": [{"title": "Roster", "ref": "doc/x"}],
            }
        ],
        "changes": [
            {
                "operation": "replace",
                "title": "Roster",
                "base_pages": [1, 2],
                "pages": [1, 3],
                "ref": "doc/x",
            }
        ],  # fmt: skip
        "position": context["positions"][0] if context["positions"] else {},
        "on_call": context["on_call"]
        or {
            "hours": "evenings",
            "handoff": "Monday",
            "shift_days": 7,
            "shifts": [
                {
                    "number": 1,
                    "start": day,
                    "end": day,
                    "primary": {"id": "S-1", "name": "A", "title": "B"},
                    "backup": {"id": "S-2", "name": "C", "title": "D"},
                }
            ],
            "rotation": [{"id": "S-1", "name": "A", "title": "B"}],
            "last_backup": {"id": "S-3", "name": "E", "title": "F"},
        },
        "chunk": {
            "first": True,
            "last": True,
            "heading": True,
            "total": len(context["staff"]),
            "chapters": [ch["key"] for ch in context["chapters"]],
        },
        "placeholder": {"title": "Upload", "file": "uploads/x.pdf", "reason": "missing"},
        "empty": {"title": "Job descriptions: nothing to show yet", "why": "no positions."},
        "part": {
            "number": 1,
            "file": "agency-packet-part-1-of-2.pdf",
            "ref": "part/1",
            "begins": "Cover sheet",
            "note": "",
        },
    }
