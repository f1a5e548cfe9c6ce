"""Options and helpers the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cmpacket._json import dumps as readable_json

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text for people, json for programs (one object on stdout).",
)  # fmt: skip
AS_OF = click.option(
    "--as-of", help="Date every date rule uses (YYYY-MM-DD). Default: submission.date."
)
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
PROFILE = click.option("--profile", help="Profile name or file, overriding agency.yaml's profile:.")
EXISTING = click.Path(path_type=Path)
OCR = click.option(
    "--ocr", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
    help="Text layers by OCR on upload pages without text: auto (when an engine is installed), "
    "always (an engine is required), never.",
)  # fmt: skip


def limits_options(fn: Any) -> Any:
    """--max-upload-mb, --max-upload-pages, --max-total-pages and the decoding caps
    --max-stream-mb, --max-page-mb, --max-image-megapixels (override the profile's limits:)."""
    for name, kind, text in (
        ("--max-image-megapixels", float, "Most megapixels one image in an upload may have."),
        ("--max-page-mb", float, "Most MB an upload page's streams may decode to together."),
        ("--max-stream-mb", float, "Most MB one stream in an upload (not an image) may decode to."),
        ("--max-total-pages", int, "Most pages all uploads may add up to."),
        ("--max-upload-pages", int, "Most pages one upload may have."),
        ("--max-upload-mb", float, "Largest upload in MB."),
    ):
        fn = click.option(name, type=kind, help=text + " Default: the profile's limits.")(fn)
    return fn


def limits_of(options: dict[str, Any]) -> dict[str, Any]:
    keys = ["max_upload_mb", "max_upload_pages", "max_total_pages"]
    keys += ["max_stream_mb", "max_page_mb", "max_image_megapixels"]  # decoding caps
    return {k: options.pop(k) for k in keys if k in options}


def emit_json(obj: Any) -> None:
    """JSON on stdout; a lone surrogate (from a hostile received manifest) is written as its
    \\ud800 escape, which JSON allows, rather than failing to encode."""
    text = readable_json(obj)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = readable_json(obj, ensure_ascii=True)
    click.echo(text)
