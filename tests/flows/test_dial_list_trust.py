"""Dial-list trust: a messy CRM export, line by line, on both platforms' stand-ins.

Every line of `MESSY_CRM` carries the outcome it must have: on NICE CXone (`sync_dial_list`
into a calling list the skill dials, through a DNC group that scrubs the skill) and on the
described API (`export_segmented_contacts` of the same contacts seeded into the simulator,
whose contact model has no `person_id` and which reads JSON, not CSV lines: `None` marks a
line it cannot hold). Then the NICE stand-in dials the skill: nobody revoked, DNC, scrubbed
or already placed is offered.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

import httpx
import pandas as pd
import pytest

from blocks import load_credentials
from cxone import CampaignSpec
from flows.dial_list import DialListRefused, sync_dial_list
from flows.export import export_segmented_contacts

HEADER = (
    "contact_id,phone,first_name,last_name,state,postal_code,"
    "consent_call,consent_revoked_at,dnc,person_id"
)
LONG_NAME = "A" * 600
FORMULA = '"=HYPERLINK(""http://evil.example/x"",""click"")"'


@dataclass(frozen=True)
class Line:
    """One physical line of the file and what must become of it."""

    text: str
    nice: str  # reason, "ok", "unreadable" or "blank"
    described: str | None  # the export's reason; None: the described API cannot hold it
    why: str


def row(cid, phone, first="Ana", *, revoked="", dnc="false", person="", consent="true",
        state="NY", postal="10001", last="Diaz") -> str:  # fmt: skip
    return f"{cid},{phone},{first},{last},{state},{postal},{consent},{revoked},{dnc},{person}"


MESSY_CRM = [
    Line(row("a1", "(212) 736-5801", person="p1"), "ok", "ok", "a clean contact"),
    Line(row("a2", "(212) 736-5802", revoked="2026-10-01T12:00:00Z", person="p2"),
         "consent_revoked", "consent_revoked", "revoked here"),
    Line(row("a3", "212.736.5802", person="p3"), "consent_revoked", "consent_revoked",
         "the number a2 revoked, another contact id, another format"),
    Line(row("a4", "+12127365803", dnc="true", person="p4"), "dnc", "dnc", "DNC here"),
    Line(row("a5", "(212) 736-5803", person="p5"), "dnc", "dnc",
         "the DNC number of a4 written (212) 736-5803"),
    Line(row("C007", "(212) 736-5807", person="p7"), "ok", None,
         "the first C007 stands (the described API keeps one contact per id: the later one)"),
    Line(row("C007", "(212) 736-5808", person="p8"), "duplicate", "ok",
         "the contact id C007 again"),
    Line(row("a9", "(212) 736-5801", person="p9"), "duplicate", "duplicate",
         "the number of a1 under another id"),
    Line(row("b1", "(212) 736-5811", person="p10"), "consent_revoked", "ok",
         "person p10 revoked on b2 (the described API has no person_id)"),
    Line(row("b2", "(212) 736-5812", revoked="2026-11-01T00:00:00Z", person="p10"),
         "consent_revoked", "consent_revoked", "person p10 revokes"),
    Line(row("b3", "(212) 736-5813", person="p11"), "dnc", "ok",
         "person p11 is DNC on b4 (the described API has no person_id)"),
    Line(row("b4", "(212) 736-5814", dnc="yes", person="p11"), "dnc", "dnc", "DNC here"),
    Line(row("e1", "1.21274E+10", person="p12"), "invalid_phone", "invalid_phone",
         "a phone Excel turned into scientific notation"),
    Line(row("q1", "(212) 736-5821", '"O\'Brien', person="p13"), "unreadable", None,
         "a stray quote: the record would run onto the next lines"),
    Line(row("q2", "(212) 736-5822", "Quinn", person="p14"), "ok", "ok",
         "the line after a stray quote is read as itself"),
    Line(row("r1", "(212) 736-5823", person="p15") + ",extra", "unreadable", None,
         "a field too many"),
    Line("r2,(212) 736-5824,Sam", "unreadable", None, "fields missing"),
    Line("", "blank", None, "an empty line"),
    Line(row("m1", "(212) 736-5825", '"line one'), "unreadable", None,
         "a record spanning two lines: its first line"),
    Line('line two",Te,NY,10001,true,,false,p16', "unreadable", None, "and its second"),
    Line(row("l1", "(212) 736-5826", LONG_NAME, person="p17"), "invalid_record",
         "invalid_record", "a 600-character name: over the platform's 512 per record"),
    Line(row("t1", "(212) 736-5827", "Vi\tVi", person="p18"), "invalid_record",
         "invalid_record", "a control character (a tab) in a name"),
    Line(row("f1", "(212) 736-5831", FORMULA, person="p19"), "ok", "ok",
         "a formula as a name: dialable, made inert"),
    Line(row("f2", "(212) 736-5832", "@SUM(1)", person="p20"), "ok", "ok",
         "another formula: made inert"),
    Line(row("+cmd|' /C calc'!A0", "(212) 736-5833", person="p21"), "ok", "ok",
         "a DDE payload as a contact id: made inert"),
    Line(row("h1", "(808) 586-1234", state="HI", postal="96813", person="p22"), "ok", "ok",
         "Honolulu: its window is today's 08:00, not last evening's"),
    Line(row("n1", "(212) 736-5841", consent="no", person="p23"), "no_consent", None,
         "no consent (the described API's consent query never returns it)"),
    Line(row("j1", "(876) 555-1234", person="p24"), "unsupported_country",
         "unsupported_country", "a Jamaican number"),
]  # fmt: skip
INERT = {"f1": "'=HYPERLINK(", "f2": "'@SUM(1)"}
DDE_ID = "+cmd|' /C calc'!A0"


def messy_file(tmp_path) -> str:
    path = tmp_path / "crm.csv"
    path.write_text("\n".join([HEADER, *(line.text for line in MESSY_CRM)]) + "\n")
    return str(path)


def outcomes(summary: dict) -> dict[int, str]:
    """Line number -> outcome, from the files the run wrote."""
    found = {}
    for name, reason in (("dialable_path", "ok"), ("suppressed_path", None)):
        frame = pd.read_csv(summary[name], dtype=str, keep_default_na=False)
        for _, row_ in frame.iterrows():
            found[row_["contact_id"], row_["phone"]] = reason or row_["reason"]
    return found


def by_line(found: dict) -> dict[int, str]:
    expected_keys = {}
    for number, line in enumerate(MESSY_CRM, start=2):
        fields = next(csv.reader(io.StringIO(line.text)), [])
        if line.nice not in ("unreadable", "blank") and len(fields) > 1:
            expected_keys[number] = (fields[0], fields[1])
    neutral = {DDE_ID: "'" + DDE_ID}
    return {
        number: found.get((neutral.get(cid, cid), phone))
        for number, (cid, phone) in expected_keys.items()
    }


@pytest.fixture
def stand_in(admin_urls):
    with httpx.Client(base_url=f"{admin_urls.api}/_sim/admin", timeout=30) as control:
        yield control


@pytest.fixture
def frozen_now(sync_clock):
    return sync_clock


async def new_skill(credentials_block: str, calling_list: str) -> str:
    credentials = await load_credentials(credentials_block)
    async with credentials.get_client() as client:
        spec = CampaignSpec(
            name=f"Trust {uuid.uuid4().hex[:6]}",
            contact_list_id=calling_list,
            initial_status="paused",
        )
        return (await client.create_campaign(spec)).id


async def test_a_messy_crm_file_line_by_line_on_nice_cxone(
    nice_credentials, stand_in, frozen_now, tmp_path
):
    tag = uuid.uuid4().hex[:8]
    calling_list, group = f"Trust {tag}", f"Trust DNC {tag}"
    skill = await new_skill(nice_credentials, calling_list)
    unreadable = sum(line.nice == "unreadable" for line in MESSY_CRM)
    summary = await sync_dial_list(
        messy_file(tmp_path),
        calling_list,
        nice_credentials,
        skill_id=skill,
        dnc_group=group,
        for_day="today",
        output_dir=str(tmp_path / "out"),
        max_unreadable=unreadable,
    )
    # Every physical line is accounted for.
    assert summary["lines"] == len(MESSY_CRM)
    assert summary["read"] + summary["unreadable"] + summary["blank_lines"] == len(MESSY_CRM)
    assert summary["unreadable"] == unreadable
    listed = pd.read_csv(summary["unreadable_path"], dtype=str)
    expected_lines = [n for n, line in enumerate(MESSY_CRM, start=2) if line.nice == "unreadable"]
    assert listed["line"].astype(int).tolist() == expected_lines
    assert "unmatched quote" in listed["why"].iloc[0]
    # Each readable line has its outcome.
    got = by_line(outcomes(summary))
    want = {
        n: line.nice
        for n, line in enumerate(MESSY_CRM, start=2)
        if line.nice not in ("unreadable", "blank")
    }
    assert got == want
    details = pd.read_csv(summary["suppressed_path"], dtype=str, keep_default_na=False)
    detail = dict(
        zip(details["contact_id"] + "@" + details["phone"], details["detail"], strict=True)
    )
    assert "another row" in detail["a3@212.736.5802"]
    assert "line 7" in detail["C007@(212) 736-5808"]
    assert "scientific notation" in detail["e1@1.21274E+10"]
    assert "first_name has 600" in detail["l1@(212) 736-5826"]
    # Formulas are inert in the files people open and in the upload.
    dialable = pd.read_csv(summary["dialable_path"], dtype=str, keep_default_na=False)
    names = dict(zip(dialable["contact_id"], dialable["first_name"], strict=True))
    assert names["f1"].startswith(INERT["f1"]) and names["f2"] == INERT["f2"]
    assert "'" + DDE_ID in names
    # Honolulu's window is the campaign day's: 08:00 HST is 13:00 in New York.
    hawaii = dialable.set_index("contact_id").loc["h1"]
    assert hawaii["callable_from_local"] == "2026-11-30T08:00:00-10:00"
    assert hawaii["call_request_time"] == "2026-11-30 08:00:00"
    # The platform: the DNC group holds every DNC and revoked number and scrubs the skill.
    assert summary["scrubbed_skill"] == skill
    groups = {g["dncGroupName"]: g for g in stand_in.get("/dnc-groups").json()["dncGroups"]}
    held = {str(n["phoneNumber"])[-10:] for n in groups[group]["numbers"]}
    assert held == {"2127365802", "2127365803", "2127365811", "2127365812", "2127365813",
                    "2127365814"}  # fmt: skip
    assert int(skill) in groups[group]["scrubbedSkillIds"]
    # The list holds the dialable contacts once each, their cells inert.
    (calling,) = [
        c for c in stand_in.get("/lists").json()["lists"] if c["listName"] == calling_list
    ]
    records = stand_in.get(f"/lists/{calling['listId']}").json()["records"]
    assert sorted(r["ExternalId"] for r in records) == sorted(dialable["contact_id"])
    assert {r["ExternalId"]: r.get("FirstName") for r in records}["f2"] == "'@SUM(1)"
    # The stand-in dials the skill: nobody who must not be called is offered.
    # A number revoked or DNC is added to the group (and even if it were in the list, the
    # group scrubs the skill); a duplicate row never reached the list.
    dialled = stand_in.post(f"/skills/{skill}/dial").json()
    offered = [e["phone"] for e in dialled["entries"] if e["outcome"] == "offered"]
    assert sorted(offered) == sorted(p[-10:] for p in dialable["phone_e164"])
    assert len(offered) == len(set(offered))
    assert not set(offered) & held


async def test_a_refused_file_still_protects_the_skill_from_yesterdays_list(
    nice_credentials, stand_in, frozen_now, tmp_path
):
    """Too many unreadable lines: nothing is uploaded and yesterday's list stays, but the
    numbers revoked since reach the DNC group first, and the group scrubs the skill."""
    tag = uuid.uuid4().hex[:8]
    calling_list, group = f"Kept {tag}", f"Kept DNC {tag}"
    skill = await new_skill(nice_credentials, calling_list)
    out = str(tmp_path / "out")
    yesterday = tmp_path / "yesterday.csv"
    yesterday.write_text(HEADER + "\n" + row("a1", "(212) 736-5801") + "\n"
                         + row("a2", "(212) 736-5802") + "\n")  # fmt: skip
    await sync_dial_list(str(yesterday), calling_list, nice_credentials, skill_id=skill,
                         dnc_group=group, for_day="today", output_dir=out)  # fmt: skip
    today = tmp_path / "today.csv"
    today.write_text(HEADER + "\n" + row("a1", "(212) 736-5801") + "\n"
                     + row("a2", "(212) 736-5802", revoked="2026-11-30T01:00:00Z") + "\n"
                     + row("q1", "(212) 736-5821", '"O\'Brien') + "\n")  # fmt: skip
    with pytest.raises(DialListRefused, match=r"1 line\(s\).*line 4: an unmatched quote"):
        await sync_dial_list(str(today), calling_list, nice_credentials, skill_id=skill,
                             dnc_group=group, for_day="today", output_dir=out)  # fmt: skip
    dialled = stand_in.post(f"/skills/{skill}/dial").json()["entries"]
    outcome = {e["externalId"]: e["outcome"] for e in dialled}
    assert outcome == {"a1": "offered", "a2": "scrubbed"}


async def test_the_same_file_on_the_described_api_line_by_line(
    credentials_block, sim, frozen_now, tmp_path
):
    contacts = []
    for line in MESSY_CRM:
        if line.described is None:
            continue
        fields = next(csv.reader(io.StringIO(line.text)))
        values = dict(zip(HEADER.split(","), fields, strict=True))
        contacts.append(
            {
                "id": values["contact_id"],
                "phoneNumber": values["phone"],
                "firstName": values["first_name"],
                "lastName": values["last_name"],
                "state": values["state"],
                "postalCode": values["postal_code"],
                "consentFlags": {"outbound": {"call": values["consent_call"] == "true",
                                              "revokedAt": values["consent_revoked_at"] or None}},
                "doNotCall": values["dnc"] not in ("false", ""),
            }
        )  # fmt: skip
    sim.post("/_sim/contactlists", json={"list_id": "CL-MESSY", "count": 0}).raise_for_status()
    sim.post("/_sim/contactlists/CL-MESSY/contacts", json={"contacts": contacts}).raise_for_status()
    summary = await export_segmented_contacts(
        "CL-MESSY", str(tmp_path / "out"), credentials_block, for_day="today"
    )
    got = by_line(outcomes(summary))
    want = {
        n: line.described for n, line in enumerate(MESSY_CRM, start=2) if line.described is not None
    }
    assert {n: got[n] for n in want} == want
    dialable = pd.read_csv(summary["dialable_path"], dtype=str, keep_default_na=False)
    names = dict(zip(dialable["contact_id"], dialable["first_name"], strict=True))
    assert names["f2"] == INERT["f2"] and "'" + DDE_ID in names
