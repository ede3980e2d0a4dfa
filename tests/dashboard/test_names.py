"""Campaign names on their own: read in the background, kept, retried after failures."""

from __future__ import annotations

import pytest

from cxone import Campaign, CXoneNotFound, CXoneServerError
from dashboard.clients import PlatformClients
from dashboard.names import RETRY_SECONDS, CampaignNames

from .conftest import Seconds


class Platform:
    """A credentials block whose client answers names from a dict and counts its reads."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names, self.reads, self.down = names, [], False

    def get_client(self):
        return self

    async def get_campaign(self, campaign_id: str) -> Campaign:
        self.reads.append(campaign_id)
        if self.down:
            raise CXoneServerError("GET /campaigns answered 503")
        if campaign_id not in self.names:
            raise CXoneNotFound(f"{campaign_id} not found")
        return Campaign(id=campaign_id, name=self.names[campaign_id], status="active")

    async def aclose(self) -> None:
        pass


@pytest.fixture
def setup():
    platform, clock = Platform({"cmp_a": "Renewals", "cmp_b": "Win-back"}), Seconds()

    async def load(reference: str) -> Platform:
        return platform

    names = CampaignNames(PlatformClients(load), lambda _: "cxone", ttl_seconds=600, clock=clock)
    return names, platform, clock


async def test_names_are_read_once_and_kept_until_due(setup):
    names, platform, clock = setup
    names.want(["cmp_a", "cmp_b", "cmp_gone"])
    assert names.name("cmp_a") is None  # asking never waits for a read
    await names.read_wanted()
    assert (names.name("cmp_a"), names.name("cmp_b"), names.name("cmp_gone")) == (
        "Renewals",
        "Win-back",
        None,
    )
    for _ in range(5):  # page refreshes
        names.want(["cmp_a", "cmp_b", "cmp_gone"])
        await names.read_wanted()
    assert sorted(platform.reads) == ["cmp_a", "cmp_b", "cmp_gone"]
    clock.now += 601
    platform.names["cmp_a"] = "Renewals 2027"
    names.want(["cmp_a"])
    await names.read_wanted()
    assert names.name("cmp_a") == "Renewals 2027"


async def test_a_failed_read_keeps_the_name_and_is_retried_later(setup, caplog):
    names, platform, clock = setup
    names.want(["cmp_a", "cmp_b"])
    await names.read_wanted()
    clock.now += 601
    platform.down = True
    names.want(["cmp_a", "cmp_b"])
    await names.read_wanted()
    assert names.name("cmp_a") == "Renewals"  # still shown
    assert caplog.text.count("could not read the names of 2 campaigns") == 1  # one line
    reads = len(platform.reads)
    clock.now += RETRY_SECONDS - 1
    names.want(["cmp_a"])
    await names.read_wanted()
    assert len(platform.reads) == reads
    clock.now += 2
    platform.down = False
    names.want(["cmp_a"])
    await names.read_wanted()
    assert len(platform.reads) == reads + 1


async def test_values_that_are_not_ids_are_never_read(setup):
    names, platform, _ = setup
    names.want(["..", "a/b", "", "cmp_a"])
    await names.read_wanted()
    assert platform.reads == ["cmp_a"]
