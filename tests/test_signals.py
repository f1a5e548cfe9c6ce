"""Stopping a build from outside: Ctrl-C (SIGINT) exits 130 and SIGTERM (timeout, systemd, CI
runners, docker stop) exits 143, both leaving nothing partial in OUT, no work folder in the temp
directory and no traceback; render workers end quietly whatever ended their parent.

Real processes and real signals; the only waits are generous deadlines for something to happen.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EPOCH, copy_sample

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)"),
]

DEADLINE = 120.0  # seconds; generous, only to stop a hung test


def children_of(pid: int) -> list[int]:
    """Live (non-zombie) processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Running:
    """A subprocess whose stderr is collected line by line on a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # ends when every holder of the pipe has closed it
            self.lines.append(line)

    @property
    def err(self) -> str:
        return "".join(self.lines)

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"never saw {what}; stderr:\n{self.err}")
            time.sleep(0.02)

    def finish(self) -> str:
        """Wait for the process and for every process holding its stderr (its workers)."""
        self.proc.wait(timeout=DEADLINE)
        self.reader.join(timeout=DEADLINE)
        assert not self.reader.is_alive(), "a child process still holds stderr open"
        return self.err


def private_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(
        os.environ,
        SOURCE_DATE_EPOCH=EPOCH,
        TMPDIR=str(tmp),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    return env, tmp


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_the_build_stops_it_cleanly(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    folder = copy_sample(tmp_path)
    out = tmp_path / "out"
    env, tmp = private_env(tmp_path)
    run = Running(
        [sys.executable, "-m", "cmpacket", "build", str(folder), "-o", str(out), "--no-cache"], env
    )
    run.wait_for(lambda: "Rendering" in run.err, "the Rendering step")
    assert any(p.name.startswith("cmpacket-") for p in tmp.iterdir())  # the work folder
    # signal while the render workers lay out, or as soon as rendering is over
    run.wait_for(
        lambda: len(children_of(run.proc.pid)) >= 2 or "Taking in" in run.err, "the render pool"
    )
    workers = children_of(run.proc.pid)
    run.proc.send_signal(signum)
    err = run.finish()
    assert run.proc.returncode == code, err
    assert "Traceback" not in err and "Error" not in err, err
    word = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"
    assert err.rstrip().endswith(f"{word}; stopped cleanly, nothing partial was written"), err
    assert "wrote " not in err
    assert not out.exists() or [p for p in out.rglob("*")] == []
    assert list(tmp.iterdir()) == []  # the work folder was removed
    assert [pid for pid in workers if alive(pid)] == []
    assert not (folder / "out").exists()


def test_sigterm_before_the_build_starts_its_work_also_exits_143(tmp_path: Path) -> None:
    """Outside the deferred build steps (here: while validating) SIGTERM raises at once."""
    env, tmp = private_env(tmp_path)
    script = (
        "import sys, time, cmpacket.cli as c\n"
        "def slow(*a, **k):\n"
        "    print('validating', file=sys.stderr, flush=True)\n"
        "    time.sleep(600)\n"
        "import cmpacket.api\n"
        "cmpacket.api.validate = slow\n"
        "c.main(['validate', sys.argv[1]])\n"
    )
    run = Running([sys.executable, "-c", script, str(copy_sample(tmp_path))], env)
    run.wait_for(lambda: "validating" in run.err, "validation")
    run.proc.send_signal(signal.SIGTERM)
    err = run.finish()
    assert run.proc.returncode == 143, err
    assert "Traceback" not in err and "terminated (SIGTERM)" in err


# A parent that lays out heavy documents on two forked workers, then is killed by a signal it
# does not handle: the workers must end quietly (no BrokenPipe tracebacks) and not linger.
POOL_SCRIPT = """
import sys
from cmpacket.render import lay_out
from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry
from cmpacket.workers import Pool

rows = "".join(f"<tr><td>{i}</td><td>Person {i}</td><td>case manager</td></tr>" for i in range(4000))
html = f"<html><body><table>{rows}</table></body></html>"
started = lambda: print("pool started", file=sys.stderr, flush=True)
pdfs = lay_out([("big.html", html)] * 8, TemplateRegistry([BUILTIN_ROOT]), Pool(size=2),
               meanwhile=started)
print("finished", len(pdfs), file=sys.stderr, flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_render_workers_end_quietly_when_their_parent_is_gone(
    tmp_path: Path, signum: signal.Signals
) -> None:
    env, _ = private_env(tmp_path)
    run = Running([sys.executable, "-c", POOL_SCRIPT], env)
    run.wait_for(lambda: "pool started" in run.err, "the pool start")
    run.wait_for(lambda: len(children_of(run.proc.pid)) == 2, "two workers")
    workers = children_of(run.proc.pid)
    run.proc.send_signal(signum)
    err = run.finish()  # returns once the workers, too, have closed stderr
    assert run.proc.returncode == -signum
    assert "finished" not in err  # the parent died mid-render
    assert err.strip() == "pool started", err  # no BrokenPipe traceback from a worker
    deadline = time.monotonic() + DEADLINE
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in workers if alive(pid)] == []


def test_ctrl_c_as_the_cache_opens_leaves_no_work_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work folder is made first; an interruption before the build's workers start (here,
    as the cache opens) still removes it."""
    import tempfile

    from cmpacket import api, pipeline

    def interrupted(_: object) -> None:
        raise KeyboardInterrupt

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(pipeline, "Cache", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.build(copy_sample(tmp_path), api.Options(quiet=True), out=tmp_path / "out")
    assert list(temp.iterdir()) == []


def test_ctrl_c_while_a_command_imports_its_work_waits_for_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C as the command imports what it runs takes effect once the import is done: raised
    inside an extension's initialisation, it broke the extension (pikepdf: an internal error, an
    abort, or a build that went on with the Ctrl-C lost)."""
    import importlib.abc

    from cmpacket import cli

    hit: list[str] = []

    class Interrupting(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> None:
            if name == "cmpacket.api" and not hit:
                hit.append(name)
                os.kill(os.getpid(), signal.SIGINT)  # as the import starts
            return None  # the import goes on as usual

    handler = signal.getsignal(signal.SIGINT)
    monkeypatch.delitem(sys.modules, "cmpacket.api", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        cli.main(["validate", str(copy_sample(tmp_path))])
    assert hit and stopped.value.code == 130
    assert "interrupted; stopped cleanly" in capsys.readouterr().err
    assert callable(sys.modules["cmpacket.api"].validate)  # the import was not cut short
    assert signal.getsignal(signal.SIGINT) == handler  # restored
