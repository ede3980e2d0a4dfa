"""Block standards (offline), the credentials block, and idempotency records as atomic claims."""

import asyncio
import datetime as dt
import re

import pytest
from prefect.blocks.core import Block

from blocks import (
    BLOCK_TYPES,
    CXoneAccessKey,
    CXoneCredentials,
    FailoverState,
    GuardReading,
    GuardReadings,
    IdempotencyRecord,
    MissingBlock,
    _documents,
    clock,
    guard_reading,
    load_credentials,
    newest_readings,
    operation,
    record_name,
    register_block_types,
)
from cxone import DEFAULT_SCOPES, CXoneClient

BLOCKS = list(BLOCK_TYPES)


# Prefect's BlockStandardTestSuite fetches each logo over the internet; these are its checks
# that run offline.
@pytest.mark.parametrize("block", BLOCKS)
class TestBlockStandards:
    def test_has_a_description(self, block: type[Block]):
        assert block.get_description()

    def test_has_a_documentation_url(self, block: type[Block]):
        assert str(block._documentation_url).startswith("https://")

    def test_all_fields_have_a_description_ending_in_a_period(self, block: type[Block]):
        for name, field in block.model_fields.items():
            assert field.description, f"{block.__name__}.{name} has no description"
            assert field.description.endswith("."), f"{block.__name__}.{name}"

    def test_has_a_valid_code_example(self, block: type[Block]):
        example = block.get_code_example()
        assert re.search(rf"from .* import {block.__name__}", example)
        assert re.search(rf'.* = {block.__name__}\.load\("BLOCK_NAME"\)', example)


def test_credentials_never_show_the_secret():
    block = CXoneCredentials(client_id="app", client_secret="hunter2-secret")
    client = block.get_client()
    for text in (repr(block), str(block), repr(client), repr(block.get_config())):
        assert "hunter2-secret" not in text
    assert isinstance(client, CXoneClient)
    assert block.get_config().scopes == DEFAULT_SCOPES
    assert block.get_config().client_secret.get_secret_value() == "hunter2-secret"


async def test_credentials_round_trip_keeps_the_secret_usable(prefect_harness):
    await CXoneCredentials(
        client_id="app", client_secret="s3", base_url="http://127.0.0.1:1"
    ).asave("roundtrip", overwrite=True)
    loaded = await CXoneCredentials.aload("roundtrip")
    assert loaded.client_secret.get_secret_value() == "s3"
    assert loaded.base_url == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"primary": "cmp_A"}, {"primary": "cmp_a"}),  # case
        ({"primary": "cmp_a"}, {"primary": "cmp-a"}),  # separator
        ({"primary": "cmp_a"}, {"primary": "cmp_a_2"}),  # suffix
        ({"primary": "a", "backup": "b"}, {"primary": "a", "backup": "c"}),
        ({"name": "Renewals Q4/2026"}, {"name": "Renewals Q4 2026"}),
    ],
)
def test_record_names_never_collide_for_different_ids(a, b):
    assert record_name("failover", a, 1) != record_name("failover", b, 1)
    assert record_name("failover", a, 1) != record_name("failover", a, 2)
    for name in (record_name("failover", a, 1), record_name("provision", b)):
        assert re.fullmatch(r"[a-z0-9-]+", name)
    assert record_name("x", {"b": "1", "a": "2"}) == record_name("x", {"a": "2", "b": "1"})


async def test_eight_concurrent_claims_give_exactly_one_holder(prefect_harness):
    await register_block_types()
    identity = operation.OperationIdentity("test", {"id": "race-1"})

    async def claim():
        try:
            async with operation.hold(identity, ["a"], "race test"):
                return "held"
        except operation.OperationTaken:
            return "taken"

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert sorted(results) == ["held"] + ["taken"] * 7
    record = await operation.load(identity)
    assert record.status == "applied" and record.kind == "test"


async def test_steps_are_recorded_once_with_their_keys(prefect_harness):
    await register_block_types()
    identity = operation.OperationIdentity("test", {"id": "steps-1"})
    sent: list[str] = []

    async def act(key: str) -> dict:
        sent.append(key)
        return {"key": key}

    async with operation.hold(identity, ["a", "b"], "steps test") as held:
        first = await held.step("a", act)
        assert await held.step("a", act) == first  # a recorded step is not sent again
        await held.step("b", act)
    record = await operation.load(identity)
    assert sent == [record.keys["a"], record.keys["b"]]
    assert record.answers == {"a": {"key": sent[0]}, "b": {"key": sent[1]}}
    assert record.status == "applied" and record.lease_expires_at is None
    assert [line.split(" ", 2)[2] for line in record.history] == [
        "claimed by a process outside Prefect",
        "a confirmed",
        "b confirmed",
        "applied",
    ]


