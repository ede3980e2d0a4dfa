"""One contract, two platforms: the described API's simulator and the NICE CXone stand-in.

Each `platform` fixture saves a credentials block for its stand-in and offers the few
controls the scenarios need (make a pair, set a campaign's numbers, read statuses and the
status changes that took effect, inject faults), so one scenario runs unchanged on both.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from blocks import load_credentials
from cxone import (
    AccessKeyConfig,
    AdminClient,
    CallingListColumns,
    CampaignPlatform,
    CampaignSpec,
    CXoneClient,
    CXoneConfig,
)


@dataclass
class Platform:
    name: str
    credentials_block: str
    control: httpx.Client
    prefix: str  # where the stand-in's control API lives
    _baseline: int = 0

    async def create_campaign(self, name: str, status: str) -> str:
        credentials = await load_credentials(self.credentials_block)
        spec = CampaignSpec(name=name, contact_list_id="CL-1", initial_status=status)
        async with credentials.get_client() as client:
            return (await client.create_campaign(spec, idempotency_key=str(uuid.uuid4()))).id

    async def pair(self) -> tuple[str, str]:
        """A new active primary and paused backup; `changes` counts from here on."""
        tag = uuid.uuid4().hex[:6]
        primary = await self.create_campaign(f"p-{tag}", "active")
        backup = await self.create_campaign(f"b-{tag}", "paused")
        self._baseline = len(self._all_changes())
        return primary, backup

    def set_rate(self, campaign_id: str, rate: float, calls: int) -> None:
        connects = round(rate * calls)
        if self.name == "described":
            body = {"successRate": rate, "callsAttempted": calls, "callsConnected": connects}
            response = self.control.put(f"/_sim/campaigns/{campaign_id}/metrics", json=body)
        else:
            body = {"dials": calls, "connects": connects, "handled": connects}
            response = self.control.post(f"/_sim/admin/skills/{campaign_id}/activity", json=body)
        response.raise_for_status()

    def statuses(self) -> dict[str, str]:
        if self.name == "described":
            campaigns = self.control.get("/_sim/campaigns").json()["campaigns"]
            return {c["id"]: c["status"] for c in campaigns}
        skills = self.control.get("/_sim/admin/skills").json()["skills"]
        return {str(s["skillId"]): "active" if s["isRunning"] else "paused" for s in skills}

    def _all_changes(self) -> list[tuple[str, str]]:
        if self.name == "described":
            return [
                (t["campaignId"], t["status"])
                for t in self.control.get("/_sim/transitions").json()["transitions"]
            ]
        return [
            (str(t["skillId"]), "active" if t["action"] == "start" else "paused")
            for t in self.control.get("/_sim/admin/transitions").json()["transitions"]
        ]

    def changes(self, *campaign_ids: str) -> list[tuple[str, str]]:
        """Status changes that took effect for these campaigns since `pair`, as (id, status)."""
        found = self._all_changes()[self._baseline :]
        return [change for change in found if change[0] in campaign_ids]

    def fault(self, **fault) -> None:
        self.control.post(f"{self.prefix}/faults", json=fault).raise_for_status()

    def create_request(self) -> dict:
        """Which request creates a campaign, as a fault's method and path."""
        if self.name == "described":
            return {"method": "POST", "path": "/omnichannel/campaigns"}
        return {"method": "POST", "path": "/skills"}

    def resume_request(self, campaign_id: str) -> dict:
        """Which request resumes the campaign, as a fault's method and path."""
        if self.name == "described":
            return {"method": "PUT", "path": f"/campaigns/{campaign_id}"}
        return {"method": "POST", "path": f"/skills/{campaign_id}/start"}

    def campaign_count(self, name: str) -> int:
        if self.name == "described":
            campaigns = self.control.get("/_sim/campaigns").json()["campaigns"]
            return sum(c["name"] == name for c in campaigns)
        skills = self.control.get("/_sim/admin/skills").json()["skills"]
        return sum(s["skillName"] == name for s in skills)


@pytest.fixture(params=["described", "admin"])
async def platform(
    request, sim, credentials_block, admin_urls, nice_credentials
) -> Iterator[Platform]:
    if request.param == "described":
        yield Platform("described", credentials_block, sim, "/_sim")
        return
    with httpx.Client(
        base_url=admin_urls.api, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
    ) as control:
        # No reset: the stand-in would hand out the same skill ids again, and the session's
        # Prefect server keeps pair state by campaign id. Faults are per test.
        control.delete("/_sim/admin/faults").raise_for_status()
        yield Platform("admin", nice_credentials, control, "/_sim/admin")


# Dialling: both stand-ins on a fake clock of their own, served on loopback, reached through
# the product's clients directly (no Prefect: the clients' protocol is what is under contract).

