"""monitor_campaigns, restore_primary and reset_failover against the simulator."""

import asyncio
import datetime as dt
import functools

import pytest
from prefect.client.orchestration import get_client

import blocks.credentials
from blocks import (
    DEFAULT_COOLDOWN_MINUTES,
    FailoverPair,
    IdempotencyRecord,
    _documents,
    failover_identity,
    find_pair,
    load_state,
    operation,
    pair_block_name,
    register_block_types,
)
from cxone import CXoneAuthError, CXoneConfig
from flows.monitor import (
    FailoverIncomplete,
    PairMismatch,
    RestoreRefused,
    monitor_campaigns,
    reset_failover,
    restore_primary,
)

from .conftest import add_fault, create_campaign, set_metrics, set_status, statuses, transitions


async def monitor(pair, credentials_block, **kwargs):
    primary, backup = pair
    return await monitor_campaigns(primary, backup, credentials_block=credentials_block, **kwargs)


async def failover_record(primary: str) -> IdempotencyRecord:
    pair = await find_pair(primary)
    state = await load_state(primary)
    return await operation.load(failover_identity(pair, state.episode))


async def test_healthy_campaign_needs_nothing(sim, pair, credentials_block):
    set_metrics(sim, pair[0], 0.42, 300)
    result = await monitor(pair, credentials_block)
    assert result["action"] == "none"
    assert transitions(sim) == []


async def test_low_rate_with_few_calls_is_insufficient_data(sim, pair, credentials_block):
    set_metrics(sim, pair[0], 0.02, 49)
    result = await monitor(pair, credentials_block, min_calls=50)
    assert result["action"] == "insufficient_data"
    assert transitions(sim) == []


async def test_runs_are_named_for_their_pair_and_say_what_they_did(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.42, 300)
    healthy = await monitor(pair, credentials_block, return_state=True)
    set_metrics(sim, primary, 0.05, 200)
    failed_over = await monitor(pair, credentials_block, return_state=True)
    again = await monitor(pair, credentials_block, return_state=True)
    async with get_client() as client:
        names = [
            (await client.read_flow_run(state.state_details.flow_run_id)).name
            for state in (healthy, failed_over)
        ]
    # Campaign names beside the ids; a run that fails the pair over is renamed so, to stand
    # out in the list of runs.
    named_primary, named_backup = f"primary ({primary})", f"backup ({backup})"
    assert names == [f"monitor {named_primary}", f"failover {named_primary} → {named_backup}"]
    assert healthy.message.startswith("none: ")
    assert failed_over.message.startswith(
        f"failover: failed over {named_primary} to {named_backup}: success rate 5.0% below 15.0%"
    )
    # What happened, and why no calls were read: the primary is paused since.
    assert again.message.startswith("already_failed_over: failed over earlier, at ")
    assert again.message.endswith("the primary is paused since, so its calls were not read")
    # The names are kept in the pair's block (display only), so later runs read none.
    pair_block = await find_pair(primary)
    assert pair_block.campaign_names == {primary: "primary", backup: "backup"}
    assert pair_block.label(backup) == named_backup
    sim.delete("/_sim/requests")
    later = await monitor(pair, credentials_block)
    gets = [r["path"] for r in sim.get("/_sim/requests").json()["requests"] if r["method"] == "GET"]
    assert later["primary_name"] == "primary" and not any(p.endswith(backup) for p in gets)


async def test_low_rate_pauses_primary_then_resumes_backup_once(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]
    record = await IdempotencyRecord.aload(result["record"])
    assert record.status == "applied" and record.kind == "failover"
    assert record.subject == {"primary_campaign_id": primary, "backup_campaign_id": backup}
    assert record.episode == 1
    puts = [r for r in sim.get("/_sim/requests").json()["requests"] if r["method"] == "PUT"]
    assert [r["idempotency_key"] for r in puts] == [record.keys["pause"], record.keys["resume"]]

    again = await monitor(pair, credentials_block)
    assert again["action"] == "already_failed_over"
    assert len(transitions(sim)) == 2


