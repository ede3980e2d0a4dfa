"""Outside registries in the daily sync: the Reassigned Numbers Database (answers cached in
the ledger, evidence kept) and a DNC registry snapshot (refused when stale; its last day
bounds the records' expiration)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import httpx
import pandas as pd
import pytest

from blocks import AttemptsLedger, ReassignedNumbersDatabase
from dial_lists import RegistryError
from flows.dial_list import sync_dial_list

from .conftest import SYNC_AT

HEADER = "contact_id,phone,state,consent_call,consent_at"
CONTACTS = [
    ("moved", "2125550101", "NY", "true", "2025-01-02"),  # disconnected in March: a stranger now
    ("unknown", "2125550102", "NY", "true", "2025-01-02"),  # the RND has no data
    ("kept", "2125550103", "NY", "true", "2025-01-02"),
    ("old-consent", "2125550104", "NY", "true", ""),  # no consent date: not asked
]


def crm(path: Path, rows=CONTACTS) -> str:
    path.write_text("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n")
    return str(path)


@pytest.fixture
def stand_in(admin_urls):
    with httpx.Client(base_url=f"{admin_urls.api}/_sim/admin", timeout=30) as control:
        yield control


async def test_reassigned_numbers_are_suppressed_and_asked_once(
    nice_credentials, sim, sim_url, sync_clock, tmp_path
):
    tag = uuid.uuid4().hex[:8]
    sim.put("/_sim/rnd/disconnections", json={"2125550101": "2025-03-01"}).raise_for_status()
    sim.put("/_sim/rnd/no-data", json=["2125550102"]).raise_for_status()
    await ReassignedNumbersDatabase(api_url=f"{sim_url}/api/rnd/v1", api_key="sim-rnd-key").asave(
        f"rnd-{tag}"
    )
    await AttemptsLedger(url=f"sqlite+aiosqlite:///{tmp_path / 'attempts.db'}").asave(f"l-{tag}")
    source = crm(tmp_path / "crm.csv")
    options = {"for_day": "today", "rnd_block": f"rnd-{tag}", "ledger": f"l-{tag}",
               "output_dir": str(tmp_path / "out")}  # fmt: skip
    first = await sync_dial_list(source, f"RND {tag}", nice_credentials, **options)
    asked = len(sim.get("/_sim/rnd/queries").json()["queries"])
    assert asked == 3 and first["rnd"] == {"yes": 1, "no": 1, "no_data": 1}
    rows = pd.concat(
        [pd.read_csv(first["dialable_path"], dtype=str, keep_default_na=False).assign(reason="ok"),
         pd.read_csv(first["suppressed_path"], dtype=str, keep_default_na=False)]
    ).set_index("contact_id")  # fmt: skip
    assert rows["reason"].to_dict() == {
        "moved": "reassigned", "unknown": "ok", "kept": "ok", "old-consent": "ok",
    }  # fmt: skip
    assert rows.loc["moved", "detail"].startswith("Reassigned Numbers Database: yes")
    assert rows.loc["kept", "rnd_answer"] == "no" and rows.loc["kept", "rnd_queried_at"]
    assert rows.loc["unknown", "rnd_answer"] == "no_data"
    again = await sync_dial_list(
        source, f"RND {tag}", nice_credentials, **options, rnd_no_data_blocks=True
    )
    assert len(sim.get("/_sim/rnd/queries").json()["queries"]) == asked  # all from the cache
    held = pd.read_csv(again["suppressed_path"], dtype=str).set_index("contact_id")["reason"]
    assert held.to_dict() == {"moved": "reassigned", "unknown": "reassigned"}


def snapshot(folder: Path, numbers: list[str], downloaded: dt.date) -> str:
    folder.mkdir(parents=True)
    (folder / "212.txt").write_text("\n".join(numbers) + "\n")
    manifest = {"downloaded_at": downloaded.isoformat(), "source": "FTC National DNC Registry"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return str(folder)


async def test_a_registry_snapshot_suppresses_its_numbers_and_bounds_the_expiration(
    nice_credentials, stand_in, sync_clock, tmp_path
):
    tag = uuid.uuid4().hex[:8]
    today = SYNC_AT.date()
    stale = snapshot(tmp_path / "stale", ["2125550101"], today - dt.timedelta(days=32))
    with pytest.raises(RegistryError, match=r"downloaded on .*, 32 days ago"):
        await sync_dial_list(
            crm(tmp_path / "a.csv"), f"Reg {tag}", nice_credentials, for_day="today",
            registry=stale, output_dir=str(tmp_path / "o"),
        )  # fmt: skip
    assert not (tmp_path / "o").exists()  # refused before the run
    fresh = snapshot(tmp_path / "fresh", ["2125550101", "2125550103"], today)
    made = await sync_dial_list(
        crm(tmp_path / "b.csv"), f"Reg {tag}", nice_credentials, for_day="today",
        registry=fresh, output_dir=str(tmp_path / "out"),
    )  # fmt: skip
    held = pd.read_csv(made["suppressed_path"], dtype=str).set_index("contact_id")["reason"]
    assert held.to_dict() == {"moved": "dnc_registry", "kept": "dnc_registry"}
    assert made["registry"]["numbers"] == 2
    (listed,) = [c for c in stand_in.get("/lists").json()["lists"] if c["listName"] == f"Reg {tag}"]
    records = stand_in.get(f"/lists/{listed['listId']}").json()["records"]
    expiry = {r["ExpirationDate"][:10] for r in records}
    assert expiry == {made["expires"]}
    assert dt.date.fromisoformat(made["expires"]) <= today + dt.timedelta(days=31)
