"""One contract, two platforms: the described API's simulator and the NICE CXone stand-in.

Each `platform` fixture saves a credentials block for its stand-in and offers the few
controls the scenarios need (make a pair, set a campaign's numbers, read statuses and the
status changes that took effect, inject faults), so one scenario runs unchanged on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from blocks import load_credentials
from cxone import CampaignSpec


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
