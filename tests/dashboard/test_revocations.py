"""Revocations in: signed, kept in the ledger before the answer, announced by batch only."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pandas as pd

from ledger import REVOKED, open_ledger

from .conftest import sign_headers

REVOCATION_SECRET = "whsec_" + base64.b64encode(b"revocation-senders-secret-of-32-b").decode()


async def post(dash, message: dict, **signing) -> object:
    body = json.dumps(message)
    headers = sign_headers(body, secret=REVOCATION_SECRET, **signing)
    return await dash.http.post("/webhooks/revocations", content=body, headers=headers)


async def test_a_signed_revocation_is_kept_then_announced_without_its_numbers(
    make_dashboard, tmp_path
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'attempts.db'}"
    dash = await make_dashboard(revocation_secret=REVOCATION_SECRET, ledger_url=url)
    message = {
        "numbers": ["(212) 555-0101", "+1 212 555 0102", "not a number"],
        "revoked_at": "2026-12-07T15:00:00Z",
        "source": "sms STOP",
    }
    response = await post(dash, message, msg_id="msg_rev_1")
    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted", "batch": "msg_rev_1", "numbers": 2, "invalid": 1,
    }  # fmt: skip
    async with open_ledger(url) as ledger:
        kept = await ledger.batch("webhook:msg_rev_1")
        view = await ledger.view(dt.datetime(2026, 12, 7, 16, tzinfo=dt.UTC))
    assert [(row.number, row.kind, row.detail) for row in kept] == [
        (2125550101, REVOKED, "sms STOP"), (2125550102, REVOKED, "sms STOP"),
    ]  # fmt: skip
    assert view.opted_out.tolist() == [2125550101, 2125550102]
    (event,) = dash.events.named("cxone.revocation.received")
    assert event["payload"]["batch"] == "msg_rev_1" and event["payload"]["numbers"] == 2
    assert "2125550101" not in json.dumps(event) and "555-0101" not in json.dumps(event)
    again = await post(dash, message, msg_id="msg_rev_1")  # a replay
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(dash.events.named("cxone.revocation.received")) == 1


async def test_unsigned_or_malformed_revocations_are_refused(make_dashboard, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'attempts.db'}"
    dash = await make_dashboard(revocation_secret=REVOCATION_SECRET, ledger_url=url)
    body = json.dumps({"numbers": ["2125550101"]})
    forged = sign_headers(body)  # signed with the metrics webhooks' secret, not the senders'
    response = await dash.http.post("/webhooks/revocations", content=body, headers=forged)
    assert response.status_code == 401
    assert (await post(dash, {"numbers": []})).status_code == 400
    assert (await post(dash, {"numbers": ["2125550101"], "extra": 1})).status_code == 400
    unconfigured = await make_dashboard(ledger_url=url)
    assert (await post(unconfigured, {"numbers": ["2125550101"]})).status_code == 503
    async with open_ledger(url) as ledger:
        assert (await ledger.view(pd.Timestamp.now(tz="UTC").to_pydatetime())).opted_out.size == 0
