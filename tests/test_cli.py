"""The command line: init, exit codes, stdout/stderr discipline, no tracebacks without --debug."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cmpacket import __version__


def test_version(cli: Any) -> None:
    r = cli("--version")
    assert r.code == 0 and __version__ in r.out


def test_help_lists_every_command_with_examples(cli: Any) -> None:
    r = cli("--help")
    for command in (
        "init",
        "validate",
        "build",
        "templates",
        "verify",
        "inspect",
        "diff",
        "profiles",
    ):
        assert command in r.out
    for command in (["build"], ["verify"], ["templates", "export"], ["profiles", "show"]):
        assert "Example" in cli(*command, "--help").out


def test_init_scaffold_and_validate_reports_what_is_missing(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "new"
    r = cli("init", folder)
    assert r.code == 0 and r.out == ""
    assert {p.name for p in folder.iterdir()} == {
        "agency.yaml",
        "staff.csv",
        "uploads",
        "templates",
    }
    assert (
        "legal_name" in (folder / "agency.yaml").read_text()
        and "# " in (folder / "agency.yaml").read_text()
    )
    assert (folder / "staff.csv").read_text().startswith("id,name,position,hire_date")
    r = cli("validate", folder, "--format", "json")
    assert r.code == 1
    codes = {f["code"] for f in r.json()["findings"]}
    assert {
        "agency-info-missing",
        "fein-invalid",
        "agreement-incomplete",
        "service-settings-missing",
    } <= codes
    assert "Traceback" not in r.err


def test_init_refuses_to_overwrite(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "agency.yaml").write_text("mine")
    r = cli("init", folder)
    assert r.code == 2 and "never overwrites" in r.err
    assert (folder / "agency.yaml").read_text() == "mine"


def test_yaml_syntax_error_exits_2_with_line_and_no_traceback(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "agency.yaml").write_text("agency:\n  legal_name: x\n  phone: [\n")
    r = cli("validate", tmp_path)
    assert r.code == 2 and "agency.yaml:" in r.err and "Traceback" not in r.err and r.out == ""
    r = cli("--debug", "validate", tmp_path)
    assert r.code == 2


def test_missing_folder_and_bad_as_of_exit_2(cli: Any, tmp_path: Path, sample: Path) -> None:
    assert cli("validate", tmp_path / "nope").code == 2
    r = cli("validate", sample, "--as-of", "12/01/2026")
    assert r.code == 2 and "'12/01/2026' is not a date" in r.err


def test_schema_errors_in_text_output(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "agency.yaml").write_text("staff:\n  - id: S-1\n    hire_date: March 1\n")
    r = cli("validate", tmp_path)
    assert r.code == 1
    assert "agency.yaml:3: staff[0].hire_date: 'March 1' is not a date. Use YYYY-MM-DD." in r.out


def test_python_dash_m_works() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "cmpacket", "--version"], capture_output=True, text=True
    )
    assert r.returncode == 0 and __version__ in r.stdout


def test_validate_in_the_agency_folder_names_it(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """`cmpacket validate .` names the agency folder in its summary, not an empty name."""
    from tests.conftest import copy_sample

    folder = copy_sample(tmp_path)
    monkeypatch.chdir(folder)
    r = cli("validate", ".")
    assert r.code == 0
    assert any(line.startswith(f"{folder.name}: ready: 0 error(s)") for line in r.out.splitlines())


def test_the_program_ends_with_its_output_flushed_its_exit_handlers_run_and_its_code(
    tmp_path: Path,
) -> None:
    """`cmpacket` ends without tearing its modules down (cli.run): what it printed is all there,
    what registered to run at exit ran (the workers', temporary folders', logging's), and the
    exit code is main's."""
    from tests.conftest import SAMPLE

    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
        "from cmpacket.cli import run\n"
        "sys.argv = ['cmpacket', *sys.argv[1:]]\n"
        "run()\n"
        "print('never reached')\n"
    )
    ok = subprocess.run(
        [sys.executable, "-c", script, "validate", str(SAMPLE), "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ready"] is True  # every byte of the JSON was written
    assert ok.stderr.rstrip().endswith("exit handler ran") and "never reached" not in ok.stdout
    (tmp_path / "agency.yaml").write_text("agency: {legal_name: X}\n")
    bad = subprocess.run(
        [sys.executable, "-c", script, "validate", str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "exit handler ran" in bad.stderr
    assert bad.stdout.rstrip().splitlines()[-1].startswith(f"{tmp_path.name}: not ready")


def test_a_profiled_run_still_ends_as_python_does(tmp_path: Path) -> None:
    """Under a profiler the program ends as Python does, so the profile is written."""
    out = tmp_path / "run.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "cmpacket", "--version"],
        check=True,
        capture_output=True,
    )
    assert out.stat().st_size > 0
