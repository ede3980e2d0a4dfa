"""GET /dashboard/health: webhook data while it is recent, a fresh API read otherwise."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from blocks import (
    CXoneCredentials,
    FailoverPair,
    FailoverState,
    IdempotencyRecord,
    pair_block_name,
    record_name,
)
from cxone import CampaignPayload
from dashboard.records import History

from .conftest import FakeClock, metrics_message, state_message

HEALTH_FIELDS = {
    "campaign_id",
    "status",
    "active_calls",
    "success_rate",
    "failover_triggered",
    "last_metric_update",
}


@pytest.fixture
async def sim_campaign(sim, credentials_block) -> str:
    """A new active campaign in the simulator, with known metrics; returns its id."""
    block = await CXoneCredentials.aload(credentials_block)
    async with block.get_client() as client:
        campaign = await client.create_campaign(
            CampaignPayload(name="Health check", contact_list_id="CL-1")
        )
    metrics = {"successRate": 0.33, "callsAttempted": 80, "callsConnected": 26, "activeCalls": 4}
    sim.put(f"/_sim/campaigns/{campaign.id}/metrics", json=metrics).raise_for_status()
    return campaign.id


def reads(sim, path_end: str) -> list[dict]:
    """The GET requests the simulator received for paths ending in `path_end`."""
    return [
        r
        for r in sim.get("/_sim/requests").json()["requests"]
        if r["method"] == "GET" and r["path"].endswith(path_end)
    ]


def metric_reads(sim) -> list[dict]:
    return reads(sim, "/metrics")


@pytest.fixture
async def health_dash(make_dashboard, credentials_block):
    return await make_dashboard(credentials_block=credentials_block)


async def health(dash, campaign_id: str):
    return await dash.http.get("/dashboard/health", params={"campaign_id": campaign_id})


async def test_without_webhook_data_the_api_is_read(health_dash, sim, sim_campaign):
    response = await health(health_dash, sim_campaign)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == HEALTH_FIELDS
    assert body["campaign_id"] == sim_campaign
    assert body["status"] == "active"
    assert (body["success_rate"], body["active_calls"]) == (0.33, 4)
    assert body["failover_triggered"] is False
    assert body["last_metric_update"] is not None
    [read] = metric_reads(sim)
    assert "windowMinutes=30" in read["query"]  # the default window of an unpaired campaign


async def test_recent_webhook_data_is_used_without_reading_metrics(health_dash, sim, sim_campaign):
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await health_dash.deliver(metrics_message(sim_campaign, at=at, successRate=0.9, activeCalls=11))
    await health_dash.deliver(state_message(sim_campaign, "paused"))
    body = (await health(health_dash, sim_campaign)).json()
    assert body == {
        "campaign_id": sim_campaign,
        "status": "paused",
        "active_calls": 11,
        "success_rate": 0.9,
        "failover_triggered": False,
        "last_metric_update": at.isoformat().replace("+00:00", "Z"),
    }
    assert metric_reads(sim) == []
    assert reads(sim, f"/campaigns/{sim_campaign}") == []  # the status came by webhook


async def test_status_comes_from_the_api_until_a_state_change_arrives(
    health_dash, sim, sim_campaign
):
    await health_dash.deliver(metrics_message(sim_campaign, successRate=0.8))
    body = (await health(health_dash, sim_campaign)).json()
    assert (body["status"], body["success_rate"]) == ("active", 0.8)
    assert metric_reads(sim) == []
    assert len(reads(sim, f"/campaigns/{sim_campaign}")) == 1


async def test_webhook_data_older_than_the_pairs_window_means_an_api_read(
    make_dashboard, sim, sim_campaign, credentials_block
):
    await FailoverPair(
        primary_campaign_id=sim_campaign,
        backup_campaign_id="cmp_backup",
        credentials_block=credentials_block,
        window_minutes=1,
    ).asave(pair_block_name(sim_campaign), overwrite=True)
    # The default block does not exist: the read must use the pair's credentials block.
    dash = await make_dashboard(credentials_block="no-such-block")
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    assert (await dash.deliver(metrics_message(sim_campaign, at=stale, successRate=0.9))).is_success
    body = (await health(dash, sim_campaign)).json()
    assert (body["success_rate"], body["active_calls"]) == (0.33, 4)
    [read] = metric_reads(sim)
    assert "windowMinutes=1&" in read["query"] + "&"


async def test_unknown_campaign_is_404(health_dash, sim):
    response = await health(health_dash, "cmp_does_not_exist")
    assert response.status_code == 404
    assert "cmp_does_not_exist" in response.json()["detail"]


async def test_missing_credentials_block_is_503_naming_it(make_dashboard, campaign_id):
    dash = await make_dashboard(credentials_block="no-such-block")
    response = await health(dash, campaign_id())
    assert response.status_code == 503
    assert "no-such-block" in response.json()["detail"]


def pair_record(kind: str, primary: str, status: str, episode: int = 1, **fields):
    subject = {"primary_campaign_id": primary, "backup_campaign_id": "cmp_backup"}
    record = IdempotencyRecord(
        kind=kind, subject=subject, episode=episode, operation=kind, status=status, **fields
    )
    return record_name(kind, subject, episode), record


async def test_applied_failover_record_sets_failover_triggered(health_dash, sim_campaign):
    await health_dash.deliver(metrics_message(sim_campaign))
    name, record = pair_record("failover", sim_campaign, "pending")
    await record.asave(name, overwrite=True)
    assert (await health(health_dash, sim_campaign)).json()["failover_triggered"] is False
    record.status = "applied"
    await record.asave(name, overwrite=True)
    assert (await health(health_dash, sim_campaign)).json()["failover_triggered"] is True


@pytest.mark.parametrize(
    ("records", "episodes", "campaign", "status"),
    [
        ([pair_record("failover", "cmp_A1", "applied")], {}, "cmp_A1", "failed_over"),
        # Another id (case, separator, prefix, suffix) is another pair.
        ([pair_record("failover", "cmp_A1", "applied")], {}, "cmp_a1", None),
        ([pair_record("failover", "cmp_A1", "applied")], {}, "cmp-A1", None),
        ([pair_record("failover", "cmp_A1", "applied")], {}, "cmp_A", None),
        ([pair_record("failover", "cmp_A", "applied")], {}, "cmp_A_2", None),
        # Failed before the pause: nothing happened. After it: nothing may be dialling.
        ([pair_record("failover", "cmp_c", "failed")], {}, "cmp_c", None),
        (
            [pair_record("failover", "cmp_c", "failed", answers={"pause": {}})],
            {},
            "cmp_c",
            "failover_incomplete",
        ),
        # The failover of an earlier episode was restored.
        (
            [
                pair_record("failover", "cmp_d", "applied", 1),
                pair_record("restore", "cmp_d", "applied", 1),
            ],
            {"cmp_d": 2},
            "cmp_d",
            "restored",
        ),
        ([pair_record("provision", "cmp_e", "applied")], {}, "cmp_e", None),
    ],
)
def test_pair_status_comes_from_record_fields(records, episodes, campaign, status):
    states = {p: FailoverState(primary_campaign_id=p, episode=e) for p, e in episodes.items()}
    assert History(records, states).status(campaign) == status


@pytest.mark.parametrize(
    ("record", "primary_status", "status"),
    [
        # A holder killed between the pause and the resume wrote no pause (its answers go
        # with the end): the paused primary says the failover is half done.
        (pair_record("failover", "cmp_k", "pending"), "paused", "failover_incomplete"),
        (pair_record("failover", "cmp_k", "failed"), "paused", "failover_incomplete"),
        # Not paused, or not known: nothing says the pause was sent.
        (pair_record("failover", "cmp_k", "pending"), "active", None),
        (pair_record("failover", "cmp_k", "pending"), None, None),
        # Applied is applied, whatever the primary reads.
        (pair_record("failover", "cmp_k", "applied"), "paused", "failed_over"),
        # No failover this episode: a paused primary alone is not a failover (a guard's trip).
        (pair_record("provision", "cmp_k", "applied"), "paused", None),
    ],
)
def test_a_paused_primary_beside_an_unfinished_failover_is_incomplete(
    record, primary_status, status
):
    assert History([record], {}).status("cmp_k", primary_status) == status


async def test_failover_flag_from_the_api_is_reported(health_dash, sim, sim_campaign):
    sim.put(
        f"/_sim/campaigns/{sim_campaign}/metrics", json={"failoverTriggered": True}
    ).raise_for_status()
    assert (await health(health_dash, sim_campaign)).json()["failover_triggered"] is True


@pytest.mark.parametrize("params", [{}, {"campaign_id": ""}, {"campaign_id": "cmp_a/../webhooks"}])
async def test_campaign_id_must_be_a_plain_id(health_dash, params):
    response = await health_dash.http.get("/dashboard/health", params=params)
    assert response.status_code == 422


@pytest.mark.parametrize("campaign_id", ["..", ".", "-cmp", "_cmp", "cmp a", "c" * 129])
async def test_ids_that_are_not_ids_never_reach_the_api(health_dash, sim, campaign_id):
    response = await health(health_dash, campaign_id)
    assert response.status_code == 422
    assert sim.get("/_sim/requests").json()["requests"] == []


def token_requests(sim) -> list[dict]:
    return [r for r in sim.get("/_sim/requests").json()["requests"] if "oauth/token" in r["path"]]


def answered_reads(sim) -> list[dict]:
    """The GETs the tenant answered: a read refused for a stale token (401) and sent again
    with a new one counts once."""
    return [r for r in reads(sim, "") if r["status"] != 401]


async def test_random_unknown_ids_reach_the_tenant_only_within_the_budget(health_dash, sim):
    answers = [await health(health_dash, f"cmp_random_{n:03d}") for n in range(100)]
    statuses = [a.status_code for a in answers]
    # The default budget: 6 lookups a minute for everything the dashboard does not know.
    assert statuses == [404] * 6 + [429] * 94
    assert int(answers[-1].headers["Retry-After"]) in range(1, 61)
    assert len(answered_reads(sim)) == 6  # one campaign read each
    assert len(token_requests(sim)) <= 1  # one token, shared by every read


async def test_asking_again_for_the_same_unknown_id_spends_no_budget(
    make_dashboard, sim, credentials_block
):
    dash = await make_dashboard(credentials_block=credentials_block, unknown_lookups_per_minute=1)
    answers = [await health(dash, "cmp_nowhere") for _ in range(5)]
    assert [a.status_code for a in answers] == [404] * 5  # the first answer, reused
    assert (await health(dash, "cmp_elsewhere")).status_code == 429
    assert len(answered_reads(sim)) == 1


async def test_tokens_are_shared_by_every_app_in_the_process(
    make_dashboard, sim, credentials_block
):
    dashboards = [await make_dashboard(credentials_block=credentials_block) for _ in range(3)]
    for number, dash in enumerate(dashboards):
        await health(dash, f"cmp_unknown_{number}")
    assert len(answered_reads(sim)) == 3
    assert len(token_requests(sim)) <= 1  # three apps, three clients: one token


@pytest.mark.parametrize(
    ("minutes_later", "rate", "metric_reads_made"),
    [(5, 0.9, 0), (11, 0.33, 1)],
    ids=["reading-recent", "reading-older-than-the-window"],
)
async def test_a_burst_of_reads_of_a_known_campaign_costs_one_api_read(
    make_dashboard, sim, sim_campaign, credentials_block, minutes_later, rate, metric_reads_made
):
    clock = FakeClock()
    dash = await make_dashboard(clock=clock, credentials_block=credentials_block, window_minutes=10)
    await dash.deliver(metrics_message(sim_campaign, at=clock.now, successRate=0.9))
    clock.advance(minutes=minutes_later)
    answers = await asyncio.gather(*(health(dash, sim_campaign) for _ in range(50)))
    assert {(a.status_code, a.json()["success_rate"]) for a in answers} == {(200, rate)}
    assert len(metric_reads(sim)) == metric_reads_made
    assert len(reads(sim, f"/campaigns/{sim_campaign}")) == 1  # the campaign, read once


async def test_campaigns_a_pair_names_are_known_without_the_budget(
    make_dashboard, sim, sim_campaign, credentials_block
):
    await FailoverPair(
        primary_campaign_id="cmp_elsewhere",
        backup_campaign_id=sim_campaign,
        credentials_block=credentials_block,
    ).asave(pair_block_name("cmp_elsewhere"), overwrite=True)
    dash = await make_dashboard(credentials_block="no-such-block", unknown_lookups_per_minute=1)
    assert (await health(dash, "cmp_unknown_x")).status_code == 503  # spends the budget
    assert (await health(dash, "cmp_unknown_y")).status_code == 429
    response = await health(dash, sim_campaign)  # the pair's backup, with its credentials
    assert response.status_code == 200
    assert response.json()["success_rate"] == 0.33
