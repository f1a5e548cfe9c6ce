"""The `cmpacket` command line: parse flags, call `api`, map errors to exit codes. No logic."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from cmpacket import __version__
from cmpacket.errors import CmpacketError, ExitCode

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


def limits_options(fn: Any) -> Any:
    """--max-upload-mb, --max-upload-pages, --max-total-pages (override the profile's limits:)."""
    for name, kind, text in (
        ("--max-total-pages", int, "Most pages all uploads may add up to."),
        ("--max-upload-pages", int, "Most pages one upload may have."),
        ("--max-upload-mb", float, "Largest upload in MB."),
    ):
        fn = click.option(name, type=kind, help=text + " Default: the profile's limits.")(fn)
    return fn


def limits_of(options: dict[str, Any]) -> dict[str, Any]:
    keys = ("max_upload_mb", "max_upload_pages", "max_total_pages")
    return {k: options.pop(k) for k in keys if k in options}


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cmpacket")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on stderr.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """Build and check Illinois Case Management Agency certification packets.

    \b
    Example:
      cmpacket init my-agency && cmpacket validate my-agency
      cmpacket build sample_inputs/prairie-care
    """
    ctx.obj = {"debug": debug, "quiet": quiet}


@cli.command()
@click.argument("folder", type=EXISTING)
def init(folder: Path) -> None:
    """Create a new agency folder with a commented agency.yaml.

    \b
    Example:
      cmpacket init my-agency
    """
    from cmpacket import api

    for path in api.init(folder):
        click.echo(f"created {path}", err=True)
    click.echo(
        f"Next: edit {folder / 'agency.yaml'}, then run: cmpacket validate {folder}", err=True
    )


@cli.command()
@click.argument("folder", type=EXISTING)
@AS_OF
@FORMAT
@STRICT
@PROFILE
@limits_options
def validate(
    folder: Path, as_of: str | None, fmt: str, strict: bool, profile: str | None, **limits: Any
) -> None:
    """Check the agency's data and uploads against its profile; writes nothing.

    \b
    Example:
      cmpacket validate sample_inputs/prairie-care --format json
    """
    from cmpacket import api
    from cmpacket._report_text import report_text

    report = api.validate(
        folder, as_of=as_of, strict=strict, profile=profile, limits=limits_of(limits)
    )
    if fmt == "json":
        emit_json(report.as_dict())
    else:
        click.echo(report_text(report, folder.name))
    sys.exit(ExitCode.OK if report.ready else ExitCode.NOT_READY)


@cli.command()
@click.argument("folder", type=EXISTING)
@click.option("-o", "--out", type=EXISTING, help="Output folder. Default: FOLDER/out.")
@AS_OF
@click.option("--draft", is_flag=True, help="Build despite errors; every page is stamped DRAFT.")
@STRICT
@PROFILE
@click.option("--template-dir", "template_dirs", multiple=True, type=EXISTING,
              help="Template folder searched first (repeatable).")  # fmt: skip
@click.option("--keep-temp", is_flag=True, help="Keep the work folder for inspection.")
@click.option("--cache-dir", type=EXISTING, help="Cache folder. Default: $XDG_CACHE_HOME/cmpacket.")
@click.option("--no-cache", is_flag=True, help="Render everything afresh.")
@click.option("-q", "--quiet", "quiet_here", is_flag=True, help="No progress messages on stderr.")
@limits_options
@click.pass_context
def build(
    ctx: click.Context, folder: Path, out: Path | None, quiet_here: bool, **options: Any
) -> None:
    """Validate, render and assemble the packet, Word copies, manifest and readiness report.

    \b
    Example:
      cmpacket build sample_inputs/prairie-care -o out/
    """
    from cmpacket import api

    limits = limits_of(options)
    result = api.build(
        folder, out=out, quiet=ctx.obj["quiet"] or quiet_here, limits=limits, **options
    )
    click.echo(f"wrote {result.packet}", err=True)


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
def serve(ctx: click.Context, folder: Path, **options: Any) -> None:
    """Preview the draft packet in a browser; it rebuilds and updates when a file changes.

    \b
    Example:
      cmpacket serve my-agency --template-dir ~/grants/templates
    """
    from cmpacket import api

    try:
        api.serve(folder, quiet=ctx.obj["quiet"], **options)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
        sys.exit(ExitCode.INTERRUPTED)


@cli.group()
def templates() -> None:
    """List, export and check the templates on the search path.

    \b
    Example:
      cmpacket templates list my-agency
      cmpacket templates export policies/grievances.txt.j2 my-agency/templates/
    """


@templates.command("list")
@click.argument("folder", type=EXISTING, required=False)
@click.option("--template-dir", "template_dirs", multiple=True, type=EXISTING)
def templates_list(folder: Path | None, template_dirs: tuple[Path, ...]) -> None:
    """Every template name and the file that wins on the search path.

    \b
    Example:
      cmpacket templates list sample_inputs/prairie-care
    """
    from cmpacket import api

    for row in api.list_templates(folder, template_dirs):
        shadowed = f" (overrides {len(row['shadowed'])})" if row["shadowed"] else ""
        click.echo(f"{row['name']:<44} {row['winner']}{shadowed}")


@templates.command("export")
@click.argument("name")
@click.argument("dest", type=EXISTING)
def templates_export(name: str, dest: Path) -> None:
    """Copy a built-in template out for customisation.

    \b
    Example:
      cmpacket templates export job-description.html.j2 my-agency/templates/
    """
    from cmpacket import api

    click.echo(f"wrote {api.export_template(name, dest)}", err=True)


@templates.command("check")
@click.argument("folder", type=EXISTING, required=False)
@click.option("--template-dir", "template_dirs", multiple=True, type=EXISTING)
def templates_check(folder: Path | None, template_dirs: tuple[Path, ...]) -> None:
    """Render every template against the data model; report syntax and undefined variables.

    \b
    Example:
      cmpacket templates check my-agency
    """
    from cmpacket import api

    problems = api.check_templates(folder, template_dirs)
    for line in problems:
        click.echo(line)
    click.echo(f"{len(problems)} template problem(s)", err=True)
    sys.exit(ExitCode.NOT_READY if problems else ExitCode.OK)


@cli.command()
@click.argument("packet", type=EXISTING)
@click.option(
    "--manifest", type=EXISTING, help="The sidecar manifest.json to check the file against."
)
@FORMAT
def verify(packet: Path, manifest: Path | None, fmt: str) -> None:
    """Check a packet's integrity and completeness (a reviewer's check).

    \b
    Example:
      cmpacket verify prairie-care-packet.pdf --manifest manifest.json
    """
    from cmpacket import api
    from cmpacket._report_text import findings_text

    result = api.verify(packet, manifest=manifest)
    if fmt == "json":
        emit_json(result.as_dict())
    else:
        click.echo(findings_text(result.findings, f"{packet.name}: {result.summary}", codes=True))
    sys.exit(ExitCode.OK if result.ok else ExitCode.NOT_READY)


@cli.command()
@click.argument("packet", type=EXISTING)
@FORMAT
def inspect(packet: Path, fmt: str) -> None:
    """Show a packet's sections, documents and page ranges.

    \b
    Example:
      cmpacket inspect prairie-care-packet.pdf
    """
    from cmpacket import api
    from cmpacket._report_text import inspect_text

    info = api.inspect(packet)
    if fmt == "json":
        emit_json(info)
    else:
        click.echo(inspect_text(info))


@cli.command()
@click.argument("old", type=EXISTING)
@click.argument("new", type=EXISTING)
@FORMAT
def diff(old: Path, new: Path, fmt: str) -> None:
    """What changed between two packets of one agency.

    \b
    Example:
      cmpacket diff packet-2026-10.pdf packet-2026-12.pdf
    """
    from cmpacket import api
    from cmpacket._report_text import diff_text

    result = api.diff(old, new)
    if fmt == "json":
        emit_json(result)
    else:
        click.echo(diff_text(result))


@cli.group()
def profiles() -> None:
    """The requirement profiles and their rules, with citations.

    \b
    Example:
      cmpacket profiles show il-guide --format json
    """


@profiles.command("list")
def profiles_list() -> None:
    """List the built-in profiles.

    \b
    Example:
      cmpacket profiles list
    """
    from cmpacket import api

    for p in api.list_profiles():
        click.echo(f"{p.name:<22} {p.title}")


@profiles.command("show")
@click.argument("name")
@FORMAT
def profiles_show(name: str, fmt: str) -> None:
    """Show a profile's rules, parameters, citations and whether each was verified.

    \b
    Example:
      cmpacket profiles show il-guide
    """
    from cmpacket import api
    from cmpacket._report_text import profile_text

    profile = api.show_profile(name)
    if fmt == "json":
        emit_json(profile.as_dict())
    else:
        click.echo(profile_text(profile))


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the group and turns every error into a message and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="cmpacket", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.USAGE
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted; nothing was written", err=True)
        code = ExitCode.INTERRUPTED
    except CmpacketError as exc:
        if debug:
            traceback.print_exc()
        report = getattr(exc, "report", None)
        if report is not None:  # a build stopped by findings: show them, not just a count
            from cmpacket._report_text import findings_text

            errors = [f for f in report.findings if f.severity == "error"]
            click.echo(findings_text(errors, ""), err=True)
        click.echo(f"error: {exc}", err=True)
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:  # the last line of defence: no traceback without --debug
        if debug:
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("Run again with --debug for the traceback and report it.", err=True)
        code = ExitCode.BUILD_FAILED
    sys.exit(int(code or 0))
