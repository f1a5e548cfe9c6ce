"""The `cmpacket` command group; each command module adds its commands to it."""

from __future__ import annotations

import click

from cmpacket import __version__


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
