"""After a day of dialling, both platforms' clients read the same things back: every attempt
with its result and disposition, an agent's opt-out, a number's records, and their removal
(see conftest's `dialer`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from cxone import AttemptResult, CallAttempt

from .conftest import Dialer

PEOPLE = [
    ("p1", "2125550101", "America/New_York"),
    ("p2", "2125550102", "America/New_York"),
    ("p3", "2135550103", "America/Los_Angeles"),
]


async def read_back(dialer: Dialer, campaign_id: str, since, until) -> list[CallAttempt]:
    return [
        attempt
        async for page in dialer.client.call_attempts(campaign_id, since, until)
        for attempt in page
    ]


def list_ref() -> str:
    return f"dial-{uuid.uuid4().hex[:8]}"


async def test_every_attempt_of_a_day_reads_back_with_its_result(dialer: Dialer) -> None:
    campaign_id = await dialer.campaign(list_ref(), PEOPLE)
    start = dialer.now()
    made = dialer.dial(campaign_id, maxAttemptsPerRecord=2, retryMinutes=120)
    assert len(made) == 6

    read = await read_back(dialer, campaign_id, start, start + timedelta(days=1))
    assert [(a.number, a.result.value) for a in read] == [(m["number"], m["result"]) for m in made]
    assert len({a.attempt_id for a in read}) == 6
    assert {a.campaign_id for a in read} == {campaign_id}
    assert all(a.attempted_at.utcoffset() == timedelta(0) for a in read)
    for attempt in read:
        if attempt.result is AttemptResult.ABANDONED:
            assert (attempt.disposition_id, attempt.disposition_name) == (None, None)
        else:
            assert attempt.disposition_id and attempt.disposition_name
    # The first call to Los Angeles waits for 08:00 there: [since, until) picks by time.
    morning = await read_back(dialer, campaign_id, start, start + timedelta(minutes=30))
    assert [a.number for a in morning] == ["2125550101", "2125550102"]


async def test_an_agent_opt_out_reads_back_as_do_not_call(dialer: Dialer) -> None:
    campaign_id = await dialer.campaign(list_ref(), PEOPLE)
    dialer.opt_out([phone for _, phone, _ in PEOPLE])
    start = dialer.now()
    dialer.dial(campaign_id, maxAttemptsPerRecord=3, retryMinutes=60)

    read = await read_back(dialer, campaign_id, start, dialer.now())
    answered = [a for a in read if a.result is AttemptResult.ANSWERED]
    assert answered, "the seed answers some call"  # deterministic
    first_answer = {}
    for attempt in answered:
        first_answer.setdefault(attempt.number, attempt)
    assert {a.disposition_name for a in first_answer.values()} == {"Do Not Call"}


async def test_a_numbers_records_are_found_removed_and_never_dialled_again(
    dialer: Dialer,
) -> None:
    ref = list_ref()
    campaign_id = await dialer.campaign(ref, PEOPLE)
    found = await dialer.client.contacts_with_number(ref, ["(212) 555-0102", "2125550199"])
    assert found == {"2125550102": ["p2"], "2125550199": []}

    removed = await dialer.client.remove_contacts(ref, ["p2", "nobody"])
    assert removed.removed == 1
    assert [failed for failed, _ in removed.failures] == ["nobody"]
    assert await dialer.client.contacts_with_number(ref, ["2125550102"]) == {"2125550102": []}

    start = dialer.now()
    dialer.dial(campaign_id)
    read = await read_back(dialer, campaign_id, start, dialer.now())
    assert {a.number for a in read} == {"2125550101", "2135550103"}
