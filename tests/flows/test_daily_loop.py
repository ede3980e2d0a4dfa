"""The daily loop end to end: a list, a day of dialling, outcomes collected, an agent's
opt-out, a revocation, and the next day's list, on both platforms' stand-ins (each on a fake
clock the product's clock follows)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from blocks import AttemptsLedger, load_credentials
from cxone import CampaignSpec
from flows.dial_list import sync_dial_list
from flows.export import export_segmented_contacts
from flows.outcomes import collect_outcomes
from flows.revocations import apply_revocations

# Monday 2026-12-07, 05:30 in New York: the daily sync's hour.
START = dt.datetime(2026, 12, 7, 10, 30, tzinfo=dt.UTC)
HEADER = "contact_id,phone,person_id,state,consent_call,attempts_24h"
# Florida caps a person at 3 calls in 24 hours, over all their numbers (Fla. Stat. 501.616).
PEOPLE = [
    ("fl-home", "3055550101", "ana", "FL"),
    ("fl-cell", "3055550102", "ana", "FL"),
    ("fl-work", "3055550103", "ana", "FL"),
    ("ny-bo", "2125550104", "bo", "NY"),
    ("ny-cy", "2125550105", "cy", "NY"),  # says "stop calling me" to an agent
    ("ny-di", "2125550106", "di", "NY"),  # texts STOP at midday: a revocation
    ("ny-ed", "2125550107", "ed", "NY"),
]


def crm_file(path: Path) -> str:
    rows = [f"{cid},{phone},{person},{state},true,0" for cid, phone, person, state in PEOPLE]
    path.write_text("\n".join([HEADER, *rows]) + "\n")  # the CRM knows no attempt yet
    return str(path)


@pytest.fixture(scope="module")
def nice() -> Iterator:
    from simulator import FakeClock, create_admin_apps, serve_admin_in_thread

    with serve_admin_in_thread(create_admin_apps(clock=FakeClock(START))) as urls:
        yield urls


@pytest.fixture
def control(nice) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{nice.api}/_sim/admin", timeout=30) as client:
        yield client


def stand_in_now(control: httpx.Client) -> dt.datetime:
    return dt.datetime.fromisoformat(control.get("/clock").json()["now"])


@pytest.fixture
async def setup(prefect_harness, nice, sync_clock, tmp_path):
    """A credentials block and an attempts ledger of the test's own; the product's clock
    set to the stand-in's."""
    from deployments.local_stack import stand_in_access_key

    tag = uuid.uuid4().hex[:8]
    await stand_in_access_key(nice.issuer, 60_000).asave(f"loop-{tag}", overwrite=True)
    ledger = f"loop-{tag}"
    await AttemptsLedger(url=f"sqlite+aiosqlite:///{tmp_path / 'attempts.db'}").asave(ledger)
    return f"cxone-access-key/loop-{tag}", ledger, tag


async def new_skill(credentials_block: str, name: str, calling_list: str) -> str:
    credentials = await load_credentials(credentials_block)
    async with credentials.get_client() as client:
        spec = CampaignSpec(name=name, contact_list_id=calling_list, initial_status="active")
        return (await client.create_campaign(spec, idempotency_key=uuid.uuid4().hex)).id


def calls(control: httpx.Client, skills: list[str]) -> list[tuple[dt.datetime, str]]:
    """Every call the stand-in placed for these skills: (when, ten digits)."""
    made = []
    for skill in skills:
        for attempt in control.get("/attempts", params={"skillId": skill}).json()["attempts"]:
            at = dt.datetime.fromisoformat(attempt["at"].replace("Z", "+00:00"))
            made.append((at, attempt["phone"][-10:]))
    return sorted(made)