@pytest.mark.parametrize("write_each_step", [True, False])
async def test_answers_are_stored_per_step_or_with_the_end(prefect_harness, write_each_step):
    await register_block_types()
    identity = operation.OperationIdentity("test", {"id": f"deferred-{write_each_step}"})
    now = [dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)]

    def act_at(minute: int):
        async def act(key: str) -> dict:
            now[0] = now[0].replace(minute=minute)  # confirmed at this minute
            return {"ok": True}

        return act

    with clock.using(lambda: now[0]):
        async with operation.hold(
            identity, ["a", "b"], "deferred test", write_each_step=write_each_step
        ) as held:
            await held.step("a", act_at(1))
            stored = await operation.load(identity)
            assert stored.answers == ({"a": {"ok": True}} if write_each_step else {})
            await held.step("b", act_at(2))
            now[0] = now[0].replace(minute=3)
    record = await operation.load(identity)
    assert record.answers == {"a": {"ok": True}, "b": {"ok": True}}
    # Each line is stamped when it happened, whenever it was written.
    assert [line.split("Z ", 1) for line in record.history] == [
        ["2026-12-07 09:00:00", "claimed by a process outside Prefect"],
        ["2026-12-07 09:01:00", "a confirmed"],
        ["2026-12-07 09:02:00", "b confirmed"],
        ["2026-12-07 09:03:00", "applied"],
    ]


async def test_a_failure_after_a_deferred_step_records_its_answer(prefect_harness):
    await register_block_types()
    identity = operation.OperationIdentity("test", {"id": "deferred-failure"})
    with pytest.raises(RuntimeError, match="platform down"):
        async with operation.hold(identity, ["a", "b"], "deferred", write_each_step=False) as held:
            await held.step("a", _succeed)
            await held.step("b", _fail)
    record = await operation.load(identity)
    assert (record.status, record.answers) == ("failed", {"a": {"ok": True}})
    assert record.done("a") and not record.done("b")
    assert record.history[-2].endswith("a confirmed")


async def test_a_failed_step_is_retried_after_a_backoff_by_one_taker(prefect_harness):
    await register_block_types()
    identity = operation.OperationIdentity("test", {"id": "backoff-1"})
    with pytest.raises(RuntimeError, match="platform down"):
        async with operation.hold(identity, ["a"], "backoff test") as held:
            await held.step("a", _fail)
    record = await operation.load(identity)
    assert (record.status, record.attempts) == ("failed", 1)
    assert record.error == "step a: RuntimeError: platform down"
    with pytest.raises(operation.RetryLater):
        async with operation.hold(identity, ["a"], "backoff test", record):
            pass
    later = record.next_attempt_at

    async def take_over():
        try:
            async with operation.hold(identity, ["a"], "backoff test", record) as held:
                await held.step("a", _succeed)
                return "held"
        except operation.OperationTaken:
            return "taken"

    with clock.using(lambda: later):  # the backoff is over
        takers = await asyncio.gather(*(take_over() for _ in range(4)))
    assert sorted(takers) == ["held", "taken", "taken", "taken"]
    record = await operation.load(identity)
    assert (record.status, record.generation) == ("applied", 2)


async def test_an_interrupted_holder_lets_the_next_run_go_on_at_once(prefect_harness):
    await register_block_types()
    identity = operation.OperationIdentity("test", {"id": "interrupted-1"})
    with pytest.raises(SystemExit):
        async with operation.hold(identity, ["a", "b"], "interrupted test") as held:
            await held.step("a", _succeed)
            await held.step("b", _exit)
    record = await operation.load(identity)
    assert (record.status, record.next_attempt_at) == ("failed", None)
    assert record.history[-1].endswith("attempt 1 interrupted: step b: SystemExit: 1")
    async with operation.hold(identity, ["a", "b"], "interrupted test", record) as held:
        await held.step("b", _succeed)
    assert (await operation.load(identity)).status == "applied"


async def _exit(key: str) -> dict:
    raise SystemExit(1)


async def _fail(key: str) -> dict:
    raise RuntimeError("platform down")


async def _succeed(key: str) -> dict:
    return {"ok": True}


