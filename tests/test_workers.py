"""The build's pool of workers: several maps under way at once each get their own results."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from cmpacket.errors import BuildError
from cmpacket.workers import Pool


def _slow_square(n: int) -> tuple[int, int]:
    time.sleep(0.02 * (n % 3))
    return n, n * n


def _tagged(job: tuple[str, int]) -> str:
    time.sleep(0.01)
    return f"{job[0]}{job[1]}"


def _fail_on_three(n: int) -> int:
    if n == 3:
        raise BuildError("job three failed")
    return n


def test_a_map_started_and_left_waiting_keeps_its_results_while_another_map_runs() -> None:
    # the Word copies are started, the packet is assembled on the same workers, then the copies
    # are collected: each map must get exactly its own jobs' results, in order
    with Pool(size=2) as pool:
        first = pool.map(_tagged, [("copy-", k) for k in range(7)], min_jobs=1, chunk=1)
        second = list(pool.map(_slow_square, list(range(11)), min_jobs=1, chunk=1))
        assert pool.running
        assert second == [(n, n * n) for n in range(11)]
        assert list(first) == [f"copy-{k}" for k in range(7)]
        third = list(pool.map(_tagged, [("block-", k) for k in range(5)], min_jobs=1, chunk=2))
        assert third == [f"block-{k}" for k in range(5)]


def test_a_jobs_error_reaches_the_caller() -> None:
    with Pool(size=2) as pool, pytest.raises(BuildError, match="job three failed"):
        list(pool.map(_fail_on_three, list(range(6)), min_jobs=1, chunk=1))


def test_too_few_jobs_run_here_without_starting_workers() -> None:
    with Pool(size=2) as pool:
        assert list(pool.map(_slow_square, [2], min_jobs=2)) == [(2, 4)]
        assert not pool.running
        assert pool.started == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_workers_start_once_and_serve_every_later_map() -> None:
    with Pool(size=2) as pool:
        list(pool.map(_slow_square, list(range(4)), min_jobs=1))
        list(pool.map(_slow_square, list(range(4)), min_jobs=1))
        assert pool.started == 1


_MARK = "CMPACKET_TEST_WARMED"


def _mark(_: object) -> None:
    os.environ[_MARK] = "yes"  # in the worker that ran it only


def _warmed(_: int) -> tuple[int, bool]:
    time.sleep(0.05)  # long enough that both workers take a job
    return os.getpid(), os.environ.get(_MARK) == "yes"


def test_warm_can_start_the_workers_and_warm_only_the_first() -> None:
    """`respond` forks the workers at its start and has one import WeasyPrint while the other
    stays free for the changed uploads' intake."""
    with Pool(size=2) as pool:
        assert not pool.running
        pool.warm(_mark, start=True, count=1)
        assert pool.running
        seen = dict(pool.map(_warmed, [1, 2], min_jobs=1, chunk=1))
        assert len(seen) == 2 and sorted(seen.values()) == [False, True]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_start_forks_the_workers_before_any_map_and_the_maps_use_them() -> None:
    with Pool(size=2) as pool:
        assert pool.start() and pool.running and pool.started == 1
        workers = {pid for pid, _ in pool.map(_warmed, [1, 2], min_jobs=5, chunk=1)}
        assert os.getpid() not in workers and len(workers) == 2  # not run here: few jobs
        assert pool.start() and pool.started == 1  # started once
    assert Pool(size=1).start() is False  # one worker: jobs run here


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_a_rebuild_starts_one_warm_worker_and_a_larger_map_forks_the_rest() -> None:
    """A rebuild forks one worker to import WeasyPrint while it validates: its page or two to
    lay out go to that worker (not here, where the import would cost a third of a second), a
    few jobs of another step run here rather than wait for it, and a map with more jobs than
    workers forks the others."""
    with Pool(size=2) as pool:
        assert pool.start(1) and pool.running
        pool.warm(_mark)
        # a few jobs of another step do not wait for the worker while it warms up: here
        assert list(pool.map(_warmed, [1], min_jobs=3)) == [(os.getpid(), False)]
        one = list(pool.map(_warmed, [1], min_jobs=3, wait=True))  # layout's: the warmed worker
        assert one[0][0] != os.getpid() and one[0][1], one
        assert len({pid for pid, _ in pool.map(_warmed, [1, 2], min_jobs=3, wait=True)}) == 1
        many = {pid for pid, _ in pool.map(_warmed, list(range(6)), min_jobs=3, chunk=1)}
        assert len(many) == 2 and os.getpid() not in many
        assert pool.start() and pool.started == 2  # forked twice: one, then the other


def _loaded(_: int) -> tuple[int, str]:
    import tempfile

    return os.getpid(), tempfile.gettempdir()