async def test_a_day_of_dialling_comes_back_and_shapes_the_day(
    setup, control, sync_clock, tmp_path
):
    """Two skills (a primary, then its backup from 11:30) dial lists made from one CRM file;
    outcomes are collected every two hours (the deployment: every quarter hour)."""
    credentials_block, ledger, tag = setup
    lists = [f"Loop primary {tag}", f"Loop backup {tag}"]
    group = f"Loop DNC {tag}"
    sync_clock["at"] = stand_in_now(control)
    skills = [await new_skill(credentials_block, name, name) for name in lists]
    source = crm_file(tmp_path / "crm.csv")
    common = {"dnc_group": group, "for_day": "today", "ledger": ledger}
    for skill, name in zip(skills, lists, strict=True):
        made = await sync_dial_list(
            source, name, credentials_block, skill_id=skill, **common,
            output_dir=str(tmp_path / name.replace(" ", "-")),
        )  # fmt: skip
        assert made["dialable"] == len(PEOPLE)
    control.put("/dispositions", json={"2125550105": 2005}).raise_for_status()  # cy: "stop!"
    outcomes = {"credentials_block": credentials_block, "ledger": ledger, "dnc_group": group,
                "output_dir": str(tmp_path / "outcomes")}  # fmt: skip
    revoked_at = None
    collected_at: dict[str, dt.datetime] = {}
    # 05:30 to 21:30 in New York, two hours at a time: the primary until 11:30, then the
    # backup. The dialer retries a number after 150 minutes, so each call is collected (and
    # its record judged again) before the number could be called again.
    for hour in range(2, 17, 2):
        until = START + dt.timedelta(hours=hour)
        skill = skills[0] if hour <= 6 else skills[1]
        control.post(
            f"/skills/{skill}/dial-until",
            json={"until": until.isoformat(), "maxAttemptsPerRecord": 3, "retryMinutes": 150},
        ).raise_for_status()
        sync_clock["at"] = until
        summary = await collect_outcomes(until=until, **outcomes)
        if summary["optouts"] and "cy" not in collected_at:
            collected_at["cy"] = until
        if hour == 6:  # 11:30: di texts STOP; it reaches the product now
            revoked_at = until
            applied = await apply_revocations(
                ["(212) 555-0106"], credentials_block=credentials_block, dnc_group=group,
                calling_lists=lists, ledger=ledger, revoked_at=until, channel="sms STOP",
            )  # fmt: skip
            assert applied["numbers"] == 1 and applied["added"] == 1
            repeat = await apply_revocations(
                ["2125550106"], credentials_block=credentials_block, dnc_group=group,
                calling_lists=lists, ledger=ledger, revoked_at=until, channel="sms STOP",
            )  # fmt: skip
            assert repeat["already_applied"]

    made = calls(control, skills)
    assert made, "the stand-in dialled"
    first = await collect_outcomes(until=START + dt.timedelta(hours=16), **outcomes)
    assert first["already_collected"] and first["attempts"] >= 0
    files = sorted(Path(outcomes["output_dir"]).glob("optouts-*.csv"))
    optouts = pd.concat(pd.read_csv(path, dtype=str) for path in files)
    assert "+12125550105" in set(optouts["phone_e164"])
    # Nobody is called after their opt-out or revocation reached the product, plus a minute.
    assert all(at <= revoked_at + dt.timedelta(minutes=1) for at, n in made if n == "2125550106")
    assert "cy" in collected_at
    assert all(
        at <= collected_at["cy"] + dt.timedelta(minutes=1) for at, n in made if n == "2125550105"
    )
    # No number more than once in 24 hours (the campaign's cap), no person more than Florida's
    # 3, across both skills: each record left both lists once its call was collected.
    per_number: dict[str, int] = {}
    for _, number in made:
        per_number[number] = per_number.get(number, 0) + 1
    assert max(per_number.values()) == 1, per_number
    person = {phone: who for _, phone, who, _ in PEOPLE}
    per_person: dict[str, int] = {}
    for _, number in made:
        per_person[person[number]] = per_person.get(person[number], 0) + 1
    assert per_person["ana"] <= 3

    # The next morning: the day's calls are in the ledger; the list follows.
    next_day = START + dt.timedelta(days=1)
    control.post(
        "/clock/advance", json={"seconds": (next_day - stand_in_now(control)).total_seconds()}
    )
    sync_clock["at"] = next_day
    await collect_outcomes(until=next_day, **outcomes)
    second = await sync_dial_list(
        source, lists[0], credentials_block, skill_id=skills[0], **common, max_shrink=1,
        output_dir=str(tmp_path / lists[0].replace(" ", "-")),
    )  # fmt: skip
    reasons = pd.read_csv(second["suppressed_path"], dtype=str).set_index("contact_id")["reason"]
    assert reasons.get("ny-cy") == "dnc" and reasons.get("ny-di") == "consent_revoked"
    called = {person[n] for _, n in made if n not in ("2125550105", "2125550106")}
    for cid, phone, _, _ in PEOPLE:
        if phone in per_number and phone not in ("2125550105", "2125550106"):
            assert reasons.get(cid) == "frequency_cap", cid  # called within 24 hours
    assert called


