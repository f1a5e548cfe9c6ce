"""The reviewer's commands: verify, inspect, diff."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmpacket.cli._group import cli
from cmpacket.cli._options import EXISTING, FORMAT, emit_json
from cmpacket.cli._text import diff_text, findings_text, inspect_text, printable
from cmpacket.errors import ExitCode


@cli.command()
@click.argument("packet", type=EXISTING, nargs=-1, required=True)
@click.option(
    "--manifest", type=EXISTING, help="The sidecar manifest.json to check the file against."
)
@click.option(
    "--limit", "limits", multiple=True, metavar="NAME=N",
    help="Change a cap on what the packet may ask, e.g. --limit pages=200000 (see docs/reviewers.md).",
)  # fmt: skip
@click.option(
    "--base",
    type=EXISTING,
    help="The packet (or its manifest.json) this one follows: also check the chain of sequences "
    "and that the recorded changes are the ones the two packets make.",
)
@click.option(
    "--trust", type=EXISTING, multiple=True, metavar="FILE",
    help="A trust root's certificate (PEM or DER): a digital signature must chain to it, else "
    "signature-untrusted (a warning). Repeatable.",
)  # fmt: skip
@FORMAT
def verify(
    packet: tuple[Path, ...],
    manifest: Path | None,
    limits: tuple[str, ...],
    base: Path | None,
    trust: tuple[Path, ...],
    fmt: str,
) -> None:
    """Check a packet's integrity and completeness (a reviewer's check). Give the packet, one
    of its parts, all of its parts in order, or the build's output folder.

    \b
    Example:
      cmpacket verify prairie-care-packet.pdf --manifest manifest.json
      cmpacket verify prairie-care-packet-part-1-of-3.pdf prairie-care-packet-part-2-of-3.pdf ...
      cmpacket verify out/prairie-care-packet.pdf --base sent/prairie-care-packet.pdf
      cmpacket verify prairie-care-packet.pdf --trust department-root.pem
    """
    from cmpacket import review

    caps = review.verify_limits(limits)
    result = review.verify(
        list(packet), manifest=manifest, limits=caps, base=base, trust=list(trust) or None
    )
    if fmt == "json":
        emit_json(result.as_dict())
    else:
        name = packet[0].name if len(packet) == 1 else f"{len(packet)} files"
        click.echo(printable(findings_text(result.findings, f"{name}: {result.summary}")))
    sys.exit(ExitCode.OK if result.ok else ExitCode.NOT_READY)


@cli.command()
@click.argument("packet", type=EXISTING, nargs=-1, required=True)
@FORMAT
def inspect(packet: tuple[Path, ...], fmt: str) -> None:
    """Show a packet's sections, documents and page ranges (any one part, all parts, or the
    build's output folder).

    \b
    Example:
      cmpacket inspect prairie-care-packet.pdf
    """
    from cmpacket import review

    info = review.inspect(list(packet))
    if fmt == "json":
        emit_json(info)
    else:
        click.echo(printable(inspect_text(info)))


@cli.command()
@click.argument("old", type=EXISTING)
@click.argument("new", type=EXISTING)
@FORMAT
def diff(old: Path, new: Path, fmt: str) -> None:
    """What changed between two packets of one agency (each a packet, any part of one, or a
    build's output folder).

    \b
    Example:
      cmpacket diff packet-2026-10.pdf packet-2026-12.pdf
    """
    from cmpacket import review

    result = review.diff(old, new)
    if fmt == "json":
        emit_json(result)
    else:
        click.echo(printable(diff_text(result)))
