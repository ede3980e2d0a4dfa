"""`cxone.campaign.success_rate.low`: only for a saved FailoverPair's primary, only when low."""

from __future__ import annotations

import datetime as dt

import pytest

from blocks import FailoverPair, pair_block_name

from .conftest import metrics_message

LOW = "cxone.campaign.success_rate.low"


async def save_pair(primary: str, **fields) -> FailoverPair:
    rule = {"threshold": 0.15, "window_minutes": 20, "min_calls": 50, **fields}
    pair = FailoverPair(
        primary_campaign_id=primary,
        backup_campaign_id=f"{primary}_backup",
        credentials_block="cxone-test",
        **rule,
    )
    await pair.asave(pair_block_name(primary), overwrite=True)
    return pair


@pytest.mark.parametrize(
    ("success_rate", "calls_attempted", "low"),
    [
        (0.40, 200, False),  # healthy
        (0.05, 49, False),  # low, but too few calls to trust the rate
        (0.05, 50, True),  # low over exactly the minimum number of calls
        (0.149, 500, True),  # just below the threshold
        (0.15, 500, False),  # exactly at the threshold is not below it
    ],
    ids=["healthy", "low-but-few-calls", "low", "just-below", "at-threshold"],
)
async def test_low_event_follows_the_pairs_rule(
    dash, campaign_id, success_rate, calls_attempted, low
):
    cid = campaign_id()
    await save_pair(cid)
    message = metrics_message(cid, successRate=success_rate, callsAttempted=calls_attempted)
    response = await dash.deliver(message, msg_id=f"msg_{cid}")
    assert response.status_code == 200
    assert len(dash.events.named("cxone.campaign.metrics.updated")) == 1
    events = dash.events.named(LOW)
    assert len(events) == int(low)
    if low:
        [event] = events
        assert event["resource"] == {
            "prefect.resource.id": f"cxone.campaign.{cid}",
            "cxone.campaign.id": cid,
        }
        assert event["payload"] == {
            "primary_campaign_id": cid,
            "backup_campaign_id": f"{cid}_backup",
            "credentials_block": "cxone-test",
            "threshold": 0.15,
            "window_minutes": 20,
            "min_calls": 50,
            "success_rate": success_rate,
            "calls_attempted": calls_attempted,
            "source": "webhook",
            "reading_id": f"msg_{cid}",
        }


async def test_no_low_event_without_a_failover_pair(dash, campaign_id):
    await dash.deliver(metrics_message(campaign_id(), successRate=0.0, callsAttempted=10_000))
    assert dash.events.named(LOW) == []
    assert len(dash.events.named("cxone.campaign.metrics.updated")) == 1


async def test_pair_rule_comes_from_the_saved_block(dash, campaign_id):
    cid = campaign_id()
    await save_pair(cid, threshold=0.5, min_calls=5)
    await dash.deliver(metrics_message(cid, successRate=0.3, callsAttempted=5))
    [event] = dash.events.named(LOW)
    assert (event["payload"]["threshold"], event["payload"]["min_calls"]) == (0.5, 5)


async def test_a_late_older_low_update_does_not_fail_over_a_recovered_campaign(dash, campaign_id):
    cid = campaign_id()
    await save_pair(cid)
    now = dt.datetime.now(dt.UTC)
    await dash.deliver(metrics_message(cid, at=now, successRate=0.4, callsAttempted=300))
    older = now - dt.timedelta(minutes=1)
    await dash.deliver(metrics_message(cid, at=older, successRate=0.01, callsAttempted=300))
    assert dash.events.named(LOW) == []
    assert len(dash.events.named("cxone.campaign.metrics.updated")) == 2


async def test_same_delivery_gives_the_same_event_id(make_dashboard, campaign_id):
    # A dashboard restarted within the replay window re-emits with the same id, which
    # Prefect de-duplicates.
    cid = campaign_id()
    await save_pair(cid)
    message = metrics_message(cid, successRate=0.01, callsAttempted=300)
    first, second = await make_dashboard(), await make_dashboard()
    await first.deliver(message, msg_id="msg_same")
    await second.deliver(message, msg_id="msg_same")
    assert [e["id"] for e in first.events.calls] == [e["id"] for e in second.events.calls]
    assert len({e["id"] for e in first.events.calls}) == 2  # the two event kinds differ