@pytest.fixture(scope="module")
def described() -> Iterator[str]:
    from simulator import FakeClock, SimulatorConfig, create_app, serve_in_thread

    app = create_app(SimulatorConfig(contact_lists={}), clock=FakeClock(START))
    with serve_in_thread(app) as url:
        yield url


async def test_the_described_api_loop_revokes_in_a_minute_and_the_next_export_follows(
    prefect_harness, described, sync_clock, tmp_path
):
    """The described API has no calling lists or DNC groups: its campaign dials its own
    contact list. A revocation takes the contact out of that list; the ledger's attempts and
    opt-outs shape the next export."""
    from blocks import CXoneCredentials

    tag = uuid.uuid4().hex[:8]
    block, ledger, list_id = f"described-{tag}", f"described-{tag}", f"CL-{tag}"
    await CXoneCredentials(
        client_id="sim-client", client_secret="sim-secret", base_url=described,
        requests_per_minute=60_000,
    ).asave(block)  # fmt: skip
    await AttemptsLedger(url=f"sqlite+aiosqlite:///{tmp_path / 'attempts.db'}").asave(ledger)
    consent = {"outbound": {"call": True, "revokedAt": None}}
    contacts = [
        {"id": cid, "phoneNumber": f"+1{phone}", "state": state, "consentFlags": consent}
        for cid, phone, _, state in PEOPLE
    ]
    with httpx.Client(base_url=f"{described}/_sim", timeout=30) as control:
        control.post("/contactlists", json={"list_id": list_id, "count": 0}).raise_for_status()
        control.post(f"/contactlists/{list_id}/contacts", json={"contacts": contacts})
        now = dt.datetime.fromisoformat(control.get("/clock").json()["now"])
        sync_clock["at"] = now
        credentials = await load_credentials(block)
        async with credentials.get_client() as client:
            spec = CampaignSpec(name=f"Described {tag}", contact_list_id=list_id)
            campaign = (await client.create_campaign(spec, idempotency_key=uuid.uuid4().hex)).id
        control.put("/dispositions", json={"+12125550105": "DNC"}).raise_for_status()
        outcomes = {"credentials_block": block, "ledger": ledger, "campaign_ids": [campaign],
                    "output_dir": str(tmp_path / "outcomes")}  # fmt: skip
        optouts = 0
        for hours, revoke in ((6, True), (16, False)):  # 11:30, then 21:30 in New York
            until = START + dt.timedelta(hours=hours)
            control.post(
                f"/campaigns/{campaign}/dial-until",
                json={"until": until.isoformat(), "maxAttemptsPerRecord": 3, "retryMinutes": 60},
            ).raise_for_status()
            sync_clock["at"] = until
            optouts += (await collect_outcomes(until=until, **outcomes))["optouts"]
            if revoke:
                applied = await apply_revocations(
                    ["2125550106"], credentials_block=block, calling_lists=[list_id],
                    ledger=ledger, revoked_at=until, channel="web form",
                )  # fmt: skip
                assert applied["removed"] == 1
                revoked_at = until
        made = control.get("/attempts", params={"campaignId": campaign}).json()["attempts"]
    assert optouts >= 1  # cy, to the agent (in the ledger, and in the window's file)
    di_calls = [
        dt.datetime.fromisoformat(a["attemptedAt"].replace("Z", "+00:00"))
        for a in made
        if a["phoneNumber"].endswith("2125550106")
    ]
    assert all(at <= revoked_at + dt.timedelta(minutes=1) for at in di_calls)
    sync_clock["at"] = START + dt.timedelta(days=1)
    exported = await export_segmented_contacts(
        list_id, str(tmp_path / "exports"), block, for_day="today", ledger=ledger
    )
    reasons = pd.read_csv(exported["suppressed_path"], dtype=str).set_index("contact_id")["reason"]
    assert reasons.get("ny-cy") == "dnc"  # the agent's opt-out, from the ledger
    assert "ny-di" not in set(reasons.index)  # out of the list: not even fetched
    called = {a["contactId"] for a in made} - {"ny-cy", "ny-di"}
    assert called and {reasons.get(cid) for cid in called} == {"frequency_cap"}