async def test_resume_dropped_after_commit_still_resumes_once(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    add_fault(sim, kind="drop_after_commit", method="PUT", path=backup)
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]
    resumes = [
        r for r in sim.get("/_sim/requests").json()["requests"]
        if r["method"] == "PUT" and r["path"].endswith(backup)
    ]  # fmt: skip
    # The retry re-sends the same key and the server replays its first answer.
    assert [r["status"] for r in resumes] == ["dropped", 200]
    assert len({r["idempotency_key"] for r in resumes}) == 1


async def test_refused_pause_leaves_the_backup_untouched_and_retries_after_a_backoff(
    sim, pair, credentials_block, clock
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    add_fault(sim, kind="server_error", status=403, method="PUT", path=primary)
    with pytest.raises(CXoneAuthError):
        await monitor(pair, credentials_block)
    assert transitions(sim) == []
    record = await failover_record(primary)
    assert record.status == "failed" and "step pause" in record.history[-1]
    assert record.attempts == 1 and record.next_attempt_at > clock()

    with pytest.raises(operation.RetryLater, match="next attempt at"):
        await monitor(pair, credentials_block)
    clock.advance(operation.retry_delay(1).total_seconds())
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]


async def test_eight_concurrent_monitors_fail_over_exactly_once(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    await register_block_types()
    results = await asyncio.gather(*(monitor(pair, credentials_block) for _ in range(8)))
    assert sorted(r["action"] for r in results) == ["already_failed_over"] * 7 + ["failover"]
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]


async def test_a_holder_that_died_after_the_pause_is_taken_over_whatever_the_metrics(
    sim, pair, credentials_block, clock
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    # The resume never gets through (every try of the call answers 503)...
    add_fault(sim, kind="server_error", status=503, method="PUT", path=backup, count=4)
    with pytest.raises(FailoverIncomplete):
        await monitor(pair, credentials_block)
    record = await failover_record(primary)
    # ... and the record is rewound to "paused the primary, then died holding the lease".
    record.status, record.lease_expires_at = "pending", clock() + dt.timedelta(seconds=5)
    await _documents.update(record, "status", "lease_expires_at")
    set_metrics(sim, primary, 0.0, 0)  # the paused primary's window is empty
    sim.delete("/_sim/requests")
    clock.advance(6)

    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    assert "unfinished" in result["reason"]
    # Only the resume is sent again, with the record's key; the pause is not repeated.
    puts = [r for r in sim.get("/_sim/requests").json()["requests"] if r["method"] == "PUT"]
    assert [(r["path"].rsplit("/", 1)[1], r["idempotency_key"]) for r in puts] == [
        (backup, record.keys["resume"])
    ]
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]
    taken = await failover_record(primary)
    assert taken.generation == 2 and any("taken over" in line for line in taken.history)


async def test_a_resume_failing_thirty_times_is_completed_by_a_later_run(
    sim, pair, credentials_block, clock, monkeypatch
):
    primary, backup = pair
    # Quick client backoff; each run's call still tries 1 + max_retries times.
    monkeypatch.setattr(
        blocks.credentials, "CXoneConfig", functools.partial(CXoneConfig, backoff_base_seconds=0)
    )
    set_metrics(sim, primary, 0.05, 200)
    add_fault(sim, kind="server_error", status=503, method="PUT", path=backup, count=30)
    with pytest.raises(FailoverIncomplete, match="primary is paused"):
        await monitor(pair, credentials_block)
    assert statuses(sim) == {primary: "paused", backup: "paused"}
    # The paused primary's window empties: a fresh decision would say insufficient_data.
    set_metrics(sim, primary, 0.0, 0)
    runs = 1
    while True:
        clock.advance(operation.MAX_RETRY_SECONDS)
        runs += 1
        try:
            result = await monitor(pair, credentials_block)
            break
        except FailoverIncomplete:
            assert runs < 12, "the failover was never completed"
    assert result["action"] == "failover"
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]
    assert (await failover_record(primary)).attempts == runs - 1


