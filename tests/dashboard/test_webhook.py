"""POST /webhooks/cxone: signatures, timestamps, replays, body validation, storage, events."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

from .conftest import SECRET, metrics_message, sign_headers, state_message
from .test_low_rate_event import save_pair

NOW = dt.datetime.now


async def campaigns(dash) -> dict[str, dict]:
    rows = (await dash.http.get("/api/campaigns")).json()["campaigns"]
    return {row["campaign_id"]: row for row in rows}


async def test_signed_metrics_are_stored_and_emitted(dash, campaign_id):
    cid = campaign_id()
    response = await dash.deliver(
        metrics_message(cid, successRate=0.42, callsAttempted=120, callsConnected=50),
        msg_id="msg_first",
    )
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    row = (await campaigns(dash))[cid]
    assert (row["success_rate"], row["calls_attempted"], row["active_calls"]) == (0.42, 120, 7)
    [event] = dash.events.named("cxone.campaign.metrics.updated")
    assert event["resource"] == {
        "prefect.resource.id": f"cxone.campaign.{cid}",
        "cxone.campaign.id": cid,
    }
    assert event["payload"] == {
        "success_rate": 0.42,
        "calls_attempted": 120,
        "calls_connected": 50,
        "active_calls": 7,
        "source": "webhook",
        "reading_id": "msg_first",
    }
    assert dash.events.named("cxone.campaign.success_rate.low") == []  # no FailoverPair


async def test_state_change_sets_the_status_without_an_event(dash, campaign_id):
    cid = campaign_id()
    assert (await dash.deliver(state_message(cid, "paused"))).status_code == 200
    assert (await campaigns(dash))[cid]["status"] == "paused"
    assert dash.events.calls == []


async def test_forged_signature_is_401_and_changes_nothing(dash, campaign_id):
    cid = campaign_id()
    forger = "whsec_" + "Zm9yZ2VkLXNlY3JldC1mb3ItdGhlLXRlc3RzLTMyYg=="
    response = await dash.deliver(metrics_message(cid), secret=forger)
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]
    assert cid not in await campaigns(dash)
    assert dash.events.calls == []


async def test_body_changed_after_signing_is_401(dash, campaign_id):
    body = json.dumps(metrics_message(campaign_id(), successRate=0.9))
    headers = sign_headers(body)
    response = await dash.http.post(
        "/webhooks/cxone", content=body.replace("0.9", "0.1"), headers=headers
    )
    assert response.status_code == 401


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
async def test_missing_header_is_401(dash, campaign_id, missing):
    body = json.dumps(metrics_message(campaign_id()))
    headers = {k: v for k, v in sign_headers(body).items() if k != missing}
    response = await dash.http.post("/webhooks/cxone", content=body, headers=headers)
    assert response.status_code == 401
    assert dash.events.calls == []


@pytest.mark.parametrize("signature", ["garbage", "v1,not*base64", "v2,AAAA", "", "v1,"], ids=repr)
async def test_malformed_signature_header_is_401(dash, campaign_id, signature):
    body = json.dumps(metrics_message(campaign_id()))
    headers = {**sign_headers(body), "webhook-signature": signature}
    assert (
        await dash.http.post("/webhooks/cxone", content=body, headers=headers)
    ).status_code == 401


async def test_one_good_signature_among_several_is_enough(dash, campaign_id):
    # Standard Webhooks sends a space-separated list while a secret is being rotated.
    body = json.dumps(metrics_message(campaign_id()))
    headers = sign_headers(body)
    headers["webhook-signature"] = (
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + (headers["webhook-signature"])
    )
    assert (
        await dash.http.post("/webhooks/cxone", content=body, headers=headers)
    ).status_code == 200


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (dt.timedelta(minutes=-6), False),  # expired
        (dt.timedelta(minutes=6), False),  # from the future
        (dt.timedelta(minutes=-4), True),
        (dt.timedelta(minutes=4), True),
    ],
    ids=["6-min-old", "6-min-ahead", "4-min-old", "4-min-ahead"],
)
async def test_timestamp_must_be_within_five_minutes(dash, campaign_id, offset, accepted):
    cid = campaign_id()
    response = await dash.deliver(metrics_message(cid), at=NOW(dt.UTC) + offset)
    assert response.status_code == (200 if accepted else 401)
    assert (cid in await campaigns(dash)) is accepted


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (dt.timedelta(days=30), False),
        (dt.timedelta(minutes=6), False),
        (dt.timedelta(minutes=-6), False),
        (dt.timedelta(minutes=4), True),
        (dt.timedelta(minutes=-4), True),
    ],
    ids=["month-ahead", "6-min-ahead", "6-min-old", "4-min-ahead", "4-min-old"],
)
async def test_body_timestamp_must_be_within_five_minutes_too(dash, campaign_id, offset, accepted):
    cid = campaign_id()
    dated = metrics_message(cid, at=NOW(dt.UTC) + offset, successRate=0.01)
    response = await dash.deliver(dated)  # signed now: only the body's own time is off
    assert response.status_code == (200 if accepted else 400)
    if not accepted:
        assert "timestamp is more than 300 s" in response.json()["detail"]
    # A later real reading is the latest unless the dated one was accepted and is newer.
    await dash.deliver(metrics_message(cid, successRate=0.5))
    latest = (await campaigns(dash))[cid]["success_rate"]
    assert latest == (0.01 if accepted and offset > dt.timedelta(0) else 0.5)


@pytest.mark.parametrize("bad_id", ["..", ".", "a/b", "-x", "cmp x"], ids=repr)
async def test_campaign_ids_in_bodies_must_be_ids(dash, bad_id):
    response = await dash.deliver(metrics_message(bad_id))
    assert response.status_code == 400
    assert "campaignId" in response.json()["detail"]
    assert bad_id not in await campaigns(dash)


async def test_replayed_webhook_id_is_200_without_a_second_effect(dash, campaign_id):
    cid = campaign_id()
    first = metrics_message(cid, successRate=0.5)
    assert (await dash.deliver(first, msg_id="msg_replayed")).json() == {"status": "accepted"}
    # Same id, different (validly signed) numbers: still the same delivery, so ignored.
    again = metrics_message(cid, successRate=0.1)
    response = await dash.deliver(again, msg_id="msg_replayed")
    assert response.status_code == 200
    assert response.json() == {"status": "duplicate"}
    row = (await campaigns(dash))[cid]
    assert row["success_rate"] == 0.5
    assert len(row["points"]) == 1
    assert len(dash.events.named("cxone.campaign.metrics.updated")) == 1


async def test_a_rejected_delivery_is_not_remembered_as_seen(dash, campaign_id):
    cid = campaign_id()
    bad = await dash.deliver(metrics_message(cid, successRate="high"), msg_id="msg_retry")
    assert bad.status_code == 400
    good = await dash.deliver(metrics_message(cid), msg_id="msg_retry")
    assert good.json() == {"status": "accepted"}


def _without(field: str) -> dict:
    message = metrics_message("cmp_x")
    del message["data"][field]
    return message


MALFORMED = {
    "not-json": "{not json",
    "json-array": "[1, 2]",
    "unknown-type": json.dumps({"type": "omnichannel.campaign.deleted", "data": {}}),
    "no-type": json.dumps({"data": metrics_message("cmp_x")["data"]}),
    "no-data": json.dumps({"type": "omnichannel.campaign.metrics.update"}),
    "data-not-object": json.dumps({"type": "omnichannel.campaign.metrics.update", "data": 3}),
    "no-campaign-id": json.dumps(_without("campaignId")),
    "no-success-rate": json.dumps(_without("successRate")),
    "no-calls-attempted": json.dumps(_without("callsAttempted")),
    "rate-above-1": json.dumps(metrics_message("cmp_x", successRate=1.2)),
    "rate-below-0": json.dumps(metrics_message("cmp_x", successRate=-0.01)),
    "rate-as-text": json.dumps(metrics_message("cmp_x", successRate="0.5")),
    "rate-as-bool": json.dumps(metrics_message("cmp_x", successRate=True)),
    "calls-fractional": json.dumps(metrics_message("cmp_x", callsAttempted=1.5)),
    "calls-negative": json.dumps(metrics_message("cmp_x", activeCalls=-1)),
    "campaign-id-number": json.dumps(metrics_message("cmp_x", campaignId=7)),
    "campaign-id-empty": json.dumps(metrics_message("cmp_x", campaignId="")),
    "timestamp-not-a-time": json.dumps({**metrics_message("cmp_x"), "timestamp": "yesterday"}),
    "state-without-status": json.dumps(
        {"type": "omnichannel.campaign.state.change", "data": {"campaignId": "cmp_x"}}
    ),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_body_is_400(dash, body):
    response = await dash.deliver(body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed webhook body")
    assert dash.events.calls == []
    assert "cmp_x" not in await campaigns(dash)


async def test_non_utf8_body_is_401_not_a_crash(dash):
    headers = sign_headers("{}")
    response = await dash.http.post("/webhooks/cxone", content=b"\xff\xfe{}", headers=headers)
    assert response.status_code == 401


async def test_oversized_body_is_413(dash):
    body = json.dumps({**metrics_message("cmp_x"), "padding": "x" * 70_000})
    assert (await dash.deliver(body)).status_code == 413


async def test_missing_secret_is_503_naming_the_variable(make_dashboard, campaign_id):
    dash = await make_dashboard(webhook_secret=None)
    response = await dash.deliver(metrics_message(campaign_id()))
    assert response.status_code == 503
    assert "CXONE_WEBHOOK_SECRET" in response.json()["detail"]


async def test_unusable_secret_is_503_without_echoing_it(make_dashboard, campaign_id):
    dash = await make_dashboard(webhook_secret="whsec_")
    response = await dash.deliver(metrics_message(campaign_id()))
    assert response.status_code == 503
    assert "CXONE_WEBHOOK_SECRET" in response.json()["detail"]


@pytest.mark.parametrize(("size", "accepted"), [(23, False), (24, True)])
async def test_secrets_shorter_than_24_bytes_are_refused_at_start_up(
    make_dashboard, campaign_id, caplog, size, accepted
):
    secret = "whsec_" + base64.b64encode(b"s" * size).decode()
    dash = await make_dashboard(webhook_secret=secret)
    response = await dash.deliver(metrics_message(campaign_id()), secret=secret)
    assert response.status_code == (200 if accepted else 503)
    refused = f"CXONE_WEBHOOK_SECRET decodes to {size} bytes; Standard Webhooks secrets need"
    assert (refused in caplog.text) is not accepted  # logged when the app starts
    assert (refused in response.text) is not accepted


async def test_no_response_or_log_line_contains_the_secret(dash, campaign_id, caplog):
    caplog.set_level(logging.DEBUG)
    cid = campaign_id()
    secret_text = SECRET.removeprefix("whsec_")
    responses = [
        await dash.deliver(metrics_message(cid)),
        await dash.deliver(metrics_message(cid), secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFB"),
        await dash.deliver("{oops"),
        await dash.http.get("/api/campaigns"),
        await dash.http.get("/"),
        await dash.http.get("/openapi.json"),
    ]
    for response in responses:
        assert secret_text not in response.text
    assert secret_text not in caplog.text


async def test_emit_failure_still_stores_and_answers_200(make_dashboard, campaign_id, caplog):
    def broken_emit(**_):
        raise ConnectionError("events endpoint down")

    dash = await make_dashboard(emit=broken_emit)
    cid = campaign_id()
    response = await dash.deliver(metrics_message(cid, successRate=0.3))
    assert response.status_code == 200
    assert (await campaigns(dash))[cid]["success_rate"] == 0.3
    assert "could not emit cxone.campaign.metrics.updated" in caplog.text


async def test_prefect_api_failure_still_stores_emits_and_answers_200(
    make_dashboard, campaign_id, caplog
):
    cid = campaign_id()
    await save_pair(cid)
    # The app (and its background listing) starts while Prefect cannot be reached.
    with temporary_settings(
        {PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: 0}
    ):
        dash = await make_dashboard()
        response = await dash.deliver(metrics_message(cid, successRate=0.01, callsAttempted=999))
        rows = await campaigns(dash)
    assert response.status_code == 200
    assert len(dash.events.named("cxone.campaign.metrics.updated")) == 1
    assert dash.events.named("cxone.campaign.success_rate.low") == []  # no pair is known
    assert "could not list FailoverPairs" in caplog.text
    assert rows[cid]["success_rate"] == 0.01


async def test_older_delivery_after_newer_keeps_the_newer_as_latest(dash, campaign_id):
    cid = campaign_id()
    now = NOW(dt.UTC)
    await dash.deliver(metrics_message(cid, at=now, successRate=0.6))
    await dash.deliver(metrics_message(cid, at=now - dt.timedelta(minutes=2), successRate=0.2))
    row = (await campaigns(dash))[cid]
    assert row["success_rate"] == 0.6
    assert [p["success_rate"] for p in row["points"]] == [0.2, 0.6]


async def test_sparkline_keeps_the_last_points_only(make_dashboard, campaign_id):
    dash = await make_dashboard(history_points=3)
    cid = campaign_id()
    start = NOW(dt.UTC) - dt.timedelta(minutes=1)
    for i in range(5):
        message = metrics_message(cid, at=start + dt.timedelta(seconds=i), successRate=i / 10)
        await dash.deliver(message)
    points = (await campaigns(dash))[cid]["points"]
    assert [p["success_rate"] for p in points] == [0.2, 0.3, 0.4]
