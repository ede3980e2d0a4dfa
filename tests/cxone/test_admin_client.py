"""The NICE CXone client against each response shape the reference documents (respx fixtures).

Shapes (cxone_admin_api.md): OIDC discovery then the password grant, or the access-key
route; the tenant from the id_token and `cxone-configuration`; numbers as strings; 204 for
empty; `resultSet` wrappers; per-item `success` in batch answers; `isRunning` absent when
false; "already running" errors; 429 without Retry-After.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

import cxone._access_key_auth as discovery
from cxone import (
    AccessKeyConfig,
    AdminClient,
    CallingListColumns,
    CampaignSpec,
    CXoneAuthError,
    CXoneNotFound,
    CXoneServerError,
    CXoneUnsupported,
    CXoneValidationError,
    RetryPolicy,
    TokenCache,
    UploadBody,
)

from .conftest import RecordedSleep

ISSUER = "http://127.0.0.1:9"
API = "http://127.0.0.1:10"
BASE = f"{API}/incontactapi/services/v30.0"
TENANT = "6f1f3a52-0000-4b7d-9a41-2d5e7c9b0a13"
KEY_SECRET = "ak-secret-do-not-leak"
APP_SECRET = "app-secret-do-not-leak"


def jwt(claims: dict) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{part}.sig"


TOKEN = {
    "access_token": "tok-1",
    "token_type": "Bearer",
    "expires_in": "3600",  # a string, as some answers have it
    "id_token": jwt({"tenantId": TENANT, "icBUId": 4600001}),
}


@pytest.fixture(autouse=True)
def fresh_discovery(monkeypatch):
    monkeypatch.setattr(discovery, "_token_endpoints", {})
    monkeypatch.setattr(discovery, "_api_endpoints", {})
    monkeypatch.setattr(discovery, "_tenant_ids", {})


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


def client(sleep, **config) -> AdminClient:
    settings = {
        "access_key_id": "AK1",
        "access_key_secret": KEY_SECRET,
        "issuer": ISSUER,
        "requests_per_minute": 60_000,
        **config,
    }
    policy = RetryPolicy(max_retries=3, backoff_base=2, sleep=sleep, random=lambda: 1.0)
    return AdminClient(AccessKeyConfig(**settings), retry_policy=policy)


def tenant_routes(router) -> None:
    router.get(f"{ISSUER}/.well-known/cxone-configuration", params={"tenantId": TENANT}).mock(
        return_value=httpx.Response(200, json={"api_endpoint": API, "area": "na1"})
    )


def signed_in(router) -> None:
    """The access-key token route and tenant discovery, answering as the platform does."""
    router.post(f"{ISSUER}/authentication/v1/token/access-key").mock(
        return_value=httpx.Response(200, json=TOKEN)
    )
    tenant_routes(router)


@respx.mock
async def test_password_grant_after_oidc_discovery_then_tenant_discovery(sleep):
    respx.get(f"{ISSUER}/.well-known/openid-configuration").mock(
        return_value=httpx.Response(200, json={"token_endpoint": f"{ISSUER}/auth/token"})
    )
    token = respx.post(f"{ISSUER}/auth/token").mock(return_value=httpx.Response(200, json=TOKEN))
    tenant_routes(respx)
    skill = respx.get(f"{BASE}/skills/4100001").mock(
        return_value=httpx.Response(
            200, json={"skills": [{"skillId": "4100001", "skillName": "Renewals"}]}
        )
    )
    async with client(sleep, client_id="app", client_secret=APP_SECRET) as admin:
        campaign = await admin.get_campaign("4100001")
    # Wrapped in {skills: [...]}, id as a string, `isRunning` absent: not dialling.
    assert (campaign.id, campaign.name, campaign.status) == ("4100001", "Renewals", "paused")
    form = dict(pair.split("=") for pair in token.calls[0].request.content.decode().split("&"))
    assert form == {"grant_type": "password", "username": "AK1", "password": KEY_SECRET}
    basic = base64.b64decode(token.calls[0].request.headers["Authorization"].split()[1])
    assert basic.decode() == f"app:{APP_SECRET}"
    assert skill.calls[0].request.headers["Authorization"] == "Bearer tok-1"
    assert skill.calls[0].request.headers["Accept"] == "application/json"


@respx.mock
async def test_access_key_route_without_an_app_and_api_override(sleep):
    route = respx.post(f"{ISSUER}/authentication/v1/token/access-key").mock(
        return_value=httpx.Response(200, json={"access_token": "tok-2", "expires_in": 3600})
    )
    respx.get(f"{BASE}/skills/7").mock(
        return_value=httpx.Response(200, json={"skillId": 7, "skillName": "n", "isRunning": True})
    )
    async with client(sleep, api_base_url=API) as admin:
        campaign = await admin.get_campaign("7")
    assert campaign.status == "active"
    assert json.loads(route.calls[0].request.content) == {
        "accessKeyId": "AK1",
        "accessKeySecret": KEY_SECRET,
    }


@respx.mock
async def test_a_refused_key_is_an_auth_error_without_the_secret(sleep):
    respx.post(f"{ISSUER}/authentication/v1/token/access-key").mock(
        return_value=httpx.Response(
            401, json={"error": "invalid_grant", "error_description": f"bad key {KEY_SECRET}"}
        )
    )
    async with client(sleep) as admin:
        with pytest.raises(CXoneAuthError) as caught:
            await admin.get_campaign("1")
    assert "401" in str(caught.value) and KEY_SECRET not in str(caught.value)
    assert KEY_SECRET not in repr(admin) and KEY_SECRET not in repr(admin.config)


@respx.mock
async def test_expired_token_is_refreshed_once_and_shared_between_clients(sleep):
    tokens = respx.post(f"{ISSUER}/authentication/v1/token/access-key").mock(
        side_effect=[
            httpx.Response(200, json={**TOKEN, "access_token": "old"}),
            httpx.Response(200, json={**TOKEN, "access_token": "new"}),
        ]
    )
    tenant_routes(respx)
    route = respx.get(f"{BASE}/skills/1").mock(
        side_effect=[
            httpx.Response(401, json={"error": "invalid_token"}),
            httpx.Response(200, json={"skills": [{"skillId": 1, "skillName": "n"}]}),
            httpx.Response(200, json={"skills": [{"skillId": 1, "skillName": "n"}]}),
        ]
    )
    cache = TokenCache()
    settings = AccessKeyConfig(access_key_id="AK1", access_key_secret=KEY_SECRET, issuer=ISSUER)
    policy = RetryPolicy(sleep=sleep)
    async with AdminClient(settings, retry_policy=policy, token_cache=cache) as admin:
        await admin.get_campaign("1")
    async with AdminClient(settings, retry_policy=policy, token_cache=cache) as other:
        await other.get_campaign("1")  # reuses the refreshed token: no third token request
    assert tokens.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer old",
        "Bearer new",
        "Bearer new",
    ]


@respx.mock
async def test_summary_numbers_as_strings_give_the_success_rate(sleep):
    signed_in(respx)
    route = respx.get(f"{BASE}/skills/5/summary").mock(
        return_value=httpx.Response(
            200,
            json={
                "skillSummaries": [
                    {
                        "skillId": "5",
                        "dials": "200",
                        "connects": "10",
                        "abandonCount": "3",
                        "abandonRate": "2.5",
                        "contactsHandled": "117",
                        "contactsActive": "4",
                    }
                ]
            },
        )
    )
    async with client(sleep) as admin:
        metrics = await admin.get_metrics("5", window_minutes=30)
    assert (metrics.calls_attempted, metrics.calls_connected) == (200, 10)
    assert metrics.success_rate == pytest.approx(0.05)
    assert (metrics.calls_abandoned, metrics.calls_handled, metrics.active_calls) == (3, 117, 4)
    query = route.calls[0].request.url.params
    assert query["startDate"].endswith("Z") and query["endDate"].endswith("Z")


def summaries(first: int, count: int) -> httpx.Response:
    rows = [{"skillId": str(skill), "dials": "100", "connects": str(skill % 100)}
            for skill in range(first, first + count)]  # fmt: skip
    return httpx.Response(200, json={"skillSummaries": rows}) if rows else httpx.Response(204)


@respx.mock
async def test_the_fleet_reads_every_skill_summary_a_page_of_100_at_a_time(sleep):
    signed_in(respx)
    route = respx.get(f"{BASE}/skills/summary").mock(
        side_effect=lambda request: summaries(
            int(request.url.params["skip"]) + 1, min(100, 150 - int(request.url.params["skip"]))
        )
    )
    async with client(sleep) as admin:
        metrics = await admin.bulk_metrics(["7", "149", "999"], window_minutes=30)
    assert sorted(metrics) == ["149", "7"]  # 999 is no skill: left to a read of its own
    assert metrics["149"].success_rate == pytest.approx(0.49)
    pages = [call.request.url.params for call in route.calls]
    assert [(p["skip"], p["top"], p["isOutbound"]) for p in pages] == [
        ("0", "100", "true"),
        ("100", "100", "true"),
    ]


@respx.mock
async def test_a_summary_listing_that_ignores_skip_ends_when_a_page_brings_nothing_new(sleep):
    signed_in(respx)
    route = respx.get(f"{BASE}/skills/summary").mock(return_value=summaries(1, 120))
    async with client(sleep) as admin:
        metrics = await admin.bulk_metrics(["3", "500"], window_minutes=30)
    assert list(metrics) == ["3"] and route.call_count == 2


@respx.mock
async def test_the_poller_reads_skills_statuses_and_names_a_page_at_a_time(sleep):
    signed_in(respx)

    def skills(request: httpx.Request) -> httpx.Response:
        first = int(request.url.params["skip"]) + 1
        rows = [
            {
                "skillId": skill,
                "skillName": f"S{skill}",
                **({"isRunning": True} if skill % 2 else {}),
            }
            for skill in range(first, min(first + 100, 151))
        ]
        return httpx.Response(200, json={"skills": rows}) if rows else httpx.Response(204)

    route = respx.get(f"{BASE}/skills").mock(side_effect=skills)
    async with client(sleep) as admin:
        found = await admin.bulk_campaigns(["7", "120", "999"])
        early = await admin.bulk_campaigns(["3"])
    assert {k: (c.name, c.status) for k, c in found.items()} == {
        "7": ("S7", "active"),
        "120": ("S120", "paused"),  # isRunning absent: not running
    }
    assert list(early) == ["3"]
    params = [call.request.url.params for call in route.calls]
    assert [(p["skip"], p["mediaTypeId"]) for p in params] == [("0", "4"), ("100", "4"), ("0", "4")]


@respx.mock
async def test_empty_listings_are_204_and_result_sets_are_unwrapped(sleep):
    signed_in(respx)
    respx.get(f"{BASE}/skills").mock(return_value=httpx.Response(204))
    respx.get(f"{BASE}/dnc-groups").mock(
        return_value=httpx.Response(
            200,
            json={
                "resultSet": {
                    "totalGroups": "1",
                    "dncGroups": [{"dncGroupId": "301", "dncGroupName": "Internal DNC"}],
                }
            },
        )
    )
    respx.get(f"{BASE}/dnc-groups/301/records").mock(
        return_value=httpx.Response(
            200,
            json={
                "resultSet": {
                    "totalRecords": "2",
                    "dncRecords": [
                        {"phoneNumber": 2127365000},
                        {"phoneNumber": "+1 (312) 555-0100"},
                    ],
                }
            },
        )
    )
    async with client(sleep) as admin:
        assert await admin.find_campaigns_by_name("Renewals") == []
        group = await admin.find_or_create_dnc_group("Internal DNC")
        numbers = await admin.dnc_numbers(group)
    assert group == "301"
    assert numbers == {"2127365000", "3125550100"}


@respx.mock
async def test_batch_answers_report_failures_per_item(sleep):
    signed_in(respx)
    add = respx.post(f"{BASE}/dnc-groups/301/records").mock(
        return_value=httpx.Response(
            200,
            json={
                "resultSet": {
                    "errorCount": 1,
                    "recordResults": [
                        {"success": True, "formattedPhone": "2127365000"},
                        {"success": False, "error": "Invalid phone number"},
                    ],
                }
            },
        )
    )
    async with client(sleep) as admin:
        result = await admin.add_dnc_numbers("301", ["+12127365000", "555"])
    assert result.added == 1 and result.failures == [("555", "Invalid phone number")]
    sent = json.loads(add.calls[0].request.content)["dncGroupRecords"]
    assert sent[0] == {"phoneNumber": 2127365000}  # an integer, as the platform wants


@respx.mock
async def test_an_upload_body_is_streamed_whole_and_replayed_after_a_401(sleep):
    signed_in(respx)
    bodies: list[tuple[str, bytes]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append((request.headers["content-length"], request.read()))
        if len(bodies) == 1:  # the token lapsed: the client refreshes and sends it again
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(202, json={"jobId": 9001})

    respx.post(f"{BASE}/lists/call-lists/77/upload").mock(side_effect=answer)
    csv = b"contact_id,phone\r\n" + b"".join(b"c%d,212736%04d\r\n" % (i, i) for i in range(70_000))
    assert len(csv) > UploadBody.SLICE  # several slices
    async with client(sleep) as admin:
        job = await admin.upload_calling_list(
            "77", csv, file_name="day.csv", overwrite=True, skill_id="5", time_zone="UTC"
        )
    assert job == "9001" and len(bodies) == 2
    for length, body in bodies:
        sent = json.loads(body)
        assert int(length) == len(body)
        assert base64.b64decode(sent["listFile"]) == csv
        assert (sent["fileName"], sent["forceOverwrite"], sent["startSkill"]) == (
            "day.csv", True, False,
        )  # fmt: skip


@respx.mock
async def test_a_skill_create_refused_per_item_is_a_validation_error(sleep, monkeypatch):
    import cxone._admin as admin_module

    monkeypatch.setattr(admin_module, "LISTING_GRACE_SECONDS", 0)
    signed_in(respx)
    respx.get(f"{API}/incontactapi/services/v33.0/campaigns").mock(
        return_value=httpx.Response(200, json={"campaigns": [{"id": 7001, "name": "Renewals"}]})
    )
    respx.get(f"{BASE}/skills").mock(return_value=httpx.Response(204))
    create = respx.post(f"{BASE}/skills").mock(
        return_value=httpx.Response(
            200,
            json={
                "errorCount": 1,
                "skillsResults": [{"success": False, "error": "Skill name is invalid"}],
            },
        )
    )
    async with client(sleep) as admin:
        with pytest.raises(CXoneValidationError, match="Skill name is invalid"):
            await admin.create_campaign(
                CampaignSpec(name="Renewals", contact_list_id="CL"), idempotency_key="k1"
            )
    item = json.loads(create.calls[0].request.content)["skills"][0]
    assert item["campaignId"] == 7001 and item["outboundStrategy"] == "Personal Connection"
    assert "k1" in item["notes"]  # the key that later finds a create whose answer was lost


@respx.mock
async def test_a_skill_create_whose_answer_is_lost_is_found_by_its_key_or_raised(
    sleep, monkeypatch
):
    import cxone._admin as admin_module

    monkeypatch.setattr(admin_module, "LISTING_GRACE_SECONDS", 0)
    signed_in(respx)
    respx.get(f"{API}/incontactapi/services/v33.0/campaigns").mock(
        return_value=httpx.Response(200, json={"campaigns": [{"id": 7001, "name": "Renewals"}]})
    )
    listed = respx.get(f"{BASE}/skills").mock(return_value=httpx.Response(204))
    create = respx.post(f"{BASE}/skills").mock(side_effect=httpx.RemoteProtocolError("dropped"))
    spec = CampaignSpec(name="Renewals", contact_list_id="CL")
    async with client(sleep) as admin:
        with pytest.raises(CXoneServerError):  # not created (or not listed): the run fails
            await admin._create_skill(spec, 7001, "k1")
        ours = {"skillId": 41, "skillName": "Renewals", "outboundStrategy": "Personal Connection",
                "notes": f"{admin_module.KEY_NOTE}k1"}  # fmt: skip
        listed.mock(return_value=httpx.Response(200, json={"skills": [{**ours, "notes": "k2"}]}))
        with pytest.raises(CXoneServerError):  # a skill of that name another key made
            await admin._create_skill(spec, 7001, "k1")
        listed.mock(return_value=httpx.Response(200, json={"skills": [ours]}))
        made = await admin._create_skill(spec, 7001, "k1")
    assert made.id == "41" and create.call_count == 3  # one POST per call: never replayed


@respx.mock
async def test_starting_a_running_skill_is_confirmed_not_failed(sleep):
    signed_in(respx)
    respx.post(f"{BASE}/skills/9/start").mock(
        return_value=httpx.Response(
            400, json={"error": "InvalidOperation", "error_description": "Skill is running"}
        )
    )
    stop = respx.post(f"{BASE}/skills/9/stop").mock(return_value=httpx.Response(202))
    async with client(sleep) as admin:
        await admin.resume_campaign("9", idempotency_key="k")
        await admin.pause_campaign("9", idempotency_key="k")
    assert "force" not in stop.calls[0].request.url.params  # live calls end normally


@respx.mock
async def test_429_without_retry_after_backs_off(sleep):
    signed_in(respx)
    respx.get(f"{BASE}/skills/1").mock(
        side_effect=[
            httpx.Response(429),
            httpx.Response(429),
            httpx.Response(200, json={"skills": [{"skillId": 1, "skillName": "n"}]}),
        ]
    )
    async with client(sleep) as admin:
        await admin.get_campaign("1")
    assert sleep.waits[-2:] == pytest.approx([2.0, 4.0], abs=0.01)  # no header to honour


async def test_what_the_platform_lacks_says_so(sleep):
    async with client(sleep, api_base_url=API) as admin:
        with pytest.raises(CXoneUnsupported, match="sync_dial_list"):
            admin.iter_contacts("CL-1")
        with pytest.raises(CXoneUnsupported, match="polls"):
            await admin.register_webhook(None)


@respx.mock
async def test_scrubbing_a_skill_posts_the_wiring_and_reads_every_page_back(sleep):
    signed_in(respx)
    wire = respx.post(f"{BASE}/dnc-groups/301/scrubbed-skills/4100001").mock(
        return_value=httpx.Response(202)
    )
    first = [{"skillId": 4100000 + i, "skillName": f"S{i}"} for i in range(100)]
    pages = respx.get(f"{BASE}/dnc-groups/301/scrubbed-skills").mock(
        side_effect=[
            httpx.Response(200, json={"totalRecords": "101", "scrubbedSkills": first}),
            # The second page's id arrives as a string.
            httpx.Response(
                200,
                json={"totalRecords": "101", "scrubbedSkills": [{"skillId": "4100100"}]},
            ),
        ]
    )
    respx.get(f"{BASE}/dnc-groups/302/scrubbed-skills").mock(return_value=httpx.Response(204))
    async with client(sleep) as admin:
        assert await admin.scrub_skill("301", "4100001") is None
        scrubbed = await admin.scrubbed_skills("301")
        assert await admin.scrubbed_skills("302") == set()
    assert wire.call_count == 1 and wire.calls[0].request.content == b""
    assert scrubbed == {str(4100000 + i) for i in range(101)}
    assert [dict(c.request.url.params) for c in pages.calls] == [
        {"skip": "0", "top": "100"},
        {"skip": "100", "top": "100"},
    ]


@respx.mock
async def test_scrubbing_for_a_missing_skill_is_not_found(sleep):
    signed_in(respx)
    respx.post(f"{BASE}/dnc-groups/301/scrubbed-skills/9").mock(
        return_value=httpx.Response(404, json={"error": "NotFound"})
    )
    async with client(sleep) as admin:
        with pytest.raises(CXoneNotFound):
            await admin.scrub_skill("301", "9")


@respx.mock
async def test_a_calling_list_is_created_with_every_column_of_the_upload_file(sleep):
    signed_in(respx)
    respx.get(f"{BASE}/lists/call-lists").mock(return_value=httpx.Response(204))
    create = respx.post(f"{BASE}/lists/call-lists").mock(
        return_value=httpx.Response(200, json={"listId": 5001})
    )
    async with client(sleep) as admin:
        assert await admin.find_or_create_calling_list("Renewals", CallingListColumns()) == "5001"
    request = create.calls[0].request
    assert dict(request.url.params) == {
        "listName": "Renewals",
        "externalIdColumn": "contact_id",
        "stateColumn": "state",
        "zipColumn": "postal_code",
        "timeZoneColumn": "time_zone",
        "callRequestTimeColumn": "call_request_time",
        "firstNameColumn": "first_name",
        "lastNameColumn": "last_name",
    }
    assert json.loads(request.content) == {
        "destinationMappings": [{"fieldName": "PhoneNumber", "fieldValue": "phone"}]
    }
