"""The rule engine's reference tables load in a thread while a flow talks to the platform;
the evaluation waits for them, and a failed load leaves the loading to the evaluation."""

import asyncio
import datetime as dt
import threading

import pytest

import tasks.dial_lists as dial_list_tasks

NOW = dt.datetime(2026, 12, 7, 15, tzinfo=dt.UTC)


@pytest.fixture
def fresh_loading(monkeypatch):
    """No load started in this process yet; the evaluation itself replaced by a recorder."""
    monkeypatch.setattr(dial_list_tasks, "_tables", None)
    events: list[str] = []

    def evaluate(*_args, **_kwargs):
        events.append("evaluated")
        return "files"

    monkeypatch.setattr(dial_list_tasks, "write_dial_files", evaluate)
    return events


def judge():
    return dial_list_tasks.judge_contacts(
        "contacts.csv", "out", for_day=None, at=NOW, now=NOW, zone="America/New_York"
    )


async def test_the_tables_load_once_and_the_evaluation_waits_for_them(fresh_loading, monkeypatch):
    events = fresh_loading
    release = threading.Event()

    def load_tables():
        events.append("loading")
        assert release.wait(10)
        events.append("loaded")

    monkeypatch.setattr(dial_list_tasks.compliance, "load_tables", load_tables)
    dial_list_tasks.load_rule_tables()
    dial_list_tasks.load_rule_tables()  # a second flow in the same process: no second load
    judging = asyncio.ensure_future(judge())
    await asyncio.sleep(0.05)  # the judge is parked on the load, not on time
    assert events == ["loading"] and not judging.done()
    release.set()
    assert await judging == "files"
    assert events == ["loading", "loaded", "evaluated"]


async def test_a_failed_load_leaves_the_tables_to_the_evaluation(fresh_loading, monkeypatch):
    def load_tables():
        raise MemoryError("no room for the tables")

    monkeypatch.setattr(dial_list_tasks.compliance, "load_tables", load_tables)
    dial_list_tasks.load_rule_tables()
    assert await judge() == "files"
    assert fresh_loading == ["evaluated"]


async def test_without_a_load_started_the_evaluation_goes_ahead(fresh_loading):
    assert await judge() == "files"
    assert fresh_loading == ["evaluated"]