async def test_a_configured_pair_survives_runs_that_pass_only_ids(sim, pair, credentials_block):
    primary, backup = pair
    configured = FailoverPair(
        primary_campaign_id=primary,
        backup_campaign_id=backup,
        credentials_block=credentials_block,
        threshold=0.30,
        window_minutes=10,
        min_calls=5,
    )
    await configured.asave(pair_block_name(primary), overwrite=True)
    set_metrics(sim, primary, 0.25, 6)  # low for 0.30 over 5 calls; too few for the defaults
    result = await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert result["action"] == "failover"
    saved = await FailoverPair.aload(pair_block_name(primary))
    assert (saved.threshold, saved.window_minutes, saved.min_calls) == (0.30, 10, 5)
    requests = sim.get("/_sim/requests").json()["requests"]
    reads = [r["query"] for r in requests if "metrics" in r["path"] and r["status"] == 200]
    # The pair's 10-minute window for the success rate (and 30 days for the abandonment).
    assert reads == ["windowMinutes=43200", "windowMinutes=10"]


async def test_explicit_settings_apply_to_that_run_only(sim, pair, credentials_block):
    primary = pair[0]
    set_metrics(sim, primary, 0.25, 6)
    assert (await monitor(pair, credentials_block))["action"] == "insufficient_data"
    assert (await monitor(pair, credentials_block, min_calls=5, threshold=0.3))["action"] == (
        "failover"
    )
    saved = await find_pair(primary)  # created with the defaults by the first run
    assert (saved.threshold, saved.min_calls) == (0.15, 50)


async def test_a_run_naming_another_backup_is_refused(sim, pair, credentials_block):
    primary, _ = pair
    set_metrics(sim, primary, 0.42, 300)
    await monitor(pair, credentials_block)
    other = create_campaign(sim, "other backup", "paused")
    with pytest.raises(PairMismatch, match="edit the pair block"):
        await monitor_campaigns(primary, other, credentials_block=credentials_block)


@pytest.mark.parametrize("bad", ["", ".", "..", "{{ $CXONE_PRIMARY_CAMPAIGN_ID }}", "a/b"])
async def test_malformed_ids_fail_at_the_start_of_the_run(sim, credentials_block, bad):
    with pytest.raises(Exception, match="primary_campaign_id"):
        await monitor_campaigns(bad, "cmp_backup", credentials_block=credentials_block)
    assert sim.get("/_sim/requests").json()["requests"] == []


async def test_ids_that_differ_by_case_separator_or_suffix_never_share_a_record(
    sim, credentials_block
):
    ids = ["cmp_A", "cmp_a", "cmp-a", "cmp_a_2"]
    records = set()
    for primary in ids:
        pair = FailoverPair(primary_campaign_id=primary, backup_campaign_id="cmp_b")
        records.add(failover_identity(pair, 1).name)
        records.add(pair_block_name(primary))
    assert len(records) == 2 * len(ids)
    # End to end: two real campaigns whose ids differ only by a suffix.
    primary = create_campaign(sim, "p", "active")
    backup = create_campaign(sim, "b", "paused")
    set_metrics(sim, primary, 0.05, 200)
    await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert await find_pair(primary + "_2") is None
    suffixed = FailoverPair(primary_campaign_id=primary + "_2", backup_campaign_id=backup)
    assert await operation.load(failover_identity(suffixed, 1)) is None


