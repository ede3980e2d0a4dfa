"""The README's first hour works as written (issue 23).

The README marks each Python block a newcomer runs with `<!-- first-hour: run -->`, and what
it prints with `<!-- first-hour: output -->`. The test starts what the README has them start
(`prefect server start`, and the simulator as `make sim` runs it) on free loopback ports, puts
those ports where the README names 8765 and 4200, runs each block as a script from the
repository root, and checks the printed lines and the status changes the simulator saw.
Every `python -m` command line the README shows answers `--help`, and every `make` target it
names is in the Makefile. The long-running `make demo` is run by tests/test_demo.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from deployments.local_stack import LocalStack

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCUMENTED_SIMULATOR = "http://127.0.0.1:8765"
DOCUMENTED_PREFECT_API = "http://127.0.0.1:4200/api"
MARKED = re.compile(r"<!-- first-hour: (run|output) -->\n```\w+\n(.*?)\n```", re.DOTALL)
# `python -m MODULE [SUBCOMMAND]`: a lower-case word after the module is its subcommand.
COMMAND = re.compile(r"python -m ([a-z_][\w.]*)(?: ([a-z][a-z-]*)\b)?")
CAMPAIGN_ID = re.compile(r"\bcmp_[0-9a-f]+\b")
MAKE = re.compile(r"\bmake ([a-z][\w-]*)")
# Runs each `python -m` command line with --help in one interpreter (as -m does, through
# runpy), so that the project is imported once, and reports each one's exit code and output.
HELP_DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, runpy, sys

    results = []
    for command in json.load(sys.stdin):
        sys.argv = [command[0], *command[1:], "--help"]
        out, code = io.StringIO(), 0
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                runpy.run_module(command[0], run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        except BaseException as error:
            code, out = 1, io.StringIO(repr(error))
        results.append({"command": command, "code": code, "output": out.getvalue()})
    print(json.dumps(results))
    """
)


def marked(kind: str) -> list[str]:
    return [block for found, block in MARKED.findall(README) if found == kind]


def commands() -> list[list[str]]:
    found = {(module, sub) for module, sub in COMMAND.findall(README)}
    return [[module, sub] if sub else [module] for module, sub in sorted(found)]


def test_the_readme_marks_its_first_hour():
    assert len(marked("run")) == 1 and len(marked("output")) == 1
    assert DOCUMENTED_SIMULATOR in marked("run")[0]
    assert DOCUMENTED_PREFECT_API in README  # the export the block relies on


# A server, the simulator and a script of its own (about 30 s): in `make stack-test`, which CI
# runs, beside the demo.
@pytest.mark.stack
def test_the_first_failover_runs_as_written(tmp_path):
    script = tmp_path / "first_failover.py"
    with LocalStack(tmp_path / "stack") as stack:
        stack.start_prefect_server()
        stack.start_simulator()
        script.write_text(marked("run")[0].replace(DOCUMENTED_SIMULATOR, stack.simulator_url))
        ran = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            env=stack.env(),
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert ran.returncode == 0, ran.stderr[-4000:]
        changes = httpx.get(f"{stack.simulator_url}/_sim/transitions", timeout=10).json()
        campaigns = httpx.get(f"{stack.simulator_url}/_sim/campaigns", timeout=10).json()

    # Campaign ids are new on each run: the README shows them as `cmp_...`.
    printed = CAMPAIGN_ID.sub("cmp_...", ran.stdout).splitlines()
    assert printed == marked("output")[0].splitlines(), ran.stdout
    # Failed over (primary paused, then the backup resumed) and back, each exactly once.
    statuses = [change["status"] for change in changes["transitions"]]
    assert statuses == ["paused", "active", "paused", "active"], changes
    ids = [change["campaignId"] for change in changes["transitions"]]
    assert ids[0] == ids[3] != ids[1] == ids[2]
    status = {campaign["id"]: campaign["status"] for campaign in campaigns["campaigns"]}
    assert (status[ids[0]], status[ids[1]]) == ("active", "paused")


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_every_command_line_shown_answers_help(command, help_results):
    result = help_results[tuple(command)]
    assert result["code"] == 0, result["output"][-2000:]
    assert result["output"].lstrip().startswith("usage: "), result["output"][:500]


@pytest.fixture(scope="module")
def help_results() -> dict[tuple[str, ...], dict]:
    ran = subprocess.run(
        [sys.executable, "-c", HELP_DRIVER],
        cwd=ROOT,
        input=json.dumps(commands()),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr[-4000:]
    last_line = ran.stdout.splitlines()[-1]  # what the commands print is in each result
    return {tuple(result["command"]): result for result in json.loads(last_line)}


def test_every_make_target_named_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    named = set(MAKE.findall(README))
    assert named and named <= targets, f"not in the Makefile: {sorted(named - targets)}"
