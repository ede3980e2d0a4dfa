"""Shared fixtures for the client's unit tests: a config and a retry policy that never sleeps."""

import pytest

from cxone import CXoneConfig, RetryPolicy

# respx intercepts every request; this address is only a name (nothing listens on port 9).
BASE = "http://127.0.0.1:9"
SECRET = "s3cret-do-not-leak"


class RecordedSleep:
    """Stands in for asyncio.sleep and remembers every wait it was asked for."""

    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def config() -> CXoneConfig:
    return CXoneConfig(
        base_url=BASE, client_id="app", client_secret=SECRET, requests_per_minute=60_000
    )


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def policy(sleep) -> RetryPolicy:
    return RetryPolicy(
        max_retries=3, backoff_base=0.5, backoff_cap=30, sleep=sleep, random=lambda: 1.0
    )
