"""The `cmpacket` command line: parse flags, call `api`, map errors to exit codes. No logic."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback

import click

from cmpacket import workers
from cmpacket.errors import CmpacketError, ExitCode
from cmpacket.interrupt import deferred

__all__ = ["cli", "main", "run"]


from cmpacket.cli import _agency, _data, _review, _serve  # noqa: F401  (each adds its commands)
from cmpacket.cli._group import cli
from cmpacket.cli._signals import exit_code_of, terminable
from cmpacket.cli._text import MORE_VALIDATE, grouped_lines

# what a spare worker imports as a build starts: what laying documents out needs
LAYOUT_MODULES = ("weasyprint", "cmpacket.render")
# the module a command's work is in, imported before it runs (`api` for the rest; none for serve,
# whose work starts in a process of its own)
COMMAND_MODULES = {
    "verify": "cmpacket.review",
    "inspect": "cmpacket.review",
    "diff": "cmpacket.review",
    "serve": "cmpacket.serve",
}


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the group and turns every error into a message and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    command = next((a for a in args if not a.startswith("-")), "")  # the group's options are flags
    try:
        with terminable():  # SIGTERM raises like Ctrl-C: finally blocks run, exit 143
            if command and not {"--help", "-h"} & set(args):
                start(command)
            code = cli.main(args=args, prog_name="cmpacket", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.USAGE
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:  # click wraps Ctrl-C in Abort
        cause = exc.__cause__ if isinstance(exc, click.exceptions.Abort) else exc
        code = exit_code_of(cause) if cause is not None else ExitCode.INTERRUPTED
        what = "terminated (SIGTERM)" if code == ExitCode.TERMINATED else "interrupted"
        click.echo(f"{what}; stopped cleanly, nothing partial was written", err=True)
    except CmpacketError as exc:
        if debug:
            traceback.print_exc()
        report = getattr(exc, "report", None)
        if report is not None:  # a build stopped by findings: show them, not just a count
            errors = [f for f in report.findings if f.severity == "error"]
            click.echo("\n".join(grouped_lines(errors, MORE_VALIDATE)), err=True)
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
    finally:
        workers.drop_spare()  # a build that ended before it needed its workers
    sys.exit(int(code or 0))


def start(command: str) -> None:
    """Before `command` runs: for a build, fork its first worker (it imports WeasyPrint while
    this process imports the stages); then import the module the command's work is in. Ctrl-C
    and SIGTERM are held until both are done, then take effect (exit 130 or 143). Raised inside
    a C extension's initialisation (pikepdf's), KeyboardInterrupt broke the extension: an
    ImportError reported as an internal error, an abort in nanobind, or the Ctrl-C lost where a
    library took the ImportError for an optional module missing and the build went on (2 of 45
    Ctrl-Cs in a build's first 0.4 s); raised as the worker was forked, it left its folder."""
    with deferred():
        if command in ("build", "respond"):
            workers.fork_spare(LAYOUT_MODULES)
        # __import__, not importlib's: -X importtime (and the test of what verify loads) sees it
        __import__(COMMAND_MODULES.get(command, "cmpacket.api"))


def run() -> None:
    """The `cmpacket` program (console script and `python -m cmpacket`): `main`, then the
    process ends once its output is flushed and its exit handlers have run (the workers',
    temporary folders', logging's), without tearing its modules down: freeing every object of
    a process that is ending took 0.1-0.2 s, a twentieth of a `respond` at 60 staff. `main`
    itself raises SystemExit as before, for callers in a process that goes on (the tests)."""
    code = 0
    try:
        main()  # ends by raising SystemExit with its code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or _watched() or threading.active_count() > 1:
        sys.exit(code)  # not CPython, a profiler or tracer, threads to wait for: as Python does
    code = _flush(code)
    run_exit_handlers()
    os._exit(_flush(code))


def _watched() -> bool:
    """Whether a profiler, tracer or debugger watches this process (it writes as Python ends)."""
    if sys.getprofile() or sys.gettrace():
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: cProfile, debuggers
    return monitoring is not None and any(
        monitoring.get_tool(tool) for tool in (monitoring.PROFILER_ID, monitoring.DEBUGGER_ID)
    )


def _flush(code: int) -> int:
    """Flush the output; as Python does, a success whose output could not be written ends 120
    (a closed pipe, `| head`, is no failure)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            pass
        except (OSError, ValueError):
            code = code or 120
    return code
