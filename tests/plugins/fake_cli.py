"""`python -m tests.plugins.fake_cli ARGS...`: the `cmpacket` command with documents laid out by
the fake renderer (tests/plugins/fake_renderer.py), for tests whose builds run in processes of
their own (e.g. two builds sharing one cache). Give each such test a cache of its own."""

from __future__ import annotations

from cmpacket.cli import run
from cmpacket.convert import _jobs
from tests.plugins.fake_renderer import fake_pdf

if __name__ == "__main__":
    _jobs.html_to_pdf = fake_pdf
    run()
