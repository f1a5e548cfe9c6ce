"""The commands over data and templates: templates, profiles, receivers."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmpacket.cli._group import cli
from cmpacket.cli._options import EXISTING, FORMAT, emit_json
from cmpacket.cli._text import profile_text, receiver_text
from cmpacket.errors import ExitCode


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
        routed = "" if p.program.get("routable") else "  [no program: drafts only]"
        click.echo(f"{p.name:<22} {p.title}{routed}")


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

    profile = api.show_profile(name)
    if fmt == "json":
        emit_json(profile.as_dict())
    else:
        click.echo(profile_text(profile))


@cli.group()
def receivers() -> None:
    """Where a packet is sent and what that place accepts (file size, total size, pages, text).

    \b
    Example:
      cmpacket receivers show il-efile
      cmpacket build my-agency --receiver il-efile
    """


@receivers.command("list")
def receivers_list() -> None:
    """List the built-in receivers.

    \b
    Example:
      cmpacket receivers list
    """
    from cmpacket import api

    for r in api.list_receivers():
        click.echo(f"{r.name:<12} {r.title}")


@receivers.command("show")
@click.argument("name")
@FORMAT
def receivers_show(name: str, fmt: str) -> None:
    """Show a receiver's limits and the source of each.

    \b
    Example:
      cmpacket receivers show il-efile
    """
    from cmpacket import api

    receiver = api.show_receiver(name)
    if fmt == "json":
        emit_json(receiver.as_dict())
    else:
        click.echo(receiver_text(receiver))
