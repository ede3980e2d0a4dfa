"""The daily dial-list sync against the NICE CXone stand-in: lists, jobs, DNC groups, failures."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat
import uuid
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from blocks import (
    CXoneAccessKey,
    IdempotencyRecord,
    _documents,
    load_credentials,
    load_sync_state,
    operation,
    upload_identity,
)
from cxone import (
    CallingListColumns,
    CampaignSpec,
    CXoneInvalidResponse,
    CXoneServerError,
    CXoneUnsupported,
    CXoneUploadFailed,
)
from dial_lists import SEGMENT_FILES, MissingColumnsError
from flows.dial_list import sync_dial_list
from tasks.dial_lists import scrub_skill_with_group

# Day lists start no window before the flows' clock: set to the morning of the day listed.
pytestmark = pytest.mark.usefixtures("sync_clock")
MONDAY = dt.date(2026, 11, 30)
DIALABLE = [f"ok-{i}" for i in range(5)]
SUPPRESSED = {"dnc": "6001", "revoked": "6002", "no-consent": "6003", "bad": None}


def contacts() -> pd.DataFrame:
    """Five dialable New Yorkers, a DNC number, a revoked consent, no consent, a bad number."""
    rows = [(cid, f"(212) 736-5{i:03d}", "true", "", "false") for i, cid in enumerate(DIALABLE)]
    rows += [
        ("dnc", "(212) 736-6001", "true", "", "true"),
        ("revoked", "(212) 736-6002", "true", "2026-10-01T12:00:00Z", "false"),
        ("no-consent", "(212) 736-6003", "no", "", "false"),
        ("bad", "n/a", "true", "", "false"),
    ]
    frame = pd.DataFrame(
        rows, columns=["contact_id", "phone", "consent_call", "consent_revoked_at", "dnc"]
    )
    return frame.assign(state="NY", postal_code="10001")


def write(frame: pd.DataFrame, path: Path) -> str:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture
def stand_in(admin_urls):
    """The stand-in's control API; faults and the next job's outcome are reset afterwards."""
    with httpx.Client(base_url=f"{admin_urls.api}/_sim/admin", timeout=30) as control:
        yield control
        control.delete("/faults").raise_for_status()
        control.post("/jobs/next", json={"outcome": "complete"}).raise_for_status()


@pytest.fixture
def names() -> tuple[str, str]:
    """A calling list and a DNC group no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return f"Renewals {tag}", f"Internal DNC {tag}"


def calling_list(control: httpx.Client, name: str) -> dict:
    (found,) = [item for item in control.get("/lists").json()["lists"] if item["listName"] == name]
    return control.get(f"/lists/{found['listId']}").json()


def jobs(control: httpx.Client, list_id: str) -> list[dict]:
    return [job for job in control.get("/jobs").json()["jobs"] if str(job["listId"]) == list_id]


def dnc_group(control: httpx.Client, name: str) -> set[str]:
    (group,) = [
        g for g in control.get("/dnc-groups").json()["dncGroups"] if g["dncGroupName"] == name
    ]
    return {str(number["phoneNumber"])[-10:] for number in group["numbers"]}


async def latest_artifact(key: str):
    async with get_client() as client:
        (artifact,) = await client.read_latest_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), limit=1
        )
    return artifact


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
async def test_a_contact_file_becomes_exactly_the_dialable_calling_list(
    nice_credentials, stand_in, names, tmp_path, suffix
):
    source = write(contacts(), tmp_path / f"crm{suffix}")
    summary = await sync_dial_list(
        source,
        names[0],
        nice_credentials,
        dnc_group=names[1],
        for_day=MONDAY,
        output_dir=str(tmp_path / "out"),
    )
    assert (summary["read"], summary["dialable"], summary["suppressed"]) == (9, 5, 4)
    assert summary["by_reason"] == {
        "ok": 5, "dnc": 1, "consent_revoked": 1, "no_consent": 1, "invalid_phone": 1,
    }  # fmt: skip
    listed = calling_list(stand_in, names[0])
    assert sorted(r["ExternalId"] for r in listed["records"]) == DIALABLE
    record = next(r for r in listed["records"] if r["ExternalId"] == "ok-1")
    assert record["PhoneNumber"].endswith("2127365001")
    assert record["TimeZone"] == "Eastern Standard Time"
    assert record["CallRequestDateTime"] == "2026-11-30 08:00:00"  # the day's first legal minute
    (job,) = jobs(stand_in, summary["calling_list_id"])
    assert (job["jobId"], job["forceOverwrite"], job["startSkill"]) == (
        int(summary["job_id"]), True, False,
    )  # fmt: skip
    assert dnc_group(stand_in, names[1]) == {"2127366001", "2127366002"}
    assert (summary["dnc_added"], summary["dnc_already"], summary["uploaded"]) == (2, 0, 5)
    for name in SEGMENT_FILES:
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o600
    assert (await latest_artifact("dial-list-progress")).data == 100
    markdown = (await latest_artifact("dial-list")).data
    assert names[0] in markdown and summary["job_id"] in markdown
    # What the dashboard shows of the list's last sync.
    kept = (await load_sync_state(summary["calling_list_id"], nice_credentials)).last_sync
    assert kept["by_reason"] == summary["by_reason"] and kept["for_day"] == MONDAY.isoformat()
    assert kept["dialable_path"] == summary["dialable_path"] and kept["synced_at"]


