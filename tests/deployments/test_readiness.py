"""Waiting for a service to be ready: on its probe, never its log; no sleeping (the clock and
the pause are injected)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import httpx
import pytest

from deployments import readiness
from deployments.readiness import StackError, file_exists, wait_ready, worker_heartbeat


class FakeProcess:
    def __init__(self, exits_at: int | None = None, code: int = 3) -> None:
        self.polls, self.exits_at, self.code = 0, exits_at, code
        self.returncode: int | None = None

    def poll(self) -> int | None:
        self.polls += 1
        if self.exits_at is not None and self.polls >= self.exits_at:
            self.returncode = self.code
        return self.returncode


class FakeTime:
    """A clock that moves only when the wait pauses."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def wait(probe, process, timeout=10.0, time=None):
    time = time or FakeTime()
    wait_ready("svc", process, probe, Path("svc.log"), timeout, clock=time.clock, pause=time.pause)
    return time


def test_returns_as_soon_as_the_probe_says_ready():
    answers = iter([False, False, True])
    time = wait(lambda: next(answers), FakeProcess())
    assert time.pauses == [0.25, 0.25]


def test_a_service_never_ready_fails_after_the_timeout_naming_it_and_its_log():
    time = FakeTime()
    with pytest.raises(StackError, match=r"svc not ready after 10s; see svc\.log"):
        wait(lambda: False, FakeProcess(), timeout=10, time=time)
    assert 10 < time.now - 100 <= 10.25 + 0.25


def test_a_service_that_exits_fails_at_once_with_its_exit_code():
    time = FakeTime()
    with pytest.raises(StackError, match=r"svc exited with 3; see svc\.log"):
        wait(lambda: False, FakeProcess(exits_at=2), time=time)
    assert time.pauses == [0.25]


def test_the_ready_file_probe_follows_the_file(tmp_path):
    ready = tmp_path / "responder.ready"
    probe = file_exists(ready)
    assert not probe()
    ready.write_text("1\n")
    assert probe()


def test_the_worker_probe_wants_this_worker_with_a_heartbeat_since_it_started(monkeypatch):
    since = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    sent: list[tuple[str, dict]] = []
    answers = [[], [{"name": "worker-2"}], [{"name": "worker-2"}, {"name": "worker-1"}]]

    def post(url, json, timeout):
        sent.append((url, json))
        return httpx.Response(200, json=answers[len(sent) - 1])

    monkeypatch.setattr(readiness.httpx, "post", post)
    probe = worker_heartbeat("http://127.0.0.1:1/api", "pool", "worker-1", since)
    assert [probe(), probe(), probe()] == [False, False, True]
    assert sent[0] == (
        "http://127.0.0.1:1/api/work_pools/pool/workers/filter",
        {"workers": {"last_heartbeat_time": {"after_": "2026-12-05T12:00:00+00:00"}}},
    )


def test_the_worker_probe_is_not_ready_while_the_server_does_not_answer(monkeypatch):
    def post(url, json, timeout):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(readiness.httpx, "post", post)
    since = dt.datetime.now(dt.UTC)
    assert worker_heartbeat("http://127.0.0.1:1/api", "pool", "w", since)() is False


def test_a_command_probe_is_ready_when_the_command_succeeds():
    assert readiness.command_succeeds([sys.executable, "-c", "raise SystemExit(0)"])()
    assert not readiness.command_succeeds([sys.executable, "-c", "raise SystemExit(2)"])()
