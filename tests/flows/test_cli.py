"""Each flow's command line: a user error prints its message alone and exits 2; `--debug`
shows the traceback; every option has help text."""

from __future__ import annotations

import asyncio
import json

import pytest

from blocks import CXoneCredentials
from flows import dial_list, export, monitor, provision, webhooks

from .conftest import create_campaign


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
