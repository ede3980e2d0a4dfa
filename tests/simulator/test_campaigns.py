"""Campaigns: create, list, get, status changes, idempotency, validation, metrics."""

from __future__ import annotations

import httpx
import pytest

CAMPAIGNS = "/api/v2/omnichannel/campaigns"


async def test_create_keeps_payload_and_adds_server_fields(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    payload = campaign_payload(customField={"kept": True})
    response = await client.post(CAMPAIGNS, json=payload, headers=headers)
    assert response.status_code == 201
    campaign = response.json()
    assert campaign["id"].startswith("cmp_") and len(campaign["id"]) == 14
    assert campaign["status"] == "active"
    assert campaign["createdAt"] == campaign["updatedAt"]
    assert {k: v for k, v in campaign.items() if k in payload} == payload
    fetched = await client.get(f"{CAMPAIGNS}/{campaign['id']}", headers=headers)
    assert fetched.json() == campaign


async def test_names_are_not_unique_and_list_filters_by_exact_name(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    first = await client.post(CAMPAIGNS, json=campaign_payload(name="Dup"), headers=headers)
    second = await client.post(CAMPAIGNS, json=campaign_payload(name="Dup"), headers=headers)
    await client.post(CAMPAIGNS, json=campaign_payload(name="Dup 2"), headers=headers)
    assert first.json()["id"] != second.json()["id"]
    listed = (await client.get(CAMPAIGNS, params={"name": "Dup"}, headers=headers)).json()
    assert listed["totalCount"] == 2
    assert {c["id"] for c in listed["campaigns"]} == {first.json()["id"], second.json()["id"]}
    everything = (await client.get(CAMPAIGNS, headers=headers)).json()
    assert everything["totalCount"] == 3
    control = (await client.get("/_sim/campaigns")).json()["campaigns"]
    assert [c["name"] for c in control] == ["Dup", "Dup", "Dup 2"]


async def test_unknown_campaign_is_404_json(client: httpx.AsyncClient, headers: dict) -> None:
    for response in (
        await client.get(f"{CAMPAIGNS}/cmp_missing", headers=headers),
        await client.put(f"{CAMPAIGNS}/cmp_missing", json={"status": "paused"}, headers=headers),
        await client.get(f"{CAMPAIGNS}/cmp_missing/metrics", headers=headers),
    ):
        assert response.status_code == 404
        assert "cmp_missing" in response.json()["message"]


async def test_idempotent_create_replays_and_rejects_another_body(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    keyed = {**headers, "X-Idempotency-Key": "create-1"}
    first = await client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)
    # Same JSON, other key order: still the same request.
    reordered = dict(reversed(list(campaign_payload().items())))
    replay = await client.post(CAMPAIGNS, json=reordered, headers=keyed)
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = await client.post(CAMPAIGNS, json=campaign_payload(name="Other"), headers=keyed)
    assert other.status_code == 422
    assert "different" in other.json()["message"]
    assert len((await client.get("/_sim/campaigns")).json()["campaigns"]) == 1


async def test_status_change_409_when_unchanged_and_replay_with_key(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    url = f"{CAMPAIGNS}/{campaign['id']}"
    same = await client.put(url, json={"status": "active"}, headers=headers)
    assert same.status_code == 409
    assert "already active" in same.json()["message"]
    keyed = {**headers, "X-Idempotency-Key": "pause-1"}
    paused = await client.put(url, json={"status": "paused"}, headers=keyed)
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    assert paused.json()["updatedAt"] >= campaign["updatedAt"]
    # A retry with the key replays the 200 instead of answering 409.
    again = await client.put(url, json={"status": "paused"}, headers=keyed)
    assert again.status_code == 200
    assert again.json() == paused.json()
    assert (await client.put(url, json={"status": "paused"}, headers=headers)).status_code == 409
    # Only the one change that took effect is a transition: not the replay, not the 409s.
    transitions = (await client.get("/_sim/transitions")).json()["transitions"]
    assert [(t["campaignId"], t["status"]) for t in transitions] == [(campaign["id"], "paused")]


async def test_idempotency_key_on_another_path_is_422(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    keyed = {**headers, "X-Idempotency-Key": "shared"}
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)).json()
    response = await client.put(
        f"{CAMPAIGNS}/{campaign['id']}", json={"status": "paused"}, headers=keyed
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("dialerConfig.predictiveSettings.answerRatio", 1.2, "answerRatio"),
        ("dialerConfig.predictiveSettings.answerRatio", -0.1, "answerRatio"),
        ("dialerConfig.predictiveSettings.callRate", 0, "callRate"),
        ("dialerConfig.predictiveSettings.callRate", -3, "callRate"),
        ("dialerConfig.predictiveSettings.abandonmentThreshold", 0.031, "0.03"),
        ("complianceConfig.timeZone", "America/Atlantis", "America/Atlantis"),
        ("complianceConfig.dialingRules.startTime", "07:59:00", "startTime"),
        ("complianceConfig.dialingRules.endTime", "21:30:00", "endTime"),
        ("complianceConfig.dialingRules.startTime", "8am", "startTime"),
        ("contactListId", None, "contactListId is required"),
        ("contactListId", "CL-NOPE", "CL-NOPE"),
        ("status", "running", "status"),
    ],
)
async def test_invalid_payloads_are_400(
    client: httpx.AsyncClient,
    headers: dict,
    campaign_payload,
    path: str,
    value: object,
    expected: str,
) -> None:
    payload = campaign_payload()
    *parents, leaf = path.split(".")
    section = payload
    for key in parents:
        section = section[key]
    section[leaf] = value
    response = await client.post(CAMPAIGNS, json=payload, headers=headers)
    assert response.status_code == 400
    assert expected in response.json()["message"]
    assert (await client.get("/_sim/campaigns")).json()["campaigns"] == []


async def test_missing_contact_list_id_and_all_problems_in_one_message(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    payload = campaign_payload(status="stopped")
    del payload["contactListId"]
    payload["dialerConfig"] = {"predictiveSettings": {"answerRatio": 3, "callRate": 0}}
    payload["complianceConfig"] = {
        "timeZone": "Nowhere/City",
        "dialingRules": {"startTime": "06:00:00", "endTime": "22:00:00"},
    }
    response = await client.post(CAMPAIGNS, json=payload, headers=headers)
    assert response.status_code == 400
    message = response.json()["message"]
    for word in ("status", "answerRatio", "callRate", "Nowhere/City", "startTime", "endTime"):
        assert word in message
    assert "contactListId is required" in message
    assert len(response.json()["errors"]) == 7


async def test_bad_json_and_bad_status_bodies_are_400(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    bad_json = await client.post(
        CAMPAIGNS, content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    for body in ({"status": "deleted"}, {}, ["paused"]):
        response = await client.put(f"{CAMPAIGNS}/{campaign['id']}", json=body, headers=headers)
        assert response.status_code == 400
        assert "status must be one of active, paused" in response.json()["message"]


async def test_metrics_start_at_zero_and_follow_the_control_api(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    url = f"{CAMPAIGNS}/{campaign['id']}/metrics"
    metrics = (await client.get(url, params={"windowMinutes": 15}, headers=headers)).json()
    assert metrics == {
        "campaignId": campaign["id"],
        "successRate": 0.0,
        "activeCalls": 0,
        "callsAttempted": 0,
        "callsConnected": 0,
        "callsAbandoned": 0,
        "failoverTriggered": False,
        "lastUpdated": campaign["createdAt"],
        "windowMinutes": 15,
    }
    update = {
        "successRate": 0.1,
        "callsAttempted": 80,
        "callsConnected": 8,
        "callsAbandoned": 1,
        "activeCalls": 5,
    }
    stored = await client.put(f"/_sim/campaigns/{campaign['id']}/metrics", json=update)
    assert stored.status_code == 200
    metrics = (await client.get(url, headers=headers)).json()
    assert {k: metrics[k] for k in update} == update
    assert metrics["lastUpdated"] >= campaign["createdAt"]
    assert metrics["windowMinutes"] == 30
    await client.put(f"{CAMPAIGNS}/{campaign['id']}", json={"status": "paused"}, headers=headers)
    assert (await client.get(url, headers=headers)).json()["activeCalls"] == 0
    bad_window = await client.get(url, params={"windowMinutes": "zero"}, headers=headers)
    assert bad_window.status_code == 400
    bad_update = await client.put(
        f"/_sim/campaigns/{campaign['id']}/metrics", json={"successRate": 1.5}
    )
    assert bad_update.status_code == 400