async def test_the_same_file_synced_again_uploads_nothing_and_adds_no_number(
    nice_credentials, stand_in, names, tmp_path
):
    source = write(contacts(), tmp_path / "crm.parquet")
    options = {"dnc_group": names[1], "for_day": MONDAY, "output_dir": str(tmp_path / "out")}
    first = await sync_dial_list(source, names[0], nice_credentials, **options)
    again = await sync_dial_list(source, names[0], nice_credentials, **options)
    assert (first["already_synced"], again["already_synced"]) == (False, True)
    assert again["job_ids"] == first["job_ids"]
    assert len(jobs(stand_in, first["calling_list_id"])) == 1
    assert sorted(r["ExternalId"] for r in calling_list(stand_in, names[0])["records"]) == DIALABLE
    assert dnc_group(stand_in, names[1]) == {"2127366001", "2127366002"}


async def test_a_file_larger_than_one_upload_file_goes_in_parts_the_first_overwriting(
    nice_credentials, stand_in, names, tmp_path
):
    yesterday = contacts().assign(contact_id=lambda f: "old-" + f["contact_id"])
    options = {"for_day": MONDAY, "output_dir": str(tmp_path / "out"), "max_part_records": 2}
    await sync_dial_list(
        write(yesterday, tmp_path / "old.csv"), names[0], nice_credentials, **options
    )
    summary = await sync_dial_list(
        write(contacts(), tmp_path / "crm.csv"), names[0], nice_credentials, **options
    )
    assert len(summary["job_ids"]) == 3  # 2 + 2 + 1 records
    mine = [
        j
        for j in jobs(stand_in, summary["calling_list_id"])
        if str(j["jobId"]) in summary["job_ids"]
    ]
    assert [(j["forceOverwrite"], j["records"]) for j in mine] == [
        (True, 2),
        (False, 2),
        (False, 1),
    ]
    assert sorted(r["ExternalId"] for r in calling_list(stand_in, names[0])["records"]) == DIALABLE


async def test_a_missing_column_fails_before_anything_is_uploaded(
    nice_credentials, stand_in, names, tmp_path
):
    source = write(contacts().drop(columns="phone"), tmp_path / "crm.csv")
    with pytest.raises(MissingColumnsError, match="phone"):
        await sync_dial_list(source, names[0], nice_credentials, for_day=MONDAY)
    listed = stand_in.get("/lists").json()["lists"]
    assert names[0] not in {item["listName"] for item in listed}


async def test_a_cancelled_job_fails_the_sync_and_the_next_run_redoes_it(
    nice_credentials, stand_in, names, tmp_path
):
    source = write(contacts(), tmp_path / "crm.csv")
    options = {"for_day": MONDAY, "output_dir": str(tmp_path / "out")}
    stand_in.post("/jobs/next", json={"outcome": "cancel"}).raise_for_status()
    with pytest.raises(CXoneUploadFailed, match="was cancelled on the platform"):
        await sync_dial_list(source, names[0], nice_credentials, **options)
    summary = await sync_dial_list(source, names[0], nice_credentials, **options)
    assert summary["already_synced"] is False
    assert sorted(r["ExternalId"] for r in calling_list(stand_in, names[0])["records"]) == DIALABLE
    failed = await operation.load(upload_identity(summary["calling_list_id"], nice_credentials, 1))
    assert failed.status == "failed" and "cancelled" in failed.error
    assert (
        summary["record"] == upload_identity(summary["calling_list_id"], nice_credentials, 2).name
    )


