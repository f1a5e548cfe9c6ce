"""The agency's commands: init, validate, build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cmpacket.cli._group import cli
from cmpacket.cli._options import (
    AS_OF,
    EXISTING,
    FORMAT,
    OCR,
    PROFILE,
    STRICT,
    emit_json,
    limits_of,
    limits_options,
)
from cmpacket.cli._text import MORE_VALIDATE, PER_CODE, report_text
from cmpacket.errors import ExitCode


@cli.command()
@click.argument("folder", type=EXISTING)
@click.option(
    "--roster", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
    help="The roster file to write: staff.csv (a header row), or staff.xlsx (a note on each "
    "column, drop-down lists, date cells and an example row to delete).",
)  # fmt: skip
@click.option(
    "--program", metavar="PROFILE",
    help="The program the agency applies to: il-hsp-aids-waiver (HSP case management for persons "
    "with HIV/AIDS) or il-fcm (Family Case Management). Asked on a terminal when not given.",
)  # fmt: skip
def init(folder: Path, roster: str, program: str | None) -> None:
    """Create a new agency folder with a commented agency.yaml and a roster.

    \b
    Example:
      cmpacket init my-agency --program il-hsp-aids-waiver
      cmpacket init my-agency --program il-fcm --roster xlsx
    """
    from cmpacket import api

    if program is None and sys.stdin.isatty():
        program = _ask_program(api.programs())
    for path in api.init(folder, roster=roster, program=program):
        click.echo(f"created {path}", err=True)
    if program is None:
        click.echo(
            "No program chosen: agency.yaml names il-guide, the guide's checklist, which builds "
            "drafts only. Set `profile:` to il-hsp-aids-waiver or il-fcm (or run init with "
            "--program) before a final build.",
            err=True,
        )
    click.echo(
        f"Next: edit {folder / 'agency.yaml'} and {folder / f'staff.{roster}'}, then run: "
        f"cmpacket validate {folder}",
        err=True,
    )


def _ask_program(known: dict[str, str]) -> str:
    """Ask which program the agency applies to (on a terminal)."""
    for name, what in known.items():
        click.echo(f"  {name}: {what}", err=True)
    choice = click.prompt(
        "Which program does the agency apply to?",
        type=click.Choice(list(known)),
        err=True,
    )
    return str(choice)


@cli.command()
@click.argument("folder", type=EXISTING)
@AS_OF
@FORMAT
@STRICT
@PROFILE
@click.option(
    "--receiver",
    help="Also check that the uploads can fit this receiver (see `cmpacket receivers list`).",
)
@OCR
@click.option(
    "--all", "every", is_flag=True,
    help=f"Print every finding. Default: at most {PER_CODE} of each code, the rest counted "
    "(--format json always has every one).",
)  # fmt: skip
@limits_options
@click.pass_context
def validate(
    ctx: click.Context,
    /,
    folder: Path,
    as_of: str | None,
    fmt: str,
    strict: bool,
    profile: str | None,
    receiver: str | None,
    ocr: str,
    every: bool,
    **limits: Any,
) -> None:
    """Check the agency's data and uploads against its profile; writes nothing.

    \b
    Example:
      cmpacket validate sample_inputs/prairie-care --format json
      cmpacket validate my-agency --all
    """
    from cmpacket import api

    report = api.validate(
        folder,
        as_of=as_of,
        strict=strict,
        profile=profile,
        limits=limits_of(limits),
        receiver=receiver,
        ocr=ocr,
        quiet=ctx.obj["quiet"],
    )
    if fmt == "json":
        emit_json(report.as_dict())
    else:
        click.echo(report_text(report, folder.resolve().name, every=every, more=MORE_VALIDATE))
    sys.exit(ExitCode.OK if report.ready else ExitCode.NOT_READY)


def packet_options(fn: Any) -> Any:
    """The options of every command that makes a packet (build, respond)."""
    for option in reversed(
        [
            click.option("-o", "--out", type=EXISTING, help="Output folder. Default: FOLDER/out."),
            AS_OF,
            click.option(
                "--draft", is_flag=True, help="Build despite errors; every page is stamped DRAFT."
            ),
            STRICT,
            PROFILE,
            click.option(
                "--template-dir",
                "template_dirs",
                multiple=True,
                type=EXISTING,
                help="Template folder searched first (repeatable).",
            ),  # fmt: skip
            click.option("--keep-temp", is_flag=True, help="Keep the work folder for inspection."),
            click.option(
                "--cache-dir",
                type=EXISTING,
                help="Cache folder. Default: $XDG_CACHE_HOME/cmpacket.",
            ),
            click.option("--no-cache", is_flag=True, help="Render everything afresh."),
            click.option(
                "-q", "--quiet", "quiet_here", is_flag=True, help="No progress messages on stderr."
            ),
            click.option(
                "--compress-scans",
                is_flag=True,
                help="Re-encode image-only upload pages as 200 dpi JPEG (lossy; listed in the "
                "manifest) so the packet fits a receiver's size cap.",
            ),
            click.option(
                "--receiver",
                help="Where the packet goes (built-in name or YAML file): sets file and total "
                "size caps; see `cmpacket receivers list`.",
            ),
            OCR,
            click.option(
                "--certificate",
                type=EXISTING,
                help="The authorized official's PKCS#12 file (.p12/.pfx) for signatures.method: "
                "digital (default: signatures.certificate). Its password: CMPACKET_SIGN_PASSWORD, "
                "else asked on the terminal.",
            ),
            limits_options,
        ]
    ):
        fn = option(fn)
    return fn


def _options(ctx: click.Context, quiet_here: bool, options: dict[str, Any]) -> Any:
    """The api's Options from click's values."""
    from cmpacket import api

    limits = limits_of(options)
    return api.Options(
        limits=limits, quiet=ctx.obj["quiet"] or quiet_here, sign_password=_password, **options
    )


def _password() -> str:
    """The signing certificate's password: CMPACKET_SIGN_PASSWORD, else asked on a terminal
    (not echoed); without either, a usage error. Asked only when a packet is signed."""
    import os

    from cmpacket import api

    if os.environ.get(api.PASSWORD_ENV) is None and sys.stdin.isatty():
        value: str = click.prompt(
            "Password of the signing certificate", hide_input=True, err=True, default=""
        )
        return value
    return api.env_password()


@cli.command()
@click.argument("folder", type=EXISTING)
@packet_options
@click.option(
    "--base",
    type=EXISTING,
    help="The packet (PDF, or its manifest.json) this one follows: the manifest records what is "
    "new, replaced, deleted or unchanged since it, and the index marks each document.",
)
@click.pass_context
def build(
    ctx: click.Context, /, folder: Path, out: Path | None, quiet_here: bool, **options: Any
) -> None:
    """Validate, render and assemble the packet, Word copies, manifest and readiness report.

    \b
    Example:
      cmpacket build sample_inputs/prairie-care -o out/
    """
    from cmpacket import api

    result = api.build(folder, _options(ctx, quiet_here, options), out=out)
    for path in result.parts or [result.packet]:
        click.echo(f"wrote {path}", err=True)
    if result.report is not None:  # what validate would say, grouped: readiness.json has all
        more = f"{result.readiness} lists every one"
        click.echo(
            report_text(result.report, folder.resolve().name, every=False, more=more), err=True
        )
    if not result.draft:  # last: the proofs a reviewer would find contradicting the data
        for line in result.contradicted:
            click.echo(line, err=True)


@cli.command()
@click.argument("folder", type=EXISTING)
@click.argument("response", type=EXISTING)
@packet_options
@click.pass_context
def respond(
    ctx: click.Context,
    /,
    folder: Path,
    response: Path,
    out: Path | None,
    quiet_here: bool,
    **options: Any,
) -> None:
    """Answer a letter of the Department: RESPONSE is a folder responses/NAME (or its
    response.yaml). Writes the updated packet (one sequence after the packet the letter
    answers) and the response packet: cover letter, response table, change table, exhibits.

    \b
    Example:
      cmpacket respond sample_inputs/prairie-care rfi-2027-01
    """
    from cmpacket import api

    result = api.respond(folder, response, _options(ctx, quiet_here, options), out=out)
    for path in result.packet.parts or [result.packet.packet]:
        click.echo(f"wrote {path}", err=True)
    due = f" (due {result.due})" if result.due else ""
    click.echo(f"wrote {result.response}{due}", err=True)


@cli.command()
@click.argument("folder", type=EXISTING)
@click.option(
    "-o", "--out", type=EXISTING,
    help="Write the calendar to this file (atomically). Default: stdout.",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["ics", "csv", "json"]),
    help="ics (iCalendar, to import or subscribe to), csv or json. Default: -o's extension, "
    "else ics.",
)  # fmt: skip
@AS_OF
@click.option(
    "--months", type=click.IntRange(1, 120), default=18, show_default=True,
    help="How far ahead to list obligations; overdue ones are always listed.",
)  # fmt: skip
@PROFILE
@click.pass_context
def calendar(
    ctx: click.Context,
    /,
    folder: Path,
    out: Path | None,
    fmt: str | None,
    as_of: str | None,
    months: int,
    profile: str | None,
) -> None:
    """The dates the agency must not miss: license expiries, training years, re-checks and
    screenings, the policies' review, the agreement's end, HFS revalidation and responses due,
    as a calendar with alarms 90, 30 and 7 days before. No license numbers or other identifiers.

    \b
    Example:
      cmpacket calendar sample_inputs/prairie-care -o prairie-care.ics
      cmpacket calendar sample_inputs/prairie-care --format csv --months 6
    """
    from cmpacket import api

    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    fmt = fmt or (suffix if suffix in ("ics", "csv", "json") else "ics")
    made = api.calendar(folder, as_of=as_of, months=months, fmt=fmt, profile=profile, out=out)
    if out is None:
        click.echo(made.data, nl=False)  # bytes: written as they are, CRLF included
    if not ctx.obj["quiet"]:
        where = f"wrote {out}: " if out is not None else ""
        click.echo(
            f"{where}{len(made.events)} obligation(s) due by {made.until}, "
            f"{made.overdue} of them overdue (as of {made.as_of})",
            err=True,
        )
