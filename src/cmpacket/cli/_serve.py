"""The template author's command: serve, the live preview."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cmpacket.cli._group import cli
from cmpacket.cli._options import EXISTING, PROFILE
from cmpacket.errors import ExitCode


@cli.command()
@click.argument("folder", type=EXISTING)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other lets other computers read the draft.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--template-dir",
    "template_dirs",
    multiple=True,
    type=EXISTING,
    help="Template folder searched first (repeatable); watched too.",
)
@PROFILE
@click.pass_context
def serve(ctx: click.Context, /, folder: Path, **options: Any) -> None:
    """Preview the draft packet in a browser; it rebuilds and updates when a file changes.

    \b
    Example:
      cmpacket serve my-agency --template-dir ~/grants/templates
    """
    from cmpacket.serve import run  # the preview is a client of api, like this command line

    try:
        run(folder, quiet=ctx.obj["quiet"], **options)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
        sys.exit(ExitCode.INTERRUPTED)