async def test_a_job_that_never_completes_is_cancelled_after_its_time_limit(
    nice_credentials, stand_in, names, tmp_path
):
    stand_in.post("/jobs/next", json={"outcome": "never_complete"}).raise_for_status()
    with pytest.raises(CXoneUploadFailed, match=r"did not complete within 1s and was cancelled"):
        await sync_dial_list(
            write(contacts(), tmp_path / "crm.csv"),
            names[0],
            nice_credentials,
            for_day=MONDAY,
            output_dir=str(tmp_path / "out"),
            job_timeout_minutes=1 / 60,
        )
    (job,) = jobs(stand_in, str(calling_list(stand_in, names[0])["listId"]))
    assert (job["isComplete"], job["isCancelled"]) == (False, True)


async def test_a_dropped_connection_after_the_upload_committed_never_doubles_the_list(
    nice_credentials, stand_in, names, tmp_path
):
    source = write(contacts(), tmp_path / "crm.csv")
    options = {"for_day": MONDAY, "output_dir": str(tmp_path / "out"), "max_part_records": 3}
    fault = {"kind": "drop_after_commit", "method": "POST", "path": "/upload"}
    stand_in.post("/faults", json=fault).raise_for_status()
    with pytest.raises(CXoneServerError):
        await sync_dial_list(source, names[0], nice_credentials, **options)
    list_id = str(calling_list(stand_in, names[0])["listId"])
    (lost,) = jobs(stand_in, list_id)  # committed, its answer lost
    summary = await sync_dial_list(source, names[0], nice_credentials, **options)
    assert summary["settled_jobs"] == [str(lost["jobId"])]  # stopped before the overwrite
    records = [r["ExternalId"] for r in calling_list(stand_in, names[0])["records"]]
    assert sorted(records) == DIALABLE  # each once


async def test_a_dnc_group_that_holds_some_numbers_gets_only_the_others(
    nice_credentials, stand_in, names, tmp_path
):
    credentials = await load_credentials(nice_credentials)
    async with credentials.get_client() as client:
        group = await client.find_or_create_dnc_group(names[1])
        await client.add_dnc_numbers(group, ["2127366001"])
    summary = await sync_dial_list(
        write(contacts(), tmp_path / "crm.csv"),
        names[0],
        nice_credentials,
        dnc_group=names[1],
        for_day=MONDAY,
        output_dir=str(tmp_path / "out"),
    )
    assert (summary["dnc_added"], summary["dnc_already"], summary["dnc_failures"]) == (1, 1, [])
    assert dnc_group(stand_in, names[1]) == {"2127366001", "2127366002"}


