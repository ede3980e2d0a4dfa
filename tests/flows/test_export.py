"""export_segmented_contacts end to end against the simulator under the Prefect test harness."""

import datetime as dt
import html
import json
import logging
import re
import stat
from pathlib import Path

import pandas as pd
import pytest
import respx
from markdown_it import MarkdownIt
from prefect.client.orchestration import get_client

from blocks import CXoneCredentials
from cxone import CXoneServerError, RetryPolicy
from flows.export import export_segmented_contacts
from simulator import generate_contacts

from ..conftest import SIM_CLIENT_SECRET

# A Monday afternoon in every US zone: the window rules let most consented contacts through.
AT = dt.datetime(2026, 11, 30, 19, 0, tzinfo=dt.UTC)
# Day lists start no window before the flows' clock: set to the morning of the day listed.
pytestmark = pytest.mark.usefixtures("sync_clock")


def segments(summary):
    dialable = pd.read_csv(summary["dialable_path"], dtype=str)
    suppressed = pd.read_csv(summary["suppressed_path"], dtype=str)
    return dialable, suppressed


def consented_ids(count=400, seed=11):
    return {
        c["id"]
        for c in generate_contacts(count, seed)
        if ((c.get("consentFlags") or {}).get("outbound") or {}).get("call") is True
    }


async def test_every_contact_lands_in_exactly_one_segment(sim, credentials_block, tmp_path):
    summary = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
    )
    dialable, suppressed = segments(summary)
    assert summary["fetched"] == summary["dialable"] + summary["suppressed"]
    assert (len(dialable), len(suppressed)) == (summary["dialable"], summary["suppressed"])
    ids = [*dialable["contact_id"], *suppressed["contact_id"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == consented_ids()
    assert summary["dialable"] > 0 and summary["suppressed"] > 0
    assert sum(summary["by_reason"].values()) == summary["fetched"]
    assert suppressed["reason"].notna().all() and "ok" not in set(suppressed["reason"])
    assert summary["query"] == "consentFlags.outbound.call==true" and not summary["fell_back"]
    for path in [*tmp_path.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert {p.name for p in tmp_path.iterdir()} == {
        "dialable.csv", "suppressed.csv", "dialable.parquet", "suppressed.parquet", "run.json",
        "unreadable.csv", ".output-owner.json",
    }  # fmt: skip
    marker = json.loads((tmp_path / "run.json").read_text())
    assert (marker["at"], marker["fetched"], marker["dialable"]) == (
        AT.isoformat(), summary["fetched"], summary["dialable"],
    )  # fmt: skip
    parquet = pd.read_parquet(tmp_path / "suppressed.parquet")
    assert list(parquet["contact_id"]) == list(suppressed["contact_id"])


async def test_at_night_everyone_is_outside_calling_hours(sim, credentials_block, tmp_path):
    night = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)  # 03:00 in New York, 22:00 in Hawaii
    summary = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=night
    )
    assert summary["dialable"] == 0
    assert summary["by_reason"]["outside_calling_hours"] > 0


async def test_a_day_list_built_at_night_holds_who_may_be_called_that_day(
    sim, credentials_block, tmp_path
):
    night = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    instant = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path / "now"), credentials_block=credentials_block, at=night
    )
    day = await export_segmented_contacts(
        "CL-1",
        output_dir=str(tmp_path / "day"),
        credentials_block=credentials_block,
        for_day=dt.date(2026, 11, 30),
    )
    assert (instant["dialable"], day["fetched"]) == (0, instant["fetched"])
    assert day["dialable"] > 0 and "outside_calling_hours" not in day["by_reason"]
    assert (day["for_day"], day["zone"], day["at"]) == ("2026-11-30", "America/New_York", None)
    dialable = pd.read_parquet(tmp_path / "day" / "dialable.parquet")
    assert (dialable["callable_from"] < dialable["callable_until"]).all()
    # Within the federal hours in the contact's own zone (8:00 to 21:00).
    assert (dialable["callable_from_local"].str[11:16] >= "08:00").all()
    assert (dialable["callable_until_local"].str[11:16] <= "21:00").all()


async def test_429_and_5xx_during_export_lose_nothing(
    sim, credentials_block, tmp_path, monkeypatch
):
    # The backoff's length is not under test: short waits keep the test quick.
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry: 0.01)
    # Eight failures of the first page in a row: more than the default retry budget (3).
    patient = await CXoneCredentials.aload(credentials_block)
    patient.max_retries = 10
    await patient.asave("cxone-patient", overwrite=True)
    for fault in (
        {"kind": "server_error", "count": 3, "path": "/contacts"},
        {"kind": "rate_limit", "count": 3, "path": "/contacts", "retry_after": 0},
        {"kind": "drop", "count": 2, "path": "/contacts"},
    ):
        sim.post("/_sim/faults", json=fault).raise_for_status()
    summary = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block="cxone-patient", at=AT
    )
    dialable, suppressed = segments(summary)
    assert {*dialable["contact_id"], *suppressed["contact_id"]} == consented_ids()
    statuses = [r["status"] for r in sim.get("/_sim/requests").json()["requests"]]
    assert statuses.count(429) == 3 and statuses.count(503) == 3