def test_a_spare_forked_as_the_command_starts_is_the_pools_first_worker(tmp_path: Path) -> None:
    """`cmpacket build` forks one worker before it imports the build's stages; it imports what
    laying out needs meanwhile, and the build's pool takes it instead of forking one."""
    from cmpacket import workers

    workers.fork_spare(("email.mime.text",))  # stands for WeasyPrint: imported in the spare
    (spare, _conn, folder) = workers._spare[0]
    assert Path(folder).is_dir()  # its temporary files until the pool gives it the build's
    with Pool(size=2, tmp=tmp_path / "w") as pool:
        assert workers._spare == [] and pool.running and pool.started == 0  # taken, not forked
        ((pid, tmp),) = list(pool.map(_loaded, [1], min_jobs=3, wait=True))
        assert pid == spare.pid and tmp == str(tmp_path / "w" / "worker-0")  # the build's folder
        many = {pid for pid, _ in pool.map(_loaded, list(range(6)), min_jobs=3, chunk=1)}
        assert spare.pid in many and pool.started == 1  # the second worker forked for more jobs
    assert not spare.is_alive() and not Path(folder).exists()


def test_a_spare_a_signal_ended_is_not_taken(tmp_path: Path) -> None:
    from cmpacket import workers

    workers.fork_spare(())
    (spare, _conn, folder) = workers._spare[0]
    spare.kill()
    spare.join()
    with Pool(size=2, tmp=tmp_path / "w") as pool:
        assert workers._spare == [] and not pool.running  # not taken: the pool forks its own
        pids = {pid for pid, _ in pool.map(_loaded, list(range(4)), min_jobs=3, chunk=1)}
        assert spare.pid not in pids and len(pids) == 2
    assert not Path(folder).exists()


def test_a_spare_no_pool_took_is_ended() -> None:
    from cmpacket import workers

    workers.fork_spare(())
    (spare, _conn, folder) = workers._spare[0]
    workers.drop_spare()
    assert workers._spare == [] and not spare.is_alive() and not Path(folder).exists()


@pytest.mark.parametrize(
    ("args", "spares"),
    [(("build",), 1), (("-q", "respond"), 1), (("build", "--help"), 0), (("validate",), 0)],
)
def test_only_a_build_forks_a_spare_and_one_that_stops_first_leaves_none(
    tmp_path: Path, cli: Any, args: tuple[str, ...], spares: int
) -> None:
    from cmpacket import workers

    forked: list[int] = []
    real = workers.fork_spare

    def fork(preload: Any) -> None:
        real(preload)
        forked.extend(p.pid for p, _, _ in workers._spare)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workers, "fork_spare", fork)
        # no agency.yaml: an input error before any worker is used (or the help)
        cli(*args, tmp_path, *(["rfi"] if "respond" in args else []))
    assert len(forked) == spares and workers._spare == []
    for pid in forked:
        with pytest.raises(ProcessLookupError):  # ended and reaped
            os.kill(pid, 0)


def test_a_map_that_does_not_grow_keeps_to_the_workers_running() -> None:
    """Layout of a few small documents goes to the worker that has imported WeasyPrint rather
    than fork one that would import it first (`render._layout.GROW_CHARS`)."""
    with Pool(size=2) as pool:
        assert pool.start(1)
        few = {pid for pid, _ in pool.map(_warmed, list(range(6)), min_jobs=3, grow=False)}
        assert len(few) == 1 and os.getpid() not in few and pool.started == 1
        many = {pid for pid, _ in pool.map(_warmed, list(range(6)), min_jobs=3, chunk=1)}
        assert len(many) == 2 and pool.started == 2  # growing: the second worker is forked
    with Pool(size=2) as pool:  # no worker running: one is forked for them, not every one
        assert len({pid for pid, _ in pool.map(_warmed, [1, 2, 3], grow=False)}) == 1
        assert pool.running and pool.started == 1 and len(pool._workers) == 1


def test_layout_of_a_few_small_documents_forks_no_second_worker(fake_renderer: None) -> None:
    from cmpacket.render._layout import GROW_CHARS, lay_out
    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

    registry = TemplateRegistry([BUILTIN_ROOT])
    with Pool(size=2) as pool:
        assert pool.start(1)
        small = lay_out([(f"d{i}.html.j2", "<p>x</p>") for i in range(4)], registry, pool)
        assert len(small) == 4 and all(pdf.startswith(b"%PDF") for pdf in small)
        assert pool.started == 1  # the running worker took all four
        big = "<p>" + "x " * GROW_CHARS + "</p>"
        assert len(lay_out([(f"b{i}.html.j2", big) for i in range(3)], registry, pool)) == 3
        assert pool.started == 2  # worth a second worker