DIAL_START = datetime(2026, 3, 2, 15, tzinfo=UTC)  # 10:00 in New York
ZONE_NAMES = {
    "America/New_York": "Eastern Standard Time",
    "America/Los_Angeles": "Pacific Standard Time",
}
UPLOAD_HEADER = (
    "contact_id,phone,state,postal_code,time_zone,call_request_time,first_name,last_name\n"
)


@dataclass
class Dialer:
    """One platform's client, and the stand-in's controls a dialling scenario needs."""

    name: str
    client: CampaignPlatform
    control: httpx.Client
    prefix: str

    async def campaign(self, list_ref: str, contacts: list[tuple[str, str, str]]) -> str:
        """An active campaign dialing a list `list_ref` of (id, ten digits, IANA zone)."""
        spec = CampaignSpec(name=list_ref, contact_list_id=list_ref, initial_status="active")
        if self.name == "described":
            self.control.post("/_sim/contactlists", json={"list_id": list_ref, "count": 0})
            consent = {"outbound": {"call": True, "revokedAt": None}}
            people = [
                {
                    "id": cid,
                    "phoneNumber": f"+1{phone}",
                    "consentFlags": consent,
                    "doNotCall": False,
                }
                for cid, phone, _ in contacts
            ]
            added = self.control.post(
                f"/_sim/contactlists/{list_ref}/contacts", json={"contacts": people}
            )
            added.raise_for_status()
            return (await self.client.create_campaign(spec, idempotency_key=str(uuid.uuid4()))).id
        campaign = await self.client.create_campaign(spec, idempotency_key=str(uuid.uuid4()))
        list_id = await self.client.find_or_create_calling_list(list_ref, CallingListColumns())
        rows = "".join(f"{cid},{phone},,,{ZONE_NAMES[zone]},,,\n" for cid, phone, zone in contacts)
        job = await self.client.upload_calling_list(
            list_id,
            (UPLOAD_HEADER + rows).encode(),
            file_name=f"{list_ref}.csv",
            overwrite=True,
            skill_id=campaign.id,
            time_zone="Eastern Standard Time",
        )
        for _ in range(5):
            if (await self.client.get_upload_job(job)).finished:
                return campaign.id
        raise AssertionError(f"upload job {job} did not finish")

    def now(self) -> datetime:
        return datetime.fromisoformat(self.control.get(f"{self.prefix}/clock").json()["now"])

    def dial(self, campaign_id: str, hours: float = 24, **rules: object) -> list[dict]:
        """Dial from the stand-in's clock for `hours`; the attempts, each with its `number`."""
        owner = "campaigns" if self.name == "described" else "skills"
        until = self.now() + timedelta(hours=hours)
        answer = self.control.post(
            f"{self.prefix}/{owner}/{campaign_id}/dial-until",
            json={"until": until.isoformat(), **rules},
        )
        answer.raise_for_status()
        attempts = answer.json()["attempts"]
        for attempt in attempts:
            attempt["number"] = (attempt.get("phoneNumber") or attempt.get("phone"))[-10:]
        return attempts

    def opt_out(self, numbers: list[str]) -> None:
        """The next answered call to each number ends with the platform's "Do Not Call"."""
        code = "DNC" if self.name == "described" else 2005
        answer = self.control.put(f"{self.prefix}/dispositions", json=dict.fromkeys(numbers, code))
        answer.raise_for_status()


@pytest.fixture(scope="session")
def dialing_described() -> Iterator[str]:
    from simulator import FakeClock, SimulatorConfig, create_app, serve_in_thread

    app = create_app(SimulatorConfig(contact_lists={}), clock=FakeClock(DIAL_START))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="session")
def dialing_admin():
    from simulator import FakeClock, create_admin_apps, serve_admin_in_thread

    with serve_admin_in_thread(create_admin_apps(clock=FakeClock(DIAL_START))) as urls:
        yield urls


@pytest.fixture(params=["described", "admin"])
async def dialer(request, dialing_described, dialing_admin) -> AsyncIterator[Dialer]:
    """Each platform in turn, reset (its clock stays where the last test left it)."""
    if request.param == "described":
        url, prefix = dialing_described, "/_sim"
        client = CXoneClient(
            CXoneConfig(
                base_url=url,
                client_id="sim-client",
                client_secret="sim-secret",
                requests_per_minute=60_000,
            )
        )
    else:
        url, prefix = dialing_admin.api, "/_sim/admin"
        client = AdminClient(
            AccessKeyConfig(
                access_key_id="sim-access-key",
                access_key_secret="sim-access-secret",
                client_id="sim-app",
                client_secret="sim-app-secret",
                issuer=dialing_admin.issuer,
                requests_per_minute=60_000,
            )
        )
    with httpx.Client(base_url=url, timeout=30) as control:
        control.post(f"{prefix}/reset").raise_for_status()
        async with client:
            yield Dialer(request.param, client, control, prefix)
