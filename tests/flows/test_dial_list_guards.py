"""What a careful operator expects of the dial-list sync: guards, safe directories, no secret
kept, windows that start no earlier than the sync, typed input refused by name."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from pathlib import Path

import fsspec
import httpx
import pandas as pd
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from prefect.client.orchestration import get_client

from blocks import FileStorageCredentials, load_sync_state
from dial_lists import OutputDirError, SourceTypeError, SourceURLError
from flows.dial_list import DialListRefused, sync_dial_list
from flows.export import export_segmented_contacts

from .conftest import SYNC_AT

NEW_YORK = SYNC_AT.tzinfo
HEADER = "contact_id,phone,state,consent_call"


def contacts_file(path: Path, count: int, start: int = 0) -> str:
    lines = [HEADER] + [f"c{i},(212) 736-{5000 + i},NY,true" for i in range(start, start + count)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def clock(sync_clock):
    return sync_clock


@pytest.fixture
def names() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"Guarded {tag}", f"Guarded DNC {tag}"


@pytest.fixture
def stand_in(admin_urls):
    with httpx.Client(base_url=f"{admin_urls.api}/_sim/admin", timeout=30) as control:
        yield control


def records(control: httpx.Client, name: str) -> list[str]:
    (found,) = [c for c in control.get("/lists").json()["lists"] if c["listName"] == name]
    return sorted(
        r["ExternalId"] for r in control.get(f"/lists/{found['listId']}").json()["records"]
    )


async def test_an_empty_source_or_a_list_halved_is_refused_unless_allowed(
    nice_credentials, stand_in, names, clock, tmp_path
):
    options = {"for_day": "today", "output_dir": str(tmp_path / "out")}
    full = contacts_file(tmp_path / "full.csv", 10)
    first = await sync_dial_list(full, names[0], nice_credentials, **options)
    assert first["uploaded"] == 10
    again = await sync_dial_list(full, names[0], nice_credentials, return_state=True, **options)
    assert "nothing changed" in again.message and "No DNC group named" in again.message

    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER + "\n")
    with pytest.raises(DialListRefused, match=r"holds no contact.*allow_empty=True"):
        await sync_dial_list(str(empty), names[0], nice_credentials, **options)
    truncated = contacts_file(tmp_path / "truncated.csv", 3)
    with pytest.raises(DialListRefused, match=r"shrink from 10 contacts .* to 3 \(70% fewer\)"):
        await sync_dial_list(truncated, names[0], nice_credentials, **options)
    assert len(records(stand_in, names[0])) == 10  # nothing was uploaded

    allowed = await sync_dial_list(truncated, names[0], nice_credentials, max_shrink=0.7, **options)
    assert allowed["uploaded"] == 3 and records(stand_in, names[0]) == ["c0", "c1", "c2"]
    emptied = await sync_dial_list(
        str(empty), names[0], nice_credentials, allow_empty=True, **options
    )
    assert emptied["uploaded"] == 0 and records(stand_in, names[0]) == []


async def test_a_list_made_late_in_the_day_starts_no_window_in_the_past(
    nice_credentials, names, clock, tmp_path
):
    source = tmp_path / "c.csv"
    source.write_text(f"{HEADER}\nny,(212) 736-5000,NY,true\nhi,(808) 586-1234,HI,true\n")
    clock["at"] = dt.datetime(2026, 11, 30, 20, 45, tzinfo=NEW_YORK)
    late = await sync_dial_list(
        str(source), names[0], nice_credentials, for_day="today", output_dir=str(tmp_path / "a")
    )
    dialable = pd.read_csv(late["dialable_path"], dtype=str).set_index("contact_id")
    assert dialable.loc["ny", "callable_from_local"] == "2026-11-30T20:45:00-05:00"
    assert dialable.loc["hi", "callable_from_local"] == "2026-11-30T15:45:00-10:00"

    clock["at"] = dt.datetime(2026, 11, 30, 21, 0, tzinfo=NEW_YORK)
    over = await sync_dial_list(
        str(source), names[1], nice_credentials, for_day="today", output_dir=str(tmp_path / "b"),
        max_shrink=1,
    )  # fmt: skip
    held = pd.read_csv(over["suppressed_path"], dtype=str).set_index("contact_id")
    assert held.loc["ny", "reason"] == "outside_calling_hours"
    assert held.loc["ny", "next_callable_local"] == "2026-12-01T08:00:00-05:00"
    assert over["dialable"] == 1  # Honolulu is still inside its window (16:00 there)


async def test_an_instant_in_the_past_is_refused_before_the_run(prefect_harness, clock, tmp_path):
    source = contacts_file(tmp_path / "c.csv", 1)
    with pytest.raises(ValueError, match="is in the past"):
        await sync_dial_list(source, "Renewals", at=SYNC_AT - dt.timedelta(hours=1))


async def test_a_numeric_phone_column_is_refused_by_name_before_anything_is_uploaded(
    nice_credentials, stand_in, names, clock, tmp_path
):
    frame = pd.DataFrame({"contact_id": ["c1", "c2"], "phone": [1.21274e10, 1.21274e10]})
    frame.to_parquet(tmp_path / "crm.parquet", index=False)
    with pytest.raises(SourceTypeError, match=r"phone column of .*crm\.parquet is double"):
        await sync_dial_list(
            str(tmp_path / "crm.parquet"), names[0], nice_credentials, for_day="today",
            output_dir=str(tmp_path / "out"),
        )  # fmt: skip
    assert names[0] not in {c["listName"] for c in stand_in.get("/lists").json()["lists"]}


@pytest.mark.parametrize(
    "url",
    [
        "http://user:password@127.0.0.1:9/contacts.csv",
        "s3://AKIAEXAMPLE:wJalrXUtnFEMIsecret@bucket/contacts.csv",
        "https://127.0.0.1:9/contacts.csv?X-Amz-Signature=0123456789abcdef&X-Amz-Credential=a",
    ],
)
async def test_a_source_url_with_credentials_is_refused_before_any_run(
    prefect_harness, clock, url, tmp_path
):
    with pytest.raises(SourceURLError, match="carries credentials") as refused:
        await sync_dial_list(url, f"Secret {uuid.uuid4().hex[:6]}", output_dir=str(tmp_path))
    for secret in ("password", "wJalrXUtnFEMIsecret", "0123456789abcdef"):
        assert secret not in str(refused.value)
    async with get_client() as client:
        runs = await client.read_flow_runs()
    assert not any(secret in str(run.parameters) for run in runs for secret in ("password",))


class _GuardedFileSystem(MemoryFileSystem):
    """A file system that opens only with the right token, as a cloud bucket would."""

    protocol = "guarded"

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return super()._strip_protocol(path.removeprefix("guarded://"))

    def __init__(self, token: str | None = None, **options):
        if token != "s3cr3t-t0ken":
            raise PermissionError("guarded://: access denied (no valid token)")
        super().__init__(**options)


async def test_source_credentials_come_from_a_block_and_are_never_shown(
    nice_credentials, stand_in, names, clock, tmp_path, caplog
):
    fsspec.register_implementation("guarded", _GuardedFileSystem, clobber=True)
    with fsspec.open("memory://bucket/crm.csv", "w") as handle:
        handle.write(f"{HEADER}\nc1,(212) 736-5000,NY,true\n")
    block = f"bucket-{uuid.uuid4().hex[:6]}"
    await FileStorageCredentials(storage_options={"token": "s3cr3t-t0ken"}).asave(block)
    options = {"for_day": "today", "output_dir": str(tmp_path / "out")}
    with pytest.raises(PermissionError, match="access denied"):
        await sync_dial_list("guarded://bucket/crm.csv", names[0], nice_credentials, **options)
    summary = await sync_dial_list(
        "guarded://bucket/crm.csv", names[0], nice_credentials, source_credentials=block, **options
    )
    assert summary["uploaded"] == 1
    state = await load_sync_state(summary["calling_list_id"], nice_credentials)
    async with get_client() as client:
        runs = await client.read_flow_runs()
        artifacts = await client.read_artifacts()
    shown = [caplog.text, str(state.last_sync), *(str(r.parameters) for r in runs)]
    shown += [f"{a.description} {a.data}" for a in artifacts]
    assert not any("s3cr3t-t0ken" in text for text in shown)


def test_each_flow_has_its_own_default_directory():
    sync = inspect.signature(sync_dial_list.fn).parameters["output_dir"].default
    export = inspect.signature(export_segmented_contacts.fn).parameters["output_dir"].default
    assert (sync, export) == ("dial-lists", "exports")


async def test_directories_a_sync_must_not_use_are_refused_before_the_run(
    prefect_harness, clock, tmp_path
):
    source = contacts_file(tmp_path / "c.csv", 1)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("not a dial list")
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / ".output-owner.json").write_text('{"owner": "export"}')
    cases = [
        ("/", "root of the file system"),
        (str(Path.home()), "a home directory"),
        (str(mine), "not empty and has no .output-owner.json"),
        (str(exported), "another flow \\(export"),
    ]
    for directory, why in cases:
        with pytest.raises(OutputDirError, match=why):
            await sync_dial_list(source, "Renewals", output_dir=directory, for_day="today")
    assert (mine / "thesis.docx").read_text() == "not a dial list"


async def test_a_sync_replaces_only_the_files_it_wrote(nice_credentials, names, clock, tmp_path):
    out = tmp_path / "out"
    source = contacts_file(tmp_path / "c.csv", 2)
    await sync_dial_list(source, names[0], nice_credentials, for_day="today", output_dir=str(out))
    (out / "notes.txt").write_text("the operator's own notes")
    await sync_dial_list(source, names[0], nice_credentials, for_day="today", output_dir=str(out))
    assert (out / "notes.txt").read_text() == "the operator's own notes"
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in out.iterdir() if p.is_file()
               and p.name != "notes.txt")  # fmt: skip
