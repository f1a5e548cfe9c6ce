"""Render a template on the search path, turning every Jinja failure into a TemplateError
that names the template file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from cmpacket.errors import TemplateError
from cmpacket.templates import TemplateRegistry


def render_template(registry: TemplateRegistry, name: str, context: dict[str, Any]) -> str:
    try:
        return registry.env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        at = _place(registry, exc.filename or exc.name or name, exc.lineno)
        raise _error(
            at,
            f"syntax error: {exc.message}",
            "Fix the tag on that line; `cmpacket templates check` lists every problem.",
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"{name}: template {exc.name!r} was not found inside the template roots.",
            hint="Templates may only include or extend files on the search path "
            "(`cmpacket templates list`).",
            file=name,
            detail=f"template {exc.name!r} was not found inside the template roots.",
        ) from None
    except SecurityError as exc:
        raise _error(
            _traceback_place(registry, exc, name),
            f"refused by the sandbox: {exc}",
            "Templates may only use the data they are given.",
        ) from None
    except jinja2.UndefinedError as exc:
        raise _error(
            _traceback_place(registry, exc, name),
            str(exc.message),
            "Use only the variables listed in docs/templates.md for this template.",
        ) from None
    except jinja2.TemplateRuntimeError as exc:  # printing a function (see templates.printable)
        raise _error(
            _traceback_place(registry, exc, name),
            str(exc.message),
            "Print values only; docs/templates.md lists each template's variables.",
        ) from None
    except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise _error(
            _traceback_place(registry, exc, name), f"{type(exc).__name__}: {exc}", ""
        ) from None


Place = tuple[str, int | None, str | None]  # (file as shown, line, path on disk)


def _error(at: Place, detail: str, hint: str) -> TemplateError:
    shown, line, path = at
    where = f"{shown}:{line}" if line else shown
    return TemplateError(
        f"{where}: {detail}", hint=hint, file=shown, line=line, path=path, detail=detail
    )


def _place(registry: TemplateRegistry, filename: str, line: int | None) -> Place:
    path = Path(filename)
    disk = None
    for root in registry.roots:
        if path.is_absolute() and path.resolve().is_relative_to(root):
            disk = str(path.resolve())
            shown = "built-in " if root == registry.roots[-1] else ""
            filename = f"{shown}{path.resolve().relative_to(root).as_posix()}"
            if not shown:
                filename = str(path)
            break
    return filename, line or None, disk


def _traceback_place(registry: TemplateRegistry, exc: BaseException, name: str) -> Place:
    """The innermost template frame of a render error: file and line."""
    tb, found = exc.__traceback__, None
    roots = [str(r) for r in registry.roots]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(filename.startswith(r) for r in roots):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found:
        return _place(registry, *found)
    return name, None, None


def chapter_blocks(text: str) -> list[dict[str, Any]]:
    """Plain chapter text -> blocks: '## ' headings, '- ' bullet lists, paragraphs.

    A line directly under a bullet continues that bullet only when it is indented; an unindented
    line starts a paragraph, so a closing sentence after a list never merges into its last bullet.
    """
    blocks: list[dict[str, Any]] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        para: list[str] = []
        for raw in chunk.split("\n"):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("## "):
                _flush(blocks, para)
                blocks.append({"kind": "h", "text": line[3:].strip()})
            elif line.startswith("- "):
                _flush(blocks, para)
                if not blocks or blocks[-1]["kind"] != "ul":
                    blocks.append({"kind": "ul", "bullets": []})
                blocks[-1]["bullets"].append(line[2:].strip())
            else:
                indented = raw[:1] in (" ", "\t")
                if indented and blocks and blocks[-1]["kind"] == "ul" and not para:
                    blocks[-1]["bullets"][-1] += " " + line
                    continue
                para.append(line)
        _flush(blocks, para)
    return blocks


def _flush(blocks: list[dict[str, Any]], para: list[str]) -> None:
    if para:
        blocks.append({"kind": "p", "text": " ".join(para)})
        para.clear()
