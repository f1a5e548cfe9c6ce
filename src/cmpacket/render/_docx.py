"""A user's Word templates: docxtpl renders `.docx` templates (Jinja tags) in a sandbox, with
deterministic zips (the converters to PDF are in `convert`)."""

from __future__ import annotations

import functools
import io
import zipfile
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cmpacket.errors import TemplateError
from cmpacket.templates import FILTERS, TemplateRegistry, printable

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def _env() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=True, finalize=printable
    )
    env.filters.update(FILTERS)
    return env


@functools.cache
def _reads(path: str, sha256: str) -> frozenset[str]:
    from docxtpl import DocxTemplate

    return frozenset(DocxTemplate(path).get_undeclared_template_variables(_env()))


def docx_reads(registry: TemplateRegistry, name: str) -> frozenset[str]:
    """The top-level variables a Word template reads (so its cache key covers exactly those)."""
    winner = registry.find(name)
    try:
        return _reads(str(winner.path), winner.sha256)
    except Exception:  # a broken template: key on everything, the render will report it
        return frozenset()


def render_docx(registry: TemplateRegistry, name: str, context: dict[str, Any]) -> bytes:
    """Render a Word template to .docx bytes (deterministic zip timestamps)."""
    from docxtpl import DocxTemplate

    winner = registry.find(name)
    try:
        doc = DocxTemplate(str(winner.path))
        doc.render(context, jinja_env=_env(), autoescape=True)
        buf = io.BytesIO()
        doc.save(buf)
    except Exception as exc:  # docxtpl surfaces Jinja and XML errors alike
        raise TemplateError(
            f"{winner.path if not winner.builtin else 'built-in ' + name}: Word template failed: "
            f"{type(exc).__name__}: {exc}",
            hint="Check the {{ }} and {%p %} tags; each {%p %} tag must be alone in its paragraph.",
        ) from None
    return normalize_zip(buf.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with sorted entries and fixed timestamps so output is reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        ordered = ["[Content_Types].xml"] + sorted(n for n in names if n != "[Content_Types].xml")
        for n in ordered:
            if n in names:
                info = zipfile.ZipInfo(n, FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                dst.writestr(info, src.read(n))
    return out.getvalue()