async def test_block_type_registration_is_idempotent_under_races(prefect_harness, monkeypatch):
    # Forget this process's registrations so that every call goes to the server at once.
    monkeypatch.setattr(_documents, "_registered", {})
    await asyncio.gather(*(_documents.register(block) for block in BLOCKS for _ in range(4)))


async def test_a_missing_credentials_block_is_named(prefect_harness):
    with pytest.raises(MissingBlock, match="no cxone-credentials block named 'nope'"):
        await load_credentials("nope")
    with pytest.raises(MissingBlock, match="no cxone-access-key block named 'nope'"):
        await load_credentials("cxone-access-key/nope")


class Paged(Block):
    """A block type read in pages."""

    value: int = 0


async def test_reading_every_document_pages_through_them_all_once(prefect_harness, monkeypatch):
    for value in range(5):
        await _documents.create(Paged(value=value), f"paged-{value}")
    monkeypatch.setattr(_documents, "PAGE_SIZE", 2)
    found = await asyncio.wait_for(_documents.read_all(Paged), timeout=30)
    assert [(name, block.value) for name, block in found] == [
        (f"paged-{value}", value) for value in range(5)
    ]


def test_the_blocks_pass_both_rates_and_share_one_limit_per_tenant() -> None:
    described = CXoneCredentials(
        client_id="app-rl",
        client_secret="s3cret",
        base_url="http://127.0.0.1:9",
        requests_per_minute=600,
        requests_per_second=50,
    )
    nice = CXoneAccessKey(access_key_id="AK-rl", access_key_secret="s3cret")
    assert described.get_config().requests_per_second == 50
    assert nice.get_config().requests_per_second is None  # by default no per-second pace
    assert nice.get_config().requests_per_minute == 600  # SPEC's default for the NICE block
    assert CXoneCredentials(client_id="x", client_secret="s3cret").requests_per_minute == 100
    first, second = described.get_client(), described.get_client()
    assert first._session.limiter is second._session.limiter
    assert first._session.limiter.settings == (600, 50, None)  # type: ignore[attr-defined]


async def test_reading_by_names_pages_through_the_documents_found(prefect_harness, monkeypatch):
    for value in range(5):
        await _documents.create(Paged(value=value), f"named-{value}")
    monkeypatch.setattr(_documents, "PAGE_SIZE", 2)  # more found than a page holds
    monkeypatch.setattr(_documents, "NAMES_PER_FILTER", 4)  # and more names than a filter
    wanted = [f"named-{value}" for value in (0, 1, 3, 4)] + [f"absent-{n}" for n in range(3)]
    found = await asyncio.wait_for(_documents.read_named(Paged, wanted), timeout=30)
    assert {name: block.value for name, block in found.items()} == {
        "named-0": 0,
        "named-1": 1,
        "named-3": 3,
        "named-4": 4,
    }


class Counted(Block):
    """Another block type, for documents of one name under two types."""

    value: int = 0


class NeverSaved(Block):
    """A block type with no document, never registered."""

    value: int = 0


@pytest.mark.parametrize("exists", [_documents.exists, _documents.exists_together])
async def test_a_document_exists_under_its_own_type_and_exact_name_only(prefect_harness, exists):
    prefix = exists.__name__.replace("_", "-")
    await _documents.create(Paged(value=1), f"{prefix}-1")
    await _documents.create(Counted(value=2), f"{prefix}-2")
    assert await exists(Paged, f"{prefix}-1")
    assert not await exists(Paged, f"{prefix}-2")  # another type's document
    assert not await exists(Counted, f"{prefix}-1")
    assert not await exists(Paged, f"{prefix}-")  # names match whole, not by prefix
    assert not await exists(Paged, f"{prefix}-10")
    assert not await exists(NeverSaved, f"{prefix}-1")  # a type the server never saw
    stored = await _documents.read(Paged, f"{prefix}-1")
    assert stored is not None
    assert await _documents.delete(stored)
    assert not await exists(Paged, f"{prefix}-1")


def _asked_names(monkeypatch) -> tuple[list[list[str]], asyncio.Event]:
    """Each request `exists_together` sends, as the names it asks about; the requests wait
    for the returned event before they go."""
    asked: list[list[str]] = []
    go = asyncio.Event()
    saved_names = _documents._saved_names

    async def recorded(block_type: type[Block], names: list[str]) -> set[str]:
        asked.append(sorted(names))
        await go.wait()
        return await saved_names(block_type, names)

    monkeypatch.setattr(_documents, "_saved_names", recorded)
    return asked, go


