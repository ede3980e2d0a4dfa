"""Typed errors for each status, non-JSON bodies, and the wire models' validation rules."""

import httpx
import pytest
import respx
from pydantic import ValidationError

from cxone import (
    CampaignPayload,
    ContactPage,
    CXoneAuthError,
    CXoneClient,
    CXoneConflict,
    CXoneError,
    CXoneInvalidResponse,
    CXoneNotFound,
    CXoneServerError,
    CXoneValidationError,
)

from .conftest import BASE

TOKEN_URL = f"{BASE}/api/v2/oauth/token"
CAMPAIGN_URL = f"{BASE}/api/v2/omnichannel/campaigns/c1"


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(
            return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        )
        yield router


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"message": "answerRatio must be within [0, 1]"}, CXoneValidationError),
        (422, {"message": "key reused with a different body"}, CXoneValidationError),
        (403, {"message": "missing scope omnichannel:campaigns:write"}, CXoneAuthError),
        (404, {"message": "no campaign c1"}, CXoneNotFound),
        (409, {"message": "already active"}, CXoneConflict),
        (500, {"message": "boom"}, CXoneServerError),
        (418, {"message": "teapot"}, CXoneError),
    ],
)
async def test_status_maps_to_a_typed_error(api, config, policy, status, body, error):
    api.get(CAMPAIGN_URL).mock(return_value=httpx.Response(status, json=body))
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(error) as caught:
            await client.get_campaign("c1")
    assert type(caught.value) is error
    assert caught.value.status_code == status
    assert f"GET {CAMPAIGN_URL} answered {status}: {body['message']}" == str(caught.value)


