"""Each flow's command line: a user error prints its message alone and exits 2; `--debug`
shows the traceback; every option has help text."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

from blocks import CXoneCredentials, FailoverPair, pair_block_name
from flows import dial_list, export, monitor, outcomes, provision, revocations, webhooks

from .conftest import create_campaign, set_metrics

ROOT = Path(__file__).resolve().parents[2]


def run_cli(main, argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def assert_clean(code: int, err: str, *expected: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err, err
    message = err[err.index("error: ") :]
    for text in expected:
        assert text in message, message


def test_a_spec_mismatch_prints_the_differences_alone(sim, credentials_block, capsys):
    args = ["Renewals CLI", "CL-1", "--credentials-block", credentials_block]
    provision.main(args)
    created = json.loads(capsys.readouterr().out)
    assert created["name"] == "Renewals CLI"
    code, _, err = run_cli(provision.main, [*args, "--timezone", "America/Chicago"], capsys)
    assert_clean(code, err, "campaign has 'America/New_York'", "'America/Chicago'")


def test_an_invalid_spec_lists_every_problem_with_suggestions(sim, credentials_block, capsys):
    settings = {
        "dialing_rule": {},
        "dialing_rules": {"start_time": "07:00:00+01:00", "allowed_days": ["Funday"]},
    }
    argv = ["Bad", "CL-1", "--credentials-block", credentials_block, "--timezone", "Mars/Base"]
    code, _, err = run_cli(provision.main, [*argv, "--settings", json.dumps(settings)], capsys)
    assert_clean(
        code,
        err,
        "4 problems:",
        "timezone: Value error, 'Mars/Base' is not an IANA time zone",
        "settings.dialing_rule: unknown key 'dialing_rule'; did you mean 'dialing_rules'?",
        "settings.dialing_rules.start_time: Value error, 07:00:00+01:00 has a UTC offset",
        "settings.dialing_rules.allowed_days.0:",
    )
    assert sim.get("/_sim/requests").json()["requests"] == []


def test_a_missing_block_is_named(prefect_harness, capsys):
    code, _, err = run_cli(export.main, ["CL-1", "--credentials-block", "no-such-block"], capsys)
    assert_clean(code, err, "no-such-block")


def test_bad_credentials_are_reported_without_the_secret(sim, capsys):
    asyncio.run(
        CXoneCredentials(
            client_id="sim-client", client_secret="wrong-secret", base_url=str(sim.base_url)
        ).asave("cxone-wrong", overwrite=True)
    )
    code, _, err = run_cli(webhooks.main, ["http://127.0.0.1:9/x", "--credentials-block",
                                           "cxone-wrong"], capsys)  # fmt: skip
    assert_clean(code, err)
    assert "wrong-secret" not in err


def test_an_unknown_campaign_is_named(sim, credentials_block, capsys):
    backup = create_campaign(sim, "backup", "paused")
    argv = ["run", "cmp_does_not_exist", backup, "--credentials-block", credentials_block]
    code, _, err = run_cli(monitor.main, argv, capsys)
    assert_clean(code, err, "cmp_does_not_exist")


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-30T15:00:00", "has no UTC offset"),
        ("tomorrow", "is not an ISO-8601 instant"),
    ],
)
def test_a_bad_at_is_refused_before_anything_runs(at, expected, capsys):
    for main in (export.main, dial_list.main):
        argv = ["CL-1", "--at", at] if main is export.main else ["f.csv", "L", "--at", at]
        code, _, err = run_cli(main, argv, capsys)
        assert code == 2 and expected in err and "Traceback" not in err


def test_debug_shows_the_traceback(prefect_harness, capsys):
    with pytest.raises(Exception, match="no-such-block"):
        export.main(["CL-1", "--credentials-block", "no-such-block", "--debug"])


@pytest.mark.parametrize("main", [provision.main, export.main, webhooks.main, dial_list.main])
def test_every_option_has_help_text(main, capsys):
    code, out, _ = run_cli(main, ["--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: python -m flows.{main.__module__.split('.')[1]}")
    options = [line.split()[0] for line in out.splitlines() if line.startswith("  --")]
    assert options and "--debug" in options
    for line in out.split("options:")[1].split("\n  -")[1:]:
        assert len(line.split(None, 1)) == 2 or "\n" in line, f"no help: -{line}"


# Every mistake a command line can catch is caught before a flow run exists: exit 2, the
# error alone, nothing logged (the console handler would print what `console` records).
@pytest.fixture
def console():
    """What reaches the console's handler (a root handler, as Prefect's console is)."""
    recorded = Recorded()
    logging.getLogger().addHandler(recorded)
    yield recorded.lines
    logging.getLogger().removeHandler(recorded)


class Recorded(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # with any traceback


def contacts_file(tmp_path: Path, name: str, header: str = "contact_id,phone") -> str:
    path = tmp_path / name
    path.write_text(f"{header}\nc1,2127365000\n")
    return str(path)


async def flow_run_count() -> int:
    async with get_client() as client:
        return await client.count_flow_runs()


def assert_only_the_error(code: int, out: str, err: str, console: list[str], expected: str):
    assert code == 2, err
    assert out == "" and console == []
    assert err.startswith("error: ") and err.count("error:") == 1 and "Traceback" not in err
    assert expected in err, err


CASES = {
    "bad zone (dial list)": (
        dial_list.main, ["{csv}", "L", "--zone", "America/New_Yrok"], "'America/New_Yrok' is not"
    ),
    "bad zone (export)": (export.main, ["CL-1", "--zone", "America/New_Yrok"], "not an IANA"),
    "bad zone (provision)": (
        provision.main, ["P", "CL-1", "--timezone", "America/New_Yrok"], "is not an IANA time"
    ),
    "no credentials block (dial list)": (
        dial_list.main, ["{csv}", "L", "--credentials-block", "nope"], "block named 'nope'"
    ),
    "no credentials block (monitor)": (
        monitor.main, ["run", "cmp_a", "cmp_b", "--credentials-block", "nope"], "named 'nope'"
    ),
    "no credentials block (outcomes)": (
        outcomes.main, ["--credentials-block", "nope"], "block named 'nope'"
    ),
    "no credentials block (revocations)": (
        revocations.main, ["2125550101", "--credentials-block", "nope"], "block named 'nope'"
    ),
    "no credentials block (webhooks)": (
        webhooks.main, ["http://127.0.0.1:9/x", "--credentials-block", "nope"], "named 'nope'"
    ),
    "described-API block for a dial list": (
        dial_list.main, ["{csv}", "L", "--credentials-block", "{described}"], "no calling lists"
    ),
    "missing columns": (
        dial_list.main, ["{bad_csv}", "L"], "missing the required column contact_id"
    ),
    "for-day with at (dial list)": (
        dial_list.main, ["{csv}", "L", "--for-day", "today", "--at", "2999-01-01T09:00:00Z"],
        "give at most one of for_day",
    ),
    "for-day with at (export)": (
        export.main, ["CL-1", "--for-day", "today", "--at", "2999-01-01T09:00:00Z"],
        "give at most one of for_day",
    ),
    "missing source file": (dial_list.main, ["{missing}", "L"], "no contact source at"),
    "missing file of numbers": (
        revocations.main, ["--source", "{missing}"], "no file of numbers at"
    ),
    "impossible day (dial list)": (
        dial_list.main, ["{csv}", "L", "--for-day", "2026-13-40"], "'2026-13-40'"
    ),
    "impossible day (export)": (export.main, ["CL-1", "--for-day", "2026-13-40"], "'2026-13-40'"),
    "restore an unknown campaign": (
        monitor.main, ["restore", "cmp_nope"], "no FailoverPair names primary 'cmp_nope'"
    ),
    "reset an unknown campaign": (
        monitor.main, ["reset", "cmp_nope"], "no FailoverPair names primary 'cmp_nope'"
    ),
    "fleet with no concurrency": (
        monitor.main, ["fleet", "--concurrency", "0"], "concurrency must be at least 1, not 0"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_a_command_line_mistake_is_one_error_line_and_no_run(
    case, credentials_block, tmp_path, capsys, console
):
    main, argv, expected = CASES[case]
    paths = {
        "csv": contacts_file(tmp_path, "crm.csv"),
        "bad_csv": contacts_file(tmp_path, "bad.csv", header="id,phone"),
        "missing": str(tmp_path / "missing.csv"),
        "described": credentials_block,
    }
    argv = [arg.format(**paths) for arg in argv]
    runs = asyncio.run(flow_run_count())
    code, out, err = run_cli(main, argv, capsys)
    assert_only_the_error(code, out, err, console, expected)
    assert asyncio.run(flow_run_count()) == runs  # no run was started


def test_a_known_pair_with_nothing_to_restore_is_not_an_error(sim, credentials_block, capsys):
    primary, backup = create_campaign(sim, "primary", "active"), create_campaign(sim, "b", "paused")
    pair = FailoverPair(
        primary_campaign_id=primary, backup_campaign_id=backup, credentials_block=credentials_block
    )
    asyncio.run(pair.asave(pair_block_name(primary), overwrite=True))
    monitor.main(["restore", primary])
    assert json.loads(capsys.readouterr().out)["action"] == "nothing_to_restore"


def test_end_to_end_the_error_is_all_a_terminal_shows(prefect_harness, tmp_path):
    # As an operator runs it: its own process, Prefect's console and all.
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    commands = [
        ["flows.monitor", "restore", "cmp_nope"],
        ["flows.dial_list", str(tmp_path / "missing.csv"), "L"],
    ]
    running = [
        subprocess.Popen([sys.executable, "-m", *command], env=env, cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for command in commands
    ]  # fmt: skip
    for process in running:
        out, err = process.communicate(timeout=120)
        assert (process.returncode, out) == (2, "")
        assert err.startswith("error: ") and err.count("\n") == 1, err


def test_the_fleet_command_evaluates_every_pair_and_prints_the_rows(
    sim, credentials_block, empty_fleet, capsys
):
    primary, backup = (
        create_campaign(sim, "Renewals", "active"),
        create_campaign(sim, "b", "paused"),
    )
    set_metrics(sim, primary, 0.4, 200)
    pair = FailoverPair(
        primary_campaign_id=primary, backup_campaign_id=backup, credentials_block=credentials_block
    )
    asyncio.run(pair.asave(pair_block_name(primary), overwrite=True))
    monitor.main(["fleet", "--concurrency", "2"])
    [row] = json.loads(capsys.readouterr().out)["pairs"]
    assert (row["primary_campaign_id"], row["primary_name"], row["action"]) == (
        primary,
        "Renewals",
        "none",
    )


def test_the_fleet_command_has_help_for_its_option(capsys):
    code, out, _ = run_cli(monitor.main, ["fleet", "--help"], capsys)
    assert code == 0 and out.startswith("usage: python -m flows.monitor fleet")
    assert "--concurrency CONCURRENCY" in out and "(default: 16)" in out