async def test_checks_asked_together_go_in_one_request_and_later_ones_in_the_next(
    prefect_harness, monkeypatch
):
    for n in (1, 3, 5):
        await _documents.create(Paged(value=n), f"together-{n}")
    asked, go = _asked_names(monkeypatch)
    first = [
        asyncio.ensure_future(_documents.exists_together(Paged, f"together-{n}")) for n in (1, 2, 3)
    ]
    await asyncio.sleep(0.05)
    assert asked == [["together-1", "together-2", "together-3"]]
    # Asked while that request is at the server: they wait for it, then go together.
    later = [
        asyncio.ensure_future(_documents.exists_together(Paged, f"together-{n}")) for n in (3, 4, 5)
    ]
    await asyncio.sleep(0.05)
    assert len(asked) == 1
    go.set()
    assert await asyncio.gather(*first, *later) == [True, False, True, True, False, True]
    assert asked == [
        ["together-1", "together-2", "together-3"],
        ["together-3", "together-4", "together-5"],
    ]
    assert await _documents.exists_together(Paged, "together-5")  # a lone check goes alone
    assert asked[-1] == ["together-5"]
    await asyncio.sleep(0)  # the sender's last step
    # Nothing of the finished sender is kept: it would keep this event loop alive.
    assert _documents._asked[asyncio.get_running_loop()][Paged]._sender is None


async def test_a_failed_request_fails_each_check_in_it_and_the_next_check_asks_again(
    prefect_harness, monkeypatch
):
    await _documents.create(Paged(value=1), "failing-1")
    saved_names, calls = _documents._saved_names, []

    async def once_broken(block_type: type[Block], names: list[str]) -> set[str]:
        calls.append(names)
        if len(calls) == 1:
            raise RuntimeError("the server went away")
        return await saved_names(block_type, names)

    monkeypatch.setattr(_documents, "_saved_names", once_broken)
    answers = await asyncio.gather(
        *(_documents.exists_together(Paged, f"failing-{n}") for n in (1, 2)),
        return_exceptions=True,
    )
    assert [str(answer) for answer in answers] == ["the server went away"] * 2
    assert await _documents.exists_together(Paged, "failing-1")
    assert len(calls) == 2


async def test_a_check_cancelled_while_waiting_leaves_the_others_answered(
    prefect_harness, monkeypatch
):
    await _documents.create(Paged(value=1), "cancelled-1")
    asked, go = _asked_names(monkeypatch)
    kept = asyncio.ensure_future(_documents.exists_together(Paged, "cancelled-1"))
    dropped = asyncio.ensure_future(_documents.exists_together(Paged, "cancelled-2"))
    await asyncio.sleep(0.05)
    dropped.cancel()
    go.set()
    assert await kept
    assert dropped.cancelled()
    assert asked == [["cancelled-1", "cancelled-2"]]


async def test_checks_of_more_names_than_a_filter_or_a_page_holds_are_all_answered(
    prefect_harness, monkeypatch
):
    saved = {f"paged-names-{n}" for n in range(5)}
    for name in saved:
        await _documents.create(Counted(value=1), name)
    monkeypatch.setattr(_documents, "NAMES_PER_FILTER", 3)
    monkeypatch.setattr(_documents, "PAGE_SIZE", 2)
    names = [f"paged-names-{n}" for n in range(8)]
    answers = await asyncio.gather(*(_documents.exists_together(Counted, n) for n in names))
    assert dict(zip(names, answers, strict=True)) == {name: name in saved for name in names}


def _conflicts_first(monkeypatch, refusals: int) -> list[str]:
    """The next `refusals` creates answer the server's generic 409 (a constraint other than
    the name broke) before reaching the server; returns the paths sent, in order."""
    import httpx

    send, sent = _documents.send, []

    async def conflicted(method: str, path: str, body: dict) -> httpx.Response:
        sent.append(f"{method} {path}")
        if method == "POST" and sent.count("POST /block_documents/") <= refusals:
            request = httpx.Request(method, f"http://127.0.0.1{path}")
            return httpx.Response(409, json={"detail": "Data integrity conflict."}, request=request)
        return await send(method, path, body)

    monkeypatch.setattr(_documents, "send", conflicted)
    return sent