async def test_validation_error_carries_the_server_message(api, config, policy):
    api.get(CAMPAIGN_URL).mock(
        return_value=httpx.Response(400, json={"message": "callRate must be > 0"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneValidationError) as caught:
            await client.get_campaign("c1")
    assert caught.value.server_message == "callRate must be > 0"


async def test_403_names_the_missing_scope(api, config, policy):
    api.get(CAMPAIGN_URL).mock(
        return_value=httpx.Response(403, json={"message": "token lacks scope analytics:read"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneAuthError) as caught:
            await client.get_campaign("c1")
    assert caught.value.missing_scope == "analytics:read"


@pytest.mark.parametrize("body", ["<html>gateway</html>", ""])
async def test_non_json_body_is_a_clear_error(api, config, policy, body):
    api.get(CAMPAIGN_URL).mock(
        return_value=httpx.Response(200, text=body, headers={"content-type": "text/html"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneInvalidResponse, match=r"not JSON.*text/html"):
            await client.get_campaign("c1")


async def test_json_of_the_wrong_shape_is_a_clear_error(api, config, policy):
    api.get(CAMPAIGN_URL).mock(return_value=httpx.Response(200, json={"unexpected": True}))
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneInvalidResponse, match="Campaign"):
            await client.get_campaign("c1")


async def test_409_on_status_change_counts_as_already_applied(api, config, policy):
    api.put(CAMPAIGN_URL).mock(return_value=httpx.Response(409, json={"message": "already paused"}))
    api.get(CAMPAIGN_URL).mock(
        return_value=httpx.Response(200, json={"id": "c1", "name": "n", "status": "paused"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        campaign = await client.set_campaign_status("c1", "paused")
    assert campaign.status == "paused"


async def test_409_for_another_reason_is_raised(api, config, policy):
    api.put(CAMPAIGN_URL).mock(return_value=httpx.Response(409, json={"message": "locked"}))
    api.get(CAMPAIGN_URL).mock(
        return_value=httpx.Response(200, json={"id": "c1", "name": "n", "status": "active"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneConflict):
            await client.set_campaign_status("c1", "paused")


def _payload(**changes):
    data = CampaignPayload(name="Renewals", contact_list_id="CL-1").to_wire()
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[leaf] = value
    return data


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"dialerConfig.predictiveSettings.answerRatio": 1.2}, "answerRatio"),
        ({"dialerConfig.predictiveSettings.answerRatio": -0.1}, "answerRatio"),
        ({"dialerConfig.predictiveSettings.callRate": 0}, "callRate"),
        ({"dialerConfig.predictiveSettings.abandonmentThreshold": 0.031}, "abandonmentThreshold"),
        ({"complianceConfig.timeZone": "Eastern"}, "timeZone"),
        ({"complianceConfig.dialingRules.startTime": "07:59:00"}, "dialingRules"),
        ({"complianceConfig.dialingRules.endTime": "21:30:00"}, "dialingRules"),
        ({"complianceConfig.dialingRules.allowedDays": ["Funday"]}, "allowedDays"),
        ({"contactListId": ""}, "contactListId"),
        ({"status": "running"}, "status"),
    ],
)
def test_payload_rules(change, location):
    with pytest.raises(ValidationError) as caught:
        CampaignPayload.model_validate(_payload(**change))
    assert location in str(caught.value)


def test_all_payload_violations_are_reported_together():
    bad = _payload(
        **{
            "dialerConfig.predictiveSettings.answerRatio": 3,
            "dialerConfig.predictiveSettings.callRate": -1,
            "complianceConfig.timeZone": "Mars/Olympus",
        }
    )
    del bad["contactListId"]
    with pytest.raises(ValidationError) as caught:
        CampaignPayload.model_validate(bad)
    assert caught.value.error_count() == 4


def test_payload_round_trips_the_tutorial_defaults():
    wire = CampaignPayload(name="n", contact_list_id="CL").to_wire()
    assert CampaignPayload.model_validate(wire).to_wire() == wire
    assert wire["complianceConfig"]["dialingRules"] == {
        "startTime": "08:00:00",
        "endTime": "21:00:00",
        "allowedDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    }
    assert wire["failoverConfig"]["thresholdValue"] == 0.15


def _page(*contacts):
    return {"contacts": list(contacts), "page": 1, "pageSize": 100, "totalCount": len(contacts)}


def test_contact_page_keeps_extras_and_blanks_only_malformed_fields():
    good = {"id": "c2", "phoneNumber": "+12127365000", "doNotCall": False}
    odd = {
        "id": 7,
        "phoneNumber": 2127365000,
        "consentFlags": {"outbound": {"call": "maybe", "revokedAt": "2026-01-01T00:00:00Z"}},
        "attempts": {"last24h": "many", "last7d": 2},
        "doNotCall": {"odd": 1},
        "loyaltyTier": "gold",
    }
    page = ContactPage.model_validate(_page(good, odd))
    first, contact = page.contacts
    assert first.model_dump(exclude_none=True) == {
        "id": "c2",
        "phone_number": "+12127365000",
        "do_not_call": False,
    }
    assert contact.id == "7"
    assert contact.phone_number == "2127365000"
    assert contact.consent_flags.outbound.call is None  # blanked: reads as no consent
    assert contact.consent_flags.outbound.revoked_at == "2026-01-01T00:00:00Z"
    # Kept as they came: blanking them would read as "not DNC" and "no attempts".
    assert contact.do_not_call == {"odd": 1}
    assert (contact.attempts.last24h, contact.attempts.last7d) == ("many", 2)
    assert contact.model_dump(by_alias=True)["loyaltyTier"] == "gold"
    assert odd["doNotCall"] == {"odd": 1}, "the raw record is not modified"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("doNotCall", "DNC"),
        ("doNotCall", "X"),
        ("doNotCall", 2),
        ("doNotCall", "yes "),
        ("doNotCall", [True]),
        ("revokedAt", 1700000000),
        ("revokedAt", True),
        ("revokedAt", {"at": "2026-01-01"}),
        ("attempts", "lots"),
    ],
)
def test_malformed_safety_fields_are_kept_raw(field, value):
    record = {"id": "c1", "phoneNumber": "+12127365000", "attempts": {"last24h": 0}}
    if field == "revokedAt":
        record["consentFlags"] = {"outbound": {"call": True, "revokedAt": value}}
    else:
        record[field] = value

    contact = ContactPage.model_validate(_page(record)).contacts[0]

    kept = {
        "doNotCall": contact.do_not_call,
        "revokedAt": contact.consent_flags.outbound.revoked_at if contact.consent_flags else None,
        "attempts": contact.attempts,
    }
    assert kept[field] == value


def test_contact_without_usable_id_fails_the_page():
    with pytest.raises(ValidationError):
        ContactPage.model_validate(_page({"phoneNumber": "+12127365000"}))
    with pytest.raises(ValidationError):
        ContactPage.model_validate(_page({"id": None}))
    with pytest.raises(ValidationError):
        ContactPage.model_validate(_page("not a record"))