async def test_bad_records_are_suppressed_not_fatal(sim, credentials_block, tmp_path):
    consent = {"outbound": {"call": True, "revokedAt": None}}
    bad = [
        {"id": "c9000000", "consentFlags": consent},  # no phone at all
        {"id": "c9000001", "phoneNumber": "call me maybe", "consentFlags": consent},
        {
            "id": "c9000002",
            "phoneNumber": "+12127365000",
            "consentFlags": consent,
            "attempts": "lots",
            "doNotCall": "perhaps",
            "postalCode": {"zip": 10001},
        },
    ]
    sim.post("/_sim/contactlists/CL-1/contacts", json={"contacts": bad}).raise_for_status()
    summary = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
    )
    _, suppressed = segments(summary)
    reasons = suppressed.set_index("contact_id")["reason"]
    assert reasons["c9000000"] == "invalid_phone"
    assert reasons["c9000001"] == "invalid_phone"
    assert summary["fetched"] == len(consented_ids()) + 3
    # An unreadable DNC flag fails closed, and the suppressed file keeps it as it came.
    assert reasons["c9000002"] == "dnc"
    assert suppressed.set_index("contact_id").loc["c9000002", "dnc"] == "perhaps"


async def test_odd_safety_cells_block_and_keep_their_raw_values(sim, credentials_block, tmp_path):
    def contact(i, **fields):  # a number each: a DNC number is DNC on every row of it
        outbound = {"call": True, "revokedAt": fields.pop("revokedAt", None)}
        return {"id": f"c91{i:05d}", "phoneNumber": f"+121273650{i:02d}",
                "consentFlags": {"outbound": outbound}, "doNotCall": False, **fields}  # fmt: skip

    odd = [
        contact(0, doNotCall="DNC"),
        contact(1, doNotCall=2),
        contact(2, doNotCall="yes "),
        contact(3, doNotCall=[True]),
        contact(4, revokedAt=1700000000),
        contact(5, revokedAt=True),
        contact(6, revokedAt={"at": "2026-01-01"}),
        contact(7, attempts={"last24h": "many", "last7d": 0}),
        contact(8, attempts="lots"),
    ]
    sim.post("/_sim/contactlists/CL-1/contacts", json={"contacts": odd}).raise_for_status()
    summary = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
    )
    _, suppressed = segments(summary)
    rows = suppressed.set_index("contact_id")
    expected = ["dnc"] * 4 + ["consent_revoked"] * 3 + ["frequency_cap"] * 2
    assert [rows.loc[f"c91{i:05d}", "reason"] for i in range(9)] == expected
    assert list(rows.loc[["c9100000", "c9100001", "c9100003"], "dnc"]) == ["DNC", "2", "[true]"]
    assert rows.loc["c9100004", "consent_revoked_at"] == "1700000000"
    assert rows.loc["c9100008", "attempts_24h"] == "lots"


async def test_empty_consent_query_falls_back_to_client_side_filtering(
    sim, credentials_block, tmp_path, caplog
):
    sim.post("/_sim/contactlists", json={"list_id": "CL-NOCONSENT", "count": 0, "seed": 1})
    unconsented = [
        {
            "id": f"c{i:07d}",
            "phoneNumber": "+12127365000",
            "consentFlags": {"outbound": {"call": False}},
        }
        for i in range(1, 4)
    ]
    sim.post(
        "/_sim/contactlists/CL-NOCONSENT/contacts", json={"contacts": unconsented}
    ).raise_for_status()
    summary = await export_segmented_contacts(
        "CL-NOCONSENT", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
    )
    assert summary["fell_back"] is True and summary["query"] == "true"
    assert summary["fetched"] == 3 and summary["by_reason"] == {"no_consent": 3}
    assert "returned no contacts" in caplog.text