async def test_restore_then_a_new_collapse_fails_over_exactly_once_more(
    sim, pair, credentials_block, clock
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    assert (await monitor(pair, credentials_block))["action"] == "failover"

    restored = await restore_primary(primary)
    assert restored["action"] == "restored" and restored["episode"] == 2
    assert statuses(sim) == {primary: "active", backup: "paused"}
    assert (await restore_primary(primary))["action"] == "nothing_to_restore"
    clock.advance(DEFAULT_COOLDOWN_MINUTES * 60)
    set_metrics(sim, primary, 0.45, 300)
    assert (await monitor(pair, credentials_block))["action"] == "none"

    set_metrics(sim, primary, 0.05, 200)
    results = await asyncio.gather(*(monitor(pair, credentials_block) for _ in range(3)))
    assert sorted(r["action"] for r in results) == ["already_failed_over"] * 2 + ["failover"]
    assert {r["episode"] for r in results} == {2}
    assert transitions(sim) == [
        (primary, "paused"),
        (backup, "active"),
        (backup, "paused"),
        (primary, "active"),
        (primary, "paused"),
        (backup, "active"),
    ]


async def test_a_restored_primary_is_judged_on_calls_made_after_the_restore(
    sim, pair, credentials_block, clock
):
    """Restore at 12:24:56, the scheduled run at 12:25:41: the calls before the restore
    (a 3.0% success rate) must not fail the primary over again."""
    primary, backup = pair
    set_metrics(sim, primary, 0.03, 400)
    assert (await monitor(pair, credentials_block))["action"] == "failover"
    await restore_primary(primary)
    clock.advance(45)
    sim.delete("/_sim/requests")
    again = await monitor(pair, credentials_block)
    assert again["action"] == "insufficient_data" and again["episode"] == 2
    assert "episode 2 began 0 whole minutes ago" in again["reason"]
    requests = sim.get("/_sim/requests").json()["requests"]
    # No success-rate read at all: there is no whole minute of the new episode yet (and the
    # abandonment was read under five minutes ago).
    assert [r["query"] for r in requests if "metrics" in r["path"]] == []
    # Seven minutes on, the rate is read over those seven minutes only; the cooldown holds.
    clock.advance(7 * 60)
    sim.delete("/_sim/requests")
    cooling = await monitor(pair, credentials_block)
    assert cooling["action"] == "none" and "cooling down" in cooling["reason"]
    requests = sim.get("/_sim/requests").json()["requests"]
    reads = [r["query"] for r in requests if "metrics" in r["path"]]
    assert reads == ["windowMinutes=43200", "windowMinutes=7"]
    assert statuses(sim) == {primary: "active", backup: "paused"}
    clock.advance(DEFAULT_COOLDOWN_MINUTES * 60)
    assert (await monitor(pair, credentials_block))["action"] == "failover"


async def test_reset_refuses_while_the_primary_is_paused_unless_forced(
    sim, pair, credentials_block, clock
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    await monitor(pair, credentials_block)
    with pytest.raises(RestoreRefused, match="still paused"):
        await reset_failover(primary)
    forced = await reset_failover(primary, force=True)
    assert forced["episode"] == 2
    # The operator restored by hand; the next collapse fails over in the new episode.
    set_status(sim, primary, "active")
    set_status(sim, backup, "paused")
    clock.advance(DEFAULT_COOLDOWN_MINUTES * 60)
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover" and result["episode"] == 2


async def test_low_readings_in_a_row_count_within_their_episode(
    sim, pair, credentials_block, clock
):
    primary, backup = pair
    await FailoverPair(
        primary_campaign_id=primary,
        backup_campaign_id=backup,
        credentials_block=credentials_block,
        consecutive_breaches=2,
    ).asave(pair_block_name(primary), overwrite=True)
    set_metrics(sim, primary, 0.05, 200)
    first = await monitor(pair, credentials_block)
    assert first["action"] == "none" and "low 1 of 2" in first["reason"]
    assert (await load_state(primary)).low_readings == 1
    assert (await monitor(pair, credentials_block))["action"] == "failover"
    await restore_primary(primary)
    clock.advance(DEFAULT_COOLDOWN_MINUTES * 60)
    # The low readings of episode 1 do not count in episode 2.
    third = await monitor(pair, credentials_block)
    assert third["action"] == "none" and "low 1 of 2" in third["reason"]
    assert third["episode"] == 2