async def test_a_conflict_that_is_not_the_name_is_tried_again(prefect_harness, monkeypatch):
    """A fresh server's first creates can race to make its encryption key: the 409 names no
    document, so the claim is not lost to a holder that does not exist."""
    sent = _conflicts_first(monkeypatch, refusals=1)
    await _documents.create(Paged(value=7), "conflicted-once")
    assert sent.count("POST /block_documents/") == 2
    stored = await _documents.read(Paged, "conflicted-once")
    assert stored is not None and stored.value == 7


async def test_a_conflict_over_a_saved_name_is_someone_elses_claim(prefect_harness, monkeypatch):
    await _documents.create(Paged(value=1), "claimed-first")
    sent = _conflicts_first(monkeypatch, refusals=0)
    with pytest.raises(_documents.DocumentExists):
        await _documents.create(Paged(value=2), "claimed-first")
    assert sent.count("POST /block_documents/") == 1  # not tried again
    stored = await _documents.read(Paged, "claimed-first")
    assert stored is not None and stored.value == 1


async def test_a_conflict_that_persists_without_the_name_is_an_error(prefect_harness, monkeypatch):
    import httpx

    sent = _conflicts_first(monkeypatch, refusals=_documents.CONFLICT_TRIES)
    with pytest.raises(httpx.HTTPStatusError, match="409"):
        await _documents.create(Paged(value=3), "never-created")
    assert sent.count("POST /block_documents/") == _documents.CONFLICT_TRIES
    assert await _documents.read(Paged, "never-created") is None


_AT = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def _reading(primary: str, minutes: int, level: str = "ok") -> GuardReading:
    return GuardReading(
        primary_campaign_id=primary,
        campaign_id=f"{primary}-dialling",
        rate=minutes / 1000,
        level=level,
        checked_at=_AT + dt.timedelta(minutes=minutes),
    )


@pytest.mark.parametrize(
    ("held", "documents", "primaries", "expected"),
    [
        # the state's own reading is newer: it stands
        ({"a": 10}, [[("a", 5)]], None, {"a": 10}),
        # a document's newer reading wins, the newest of several documents
        ({"a": 0}, [[("a", 5)], [("a", 9)], [("a", 7)]], None, {"a": 9}),
        # a pair known only by a reading gets a fresh state holding it
        ({}, [[("b", 3)]], None, {"b": 3}),
        # ... only among the primaries asked for
        ({"a": 0}, [[("a", 2), ("b", 3)]], {"a"}, {"a": 2}),
        # a state never read takes the reading
        ({"a": None}, [[("a", 1)]], None, {"a": 1}),
    ],
)
def test_each_state_takes_the_newest_guard_reading(held, documents, primaries, expected):
    states = {}
    for primary, minutes in held.items():
        states[primary] = FailoverState(primary_campaign_id=primary)
        if minutes is not None:
            reading = _reading(primary, minutes, level="warning")
            states[primary].abandonment_level = reading.level
            states[primary].abandonment_rate = reading.rate
            states[primary].abandonment_campaign_id = reading.campaign_id
            states[primary].abandonment_checked_at = reading.checked_at
    kept = [GuardReadings(readings=[_reading(p, m) for p, m in doc]) for doc in documents]
    newest_readings(states, kept, primaries)
    found = {
        primary: int((state.abandonment_checked_at - _AT).total_seconds() // 60)
        for primary, state in states.items()
    }
    assert found == expected
    for primary, state in states.items():
        own = held.get(primary) == expected[primary]  # the state's own reading stood
        level = "warning" if own else "ok"
        assert guard_reading(state) == _reading(primary, expected[primary], level)


async def test_a_waiter_reads_a_live_holders_record_less_often_as_it_waits(monkeypatch):
    identity = operation.OperationIdentity("test", {"id": "waited-on"})
    live = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)

    def record(status: str) -> IdempotencyRecord:
        return IdempotencyRecord(
            kind="test", operation="waited on", status=status, owner="x", lease_expires_at=live
        )

    # The holder finishes after the waiter's sixth read.
    reads = iter([record("pending")] * 5 + [record("applied")])
    waits: list[float] = []

    async def load(_identity):
        return next(reads)

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    async def alive(_record) -> bool:
        return False

    monkeypatch.setattr(operation, "load", load)
    monkeypatch.setattr(operation, "_wait", wait)
    monkeypatch.setattr(operation, "_owner_run_ended", alive)
    settled = await operation.settle(identity, record("pending"), max_wait=60)
    assert settled is not None and settled.status == "applied"
    assert waits == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
