"""The stand-in's /_sim/admin/ control API: reset, config without secrets, the clock."""

from __future__ import annotations

import httpx

from simulator import FakeClock

from .conftest import Acd


async def test_config_hides_secrets_and_patches_what_it_may(api: httpx.AsyncClient) -> None:
    shown = (await api.get("/_sim/admin/config")).json()
    assert (shown["access_key_id"], shown["client_id"]) == ("sim-access-key", "sim-app")
    assert "access_key_secret" not in shown and "client_secret" not in shown
    assert "sim-access-secret" not in str(shown) and "sim-app-secret" not in str(shown)
    patch = {
        "listing_delay_seconds": 3,
        "job_duration_seconds": 10,
        "job_polls_before_complete": 2,
        "max_upload_records": 10,
        "max_upload_bytes": 4096,
        "max_record_chars": 64,
        "token_ttl_seconds": 60,
        "rate_limit_per_second": 5,
        "latency_ms": 1,
    }
    patched = (await api.patch("/_sim/admin/config", json=patch)).json()
    assert {key: patched[key] for key in patch} == patch
    for bad in ({"client_secret": "x"}, {"max_record_chars": 0}, {"job_duration_seconds": -1}):
        response = await api.patch("/_sim/admin/config", json=bad)
        assert response.status_code == 400 and response.json()["message"]
    assert (await api.get("/_sim/admin/config")).json() == patched


async def test_reset_forgets_everything_issued_and_stored(acd: Acd, api: httpx.AsyncClient) -> None:
    skill_id = await acd.pc_skill()
    await acd.post(f"/skills/{skill_id}/start")
    await acd.calling_list()
    assert (await api.post("/_sim/admin/reset")).json() == {"reset": True}
    assert (await api.get("/_sim/admin/skills")).json() == {"skills": []}
    assert (await api.get("/_sim/admin/transitions")).json() == {"transitions": []}
    assert (await api.get("/_sim/admin/lists")).json() == {"lists": []}
    assert (await acd.get("/skills")).status_code == 401  # tokens are gone too


async def test_the_clock_is_shown_and_advanced_through_the_control_api(
    api: httpx.AsyncClient, admin_clock: FakeClock
) -> None:
    assert (await api.get("/_sim/admin/clock")).json() == {
        "now": "2026-03-02T15:00:00.000Z",
        "adjustable": True,
    }
    moved = await api.post("/_sim/admin/clock/advance", json={"seconds": 3600})
    assert moved.json()["now"] == "2026-03-02T16:00:00.000Z"
    assert admin_clock.now().hour == 16


async def test_the_skills_view_always_says_whether_a_skill_runs(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    idle, busy = await acd.pc_skill("Idle"), await acd.pc_skill("Busy")
    await acd.post(f"/skills/{busy}/start")
    shown = {s["skillName"]: s for s in (await api.get("/_sim/admin/skills")).json()["skills"]}
    assert (shown["Idle"]["isRunning"], shown["Busy"]["isRunning"]) == (False, True)
    assert shown["Idle"]["skillId"] == idle and shown["Busy"]["activeCalls"] == 0
    missing = await api.put("/_sim/admin/skills/1/active-calls", json={"activeCalls": 1})
    assert missing.status_code == 404
    negative = await api.put(f"/_sim/admin/skills/{idle}/active-calls", json={"activeCalls": -1})
    assert negative.status_code == 400