async def test_a_sync_whose_holder_died_is_redone_whole_in_the_next_episode(
    nice_credentials, stand_in, names, tmp_path
):
    credentials = await load_credentials(nice_credentials)
    async with credentials.get_client() as client:
        list_id = await client.find_or_create_calling_list(names[0], CallingListColumns())
        stand_in.post("/jobs/next", json={"outcome": "never_complete"}).raise_for_status()
        header = ",".join(CallingListColumns().model_dump().values())
        orphan = await client.upload_calling_list(
            list_id,
            f"{header}\r\nghost,2127365999,NY,10001,,\r\n".encode(),
            file_name="dead.csv",
            overwrite=False,
            skill_id=None,
            time_zone="Eastern Standard Time",
        )
    # The dead holder's claim: pending, its lease long lapsed.
    identity = upload_identity(list_id, nice_credentials, 1)
    dead = IdempotencyRecord(
        kind=identity.kind,
        subject=dict(identity.subject),
        episode=1,
        operation="upload from a run that died",
        steps=["plan", "settle-jobs", "part-1"],
        keys={"plan": "k1", "settle-jobs": "k2", "part-1": "k3"},
        lease_expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    await _documents.create(dead, identity.name)

    summary = await sync_dial_list(
        write(contacts(), tmp_path / "crm.csv"),
        names[0],
        nice_credentials,
        for_day=MONDAY,
        output_dir=str(tmp_path / "out"),
    )
    assert summary["settled_jobs"] == [orphan]
    assert summary["record"] == upload_identity(list_id, nice_credentials, 2).name
    retired = await operation.load(identity)
    assert retired.status == "failed" and "redone whole in episode 2" in retired.error
    assert sorted(r["ExternalId"] for r in calling_list(stand_in, names[0])["records"]) == DIALABLE


async def test_two_syncs_of_one_list_at_once_upload_it_once(
    nice_credentials, stand_in, names, tmp_path
):
    source = write(contacts(), tmp_path / "crm.csv")
    runs = await asyncio.gather(
        *(
            sync_dial_list(
                source, names[0], nice_credentials, for_day=MONDAY, output_dir=str(tmp_path / n)
            )
            for n in ("a", "b")
        )
    )
    assert sorted(run["already_synced"] for run in runs) == [False, True]
    assert len(jobs(stand_in, runs[0]["calling_list_id"])) == 1
    assert sorted(r["ExternalId"] for r in calling_list(stand_in, names[0])["records"]) == DIALABLE


async def test_the_described_api_fails_at_once_saying_it_has_no_calling_lists(
    credentials_block, tmp_path
):
    out = tmp_path / "out"
    with pytest.raises(CXoneUnsupported, match="no calling lists"):
        await sync_dial_list(
            write(contacts(), tmp_path / "crm.csv"),
            "Renewals",
            credentials_block,
            for_day=MONDAY,
            output_dir=str(out),
        )
    assert not out.exists()  # failed before the file was evaluated


async def test_the_dnc_group_scrubs_the_skill_once_and_its_numbers_are_not_offered(
    nice_credentials, stand_in, names, tmp_path
):
    credentials = await load_credentials(nice_credentials)
    async with credentials.get_client() as client:
        skill = await client.create_campaign(
            CampaignSpec(name=f"Scrub {names[0][-8:]}", contact_list_id=names[0]),
            idempotency_key=uuid.uuid4().hex,
        )
        group_id = await client.find_or_create_dnc_group(names[1])
        await client.add_dnc_numbers(group_id, ["2127365002"])  # ok-2 opted out elsewhere
    first = await scrub_skill_with_group.fn(credentials, group_id, skill.id)
    again = await scrub_skill_with_group.fn(credentials, group_id, skill.id)
    wanted = {"group_id": group_id, "skill_id": skill.id, "confirmed": True}
    assert first == {**wanted, "already": False} and again == {**wanted, "already": True}
    (group,) = [
        g for g in stand_in.get("/dnc-groups").json()["dncGroups"] if g["dncGroupName"] == names[1]
    ]
    assert group["scrubbedSkillIds"] == [int(skill.id)]

    # The skill dials the synced list; a contact dialable in the file whose number the group
    # holds (it opted out elsewhere) is never offered to it.
    await sync_dial_list(
        write(contacts(), tmp_path / "crm.csv"),
        names[0],
        nice_credentials,
        skill_id=skill.id,
        for_day=MONDAY,
        output_dir=str(tmp_path / "out"),
    )
    passed = stand_in.post(f"/skills/{skill.id}/dial").json()
    assert (passed["offered"], passed["scrubbed"]) == (4, 1)
    (scrubbed,) = [e for e in passed["entries"] if e["outcome"] == "scrubbed"]
    assert (scrubbed["externalId"], scrubbed["dncGroupIds"]) == ("ok-2", [int(group_id)])


@respx.mock
async def test_a_scrub_the_read_back_does_not_show_is_an_invalid_response():
    api, issuer = "http://127.0.0.1:11", "http://127.0.0.1:12"
    respx.post(f"{issuer}/authentication/v1/token/access-key").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    )
    base = f"{api}/incontactapi/services/v30.0/dnc-groups/301/scrubbed-skills"
    respx.get(base).mock(return_value=httpx.Response(204))
    wire = respx.post(f"{base}/4100001").mock(return_value=httpx.Response(202))
    credentials = CXoneAccessKey(
        access_key_id="AK1", access_key_secret="s", issuer=issuer, api_base_url=api
    )
    with pytest.raises(CXoneInvalidResponse, match="read back without it"):
        await scrub_skill_with_group.fn(credentials, "301", "4100001")
    assert wire.call_count == 1


async def test_the_described_api_has_no_dnc_group_to_scrub_with(credentials_block):
    credentials = await load_credentials(credentials_block)
    with pytest.raises(CXoneUnsupported, match="no calling lists"):
        await scrub_skill_with_group.fn(credentials, "301", "4100001")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"at": dt.datetime(2026, 11, 30, 15), "for_day": None}, "must be timezone-aware"),
        ({"at": dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC), "for_day": MONDAY}, "at most one"),
        ({"zone": "Europe/Paris"}, "no CXone time zone name is known for 'Europe/Paris'"),
        ({"calling_list": " "}, "calling_list must name the calling list"),
    ],
)
async def test_bad_settings_are_named_before_any_work(prefect_harness, tmp_path, settings, message):
    arguments = {"source": str(tmp_path / "missing.csv"), "calling_list": "Renewals", **settings}
    with pytest.raises(ValueError, match=message):
        await sync_dial_list(**arguments)