async def test_naive_at_is_refused(credentials_block, tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        await export_segmented_contacts(
            "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block,
            at=dt.datetime(2026, 11, 30, 12, 0),
        )  # fmt: skip


async def test_no_secret_or_full_phone_number_in_logs_and_artifacts(
    sim, credentials_block, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    sim.post(
        "/_sim/contactlists/CL-1/contacts",
        json={
            "contacts": [
                {
                    "id": "c0000000",
                    "phoneNumber": "212555012",
                    "consentFlags": {"outbound": {"call": True}},
                }
            ]
        },
    ).raise_for_status()
    summary = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
    )
    async with get_client() as client:
        artifacts = await client.read_artifacts()
        runs = await client.read_flow_runs()
    texts = [caplog.text, *(str(a.data) for a in artifacts), *(str(r.parameters) for r in runs)]
    assert any(a.key == "contact-suppression" for a in artifacts)
    assert "***-***-5012" in caplog.text  # the invalid number is logged masked
    phones = pd.read_csv(summary["dialable_path"], dtype=str)["phone"].head(20)
    for text in texts:
        assert SIM_CLIENT_SECRET not in text
        assert "212555012" not in text
        for phone in phones:
            assert phone not in text
    assert Path(summary["dialable_path"]).exists()


async def test_a_failed_run_leaves_no_segment_file_of_an_earlier_run(
    sim, credentials_block, tmp_path
):
    first = await export_segmented_contacts(
        "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
    )
    assert Path(first["dialable_path"]).exists() and (tmp_path / "run.json").exists()
    sim.post(
        "/_sim/faults", json={"kind": "server_error", "count": 50, "path": "/contacts"}
    ).raise_for_status()
    with pytest.raises(CXoneServerError):
        await export_segmented_contacts(
            "CL-1", output_dir=str(tmp_path), credentials_block=credentials_block, at=AT
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == [".output-owner.json"]


async def test_half_an_emoji_is_repaired_and_counted_not_fatal(prefect_harness, tmp_path):
    # The server's JSON escapes a lone high surrogate: json.loads keeps it, pyarrow cannot.
    await CXoneCredentials(client_id="c", client_secret="s", base_url="http://cxone.test").asave(
        "cxone-emoji", overwrite=True
    )
    consent = '"consentFlags": {"outbound": {"call": true}}'
    page = (
        '{"contacts": ['
        f'{{"id": "c1", "firstName": "Ana \\ud83d", "phoneNumber": "+12127365000", {consent}}},'
        f'{{"id": "c2", "lastName": "D\\ud83d\\ude00az", "phoneNumber": "+12127365001", {consent}}}'
        '], "page": 1, "pageSize": 100, "totalCount": 2}'
    ).encode()
    with respx.mock(assert_all_called=False) as mock:
        mock.post("http://cxone.test/api/v2/oauth/token").respond(
            json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600}
        )
        mock.get(url__startswith="http://cxone.test/api/v2/omnichannel/contactlists/").respond(
            content=page, headers={"Content-Type": "application/json"}
        )
        mock.route().pass_through()  # the Prefect test server
        summary = await export_segmented_contacts(
            "CL-EMOJI", output_dir=str(tmp_path), credentials_block="cxone-emoji", at=AT
        )
    assert summary["fetched"] == 2 and summary["text_repairs"] == 1
    rows = pd.read_parquet(summary["dialable_parquet_path"]).set_index("contact_id")
    assert rows.loc["c1", "first_name"] == "Ana \ufffd"
    assert rows.loc["c2", "last_name"] == "D😀az"  # an escaped pair is whole, not repaired


async def test_the_run_is_named_for_its_list_and_day_and_says_what_it_did(
    sim, credentials_block, tmp_path
):
    state = await export_segmented_contacts(
        "CL-1",
        output_dir=str(tmp_path),
        credentials_block=credentials_block,
        for_day="2026-11-30",
        return_state=True,
    )
    summary = await state.result()
    async with get_client() as client:
        run = await client.read_flow_run(state.state_details.flow_run_id)
        artifacts = {a.key: a for a in await client.read_artifacts() if a.flow_run_id == run.id}
    assert run.name == "export CL-1 for 2026-11-30"
    assert state.message == (
        f"{summary['dialable']:,} dialable, {summary['suppressed']:,} suppressed of "
        f"{summary['fetched']:,} for 2026-11-30 (America/New_York)"
    )
    # The first suppressed contacts, one by one, masked, with where the rest is.
    sample = artifacts["suppressed-contacts"]
    rows = json.loads(sample.data)
    assert 0 < len(rows) <= 200 and set(rows[0]) == {
        "contact_id", "phone", "reason", "detail", "next_callable_local",
    }  # fmt: skip
    assert all(sum(c.isdigit() for c in row["phone"]) <= 4 for row in rows)  # last four only
    # The UI renders cells as Markdown: a masked phone shows as such, not as emphasis.
    markdown = MarkdownIt("commonmark")
    shown = {html.unescape(re.sub(r"<[^>]+>", "", markdown.render(row["phone"]))).strip()
             for row in rows}  # fmt: skip
    masked = {phone for phone in shown if re.fullmatch(r"\*\*\*-\*\*\*-\d{4}", phone)}
    assert masked and shown - masked <= {"<none>", "<no digits>"}, shown
    assert summary["suppressed_path"] in sample.description
