"""Exactly-once operations: a claim, a key per step, a lease, and takeover.

Every operation that must happen once whatever runs race for it or die half-way (a failover,
a restore, a campaign creation, a webhook registration, a dial-list upload) goes through this
module:

1. **Claim.** The first run creates the operation's `IdempotencyRecord`; the server refuses a
   second document of that name, so exactly one run holds it.
2. **A key per step.** The record holds an idempotency key for each named step. A step is
   sent with its key and its answer is recorded once confirmed; a recorded step is never sent
   again. A short operation whose steps follow one another at once (a failover's pause and
   resume) may record its answers with its end instead (`write_each_step=False`): one write
   fewer per step on the failover's hot path, and a holder that dies between the steps leaves
   them to be sent again with their keys.
3. **A lease.** The holder renews `lease_expires_at` while it works. Nobody acts beside a live
   holder: other runs wait for it (`settle`).
4. **Takeover.** A run may take over a record whose lease lapsed, whose holder's flow run has
   ended, or that failed (after its backoff). Creating an `OperationTakeover` document for the
   next generation is the atomic claim of the takeover. Taking over is safe because every step
   re-sends the key stored for it (the platform replays instead of acting twice) and is
   confirmed by reading the campaign back; on a platform without keys, steps are written to
   read before they write. The dead holder's requests cannot still be in flight either: each
   API call has a deadline well under the lease.

A holder whose lease lapsed and was taken over stops at its next step, and a step it was
carrying out when it was taken over is not recorded (`LeaseLost`).

Every exactly-once job (provision, failover, restore, the abandonment guard's pause, webhook
registration, dial-list upload) goes through `run_once`: settle behind a live holder, stop
at an applied record, otherwise claim or take over, run the steps, and wait again when
another run got there first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed

from . import _documents, _prefect, clock, pause_points
from .idempotency import (
    IdempotencyRecord,
    OperationTakeover,
    legacy_record_name,
    record_name,
    takeover_name,
)

logger = logging.getLogger(__name__)

LEASE_ENV = "CXONE_OPERATION_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 30.0
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 300.0
# A run waiting behind a live holder reads the record after POLL_SECONDS, then twice as long
# each time, at most MAX_POLL_SECONDS: in a storm, a fleet run that meets the responder's
# batch mid-failover waits on a dozen records at once, and reading each five times a second
# took the Prefect server's time from the failovers it waited for.
POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 1.0
OWNER_CHECK_SECONDS = 1.0
FINISH_TIMEOUT_SECONDS = 10.0


T = TypeVar("T")


def lease_seconds() -> float:
    """How long a holder's lease lasts: `CXONE_OPERATION_LEASE_SECONDS`, default 30."""
    return float(os.environ.get(LEASE_ENV) or DEFAULT_LEASE_SECONDS)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failure before the next attempt.

    Example:
        >>> [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 9)]
        [5.0, 10.0, 20.0, 300.0, 300.0]
    """
    return dt.timedelta(seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1)))


class OperationTaken(Exception):
    """Another run claimed or took over the operation first; wait for it with `settle`."""


class OperationBusy(Exception):
    """A live holder kept the operation for longer than this run would wait."""


class RetryLater(Exception):
    """The operation failed recently; its next attempt is not due yet."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(
            f"{record.operation}: attempt {record.attempts} failed ({record.error}); "
            f"next attempt at {record.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        self.record = record


class LeaseLost(Exception):
    """This run's lease lapsed and another run took the operation over."""


@dataclass(frozen=True)
class OperationIdentity:
    """What an operation acts on, exactly: its kind, the ids, and the episode."""

    kind: str
    subject: Mapping[str, str] = field(default_factory=dict)
    episode: int | None = None

    @property
    def name(self) -> str:
        """Where a new claim of the operation is saved."""
        return record_name(self.kind, self.subject, self.episode)

    @property
    def legacy_name(self) -> str | None:
        """Where a record claimed before record labels named the primary first is saved, when
        that differs from `name`: such a record (applied, or in flight) is the operation's."""
        legacy = legacy_record_name(self.kind, self.subject, self.episode)
        return legacy if legacy != self.name else None


def _this_run() -> tuple[str | None, str | None]:
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None, None
    return str(context.flow_run.id), context.flow_run.name


def _stamp(text: str) -> str:
    return f"{clock.now():%Y-%m-%d %H:%M:%S}Z {text}"


async def load(identity: OperationIdentity) -> IdempotencyRecord | None:
    """The operation's record, or None while nobody has claimed it.

    A record saved under the operation's legacy name (`OperationIdentity.legacy_name`) is
    the operation's too: found there, it is worked on under that name (taken over, applied),
    so an upgrade never claims an operation applied or in flight a second time. New claims
    are made under `name` only, after this read found no record under either.
    """
    record = await _documents.read(IdempotencyRecord, identity.name)
    if record is None and identity.legacy_name is not None:
        record = await _documents.read(IdempotencyRecord, identity.legacy_name)
    return record


async def load_many(identities: Iterable[OperationIdentity]) -> dict[str, IdempotencyRecord]:
    """The records of the claimed ones among `identities`, by `name`, read together (a
    fleet's in a few calls instead of one each); a record under an identity's legacy name
    counts, as in `load`."""
    wanted = list(identities)
    legacy = [i.legacy_name for i in wanted if i.legacy_name is not None]
    found = await _documents.read_named(IdempotencyRecord, [*(i.name for i in wanted), *legacy])
    records: dict[str, IdempotencyRecord] = {}
    for identity in wanted:
        record = found.get(identity.name) or found.get(identity.legacy_name or identity.name)
        if record is not None:
            records[identity.name] = record
    return records


def _lease_lapsed(record: IdempotencyRecord) -> bool:
    return record.lease_expires_at is None or record.lease_expires_at <= clock.now()


async def _owner_run_ended(record: IdempotencyRecord) -> bool:
    """Whether the holder's flow run is over (or is this very run, retried)."""
    if record.owner is None:
        return False
    if record.owner == _this_run()[0]:
        return True
    async with _prefect.api_client() as client:
        try:
            run = await client.read_flow_run(uuid.UUID(record.owner))
        except ObjectNotFound:
            return True
    return run.state is not None and run.state.is_final()


async def settle(
    identity: OperationIdentity, record: IdempotencyRecord | None, max_wait: float
) -> IdempotencyRecord | None:
    """Wait while a live holder works on the operation; return the record once nobody
    live holds it (applied, failed, or abandoned by a holder that died).

    Raises:
        OperationBusy: the holder stayed alive and busy for `max_wait` seconds.
    """
    deadline = asyncio.get_running_loop().time() + max_wait
    next_owner_check, delay = 0.0, POLL_SECONDS
    while record is not None and record.status == "pending" and not _lease_lapsed(record):
        now = asyncio.get_running_loop().time()
        if now >= next_owner_check:
            if await _owner_run_ended(record):
                return record
            next_owner_check = now + OWNER_CHECK_SECONDS
        if now > deadline:
            raise OperationBusy(
                f"{record.operation} is still held by flow run "
                f"{record.owner_name or record.owner} after {max_wait:.0f}s"
            )
        await _wait(delay)
        delay = min(delay * 2, MAX_POLL_SECONDS)
        record = await load(identity)
    return record


_wait = asyncio.sleep  # between a waiter's reads (a test counts them)


class HeldOperation:
    """An operation this run holds: run its steps, keep the lease, finish it.

    `write_each_step`: a step's answer is written once confirmed (the default), or kept for
    the next write of the record, its end or its failure (see `hold`).
    """

    def __init__(
        self, record: IdempotencyRecord, lease: float, write_each_step: bool = True
    ) -> None:
        self.record = record
        self._lease = lease
        self._write_each_step = write_each_step
        self._lost = False
        self._current: str | None = None  # the step in progress, named in a failure
        # When (event-loop time) this run last found the operation still its own (a claim or
        # takeover just made counts), None once a step's action ran since: see `_fence`.
        self._checked_at: float | None = asyncio.get_running_loop().time()
        # Confirmations not written yet, stamped when confirmed: the last step's always goes
        # with the record's end (applied or failed) in one update instead of two, as nothing
        # is sent to the platform in between; every step's does without `write_each_step`.
        self._unwritten: list[str] = []

    @property
    def name(self) -> str:
        return _prefect.document_name(self.record) or ""

    async def step(
        self, name: str, action: Callable[[str], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Carry out step `name` once: `action(key)` unless the record has its answer.

        Fenced on both sides: a holder taken over neither starts the step nor records its
        answer (the new holder carries the step out again with the same key).

        Raises:
            LeaseLost: another run took the operation over; this run must stop.
        """
        if self.record.done(name):
            answer: dict[str, Any] = self.record.answers[name]
            return answer
        await self._fence()  # a holder that stalled stops here
        self._current, self._checked_at = name, None
        answer = await action(self.record.keys[name])
        await pause_points.point(pause_points.STEP_DONE, record=self.name, step=name)
        await self._fence()  # taken over meanwhile: the new holder's answers stand
        self._current = None
        self.record.answers = {**self.record.answers, name: answer}
        last = bool(self.record.steps) and name == self.record.steps[-1]
        if last or not self._write_each_step:
            self._unwritten.append(_stamp(f"{name} confirmed"))  # written with the next write
        else:
            await self._write(f"{name} confirmed", "answers")
        return answer

    async def _fence(self) -> None:
        """Stop a holder taken over. The server is not asked again when no step's action ran
        since the last check and that check is recent (a tenth of the lease): a takeover
        needs the lease to lapse or this run to end, and the lease renewer checks meanwhile
        too. So a step's check after its action also serves the next step, or the end."""
        now = asyncio.get_running_loop().time()
        recent = self._checked_at is not None and now - self._checked_at < self._lease / 10
        if self._lost or (not recent and await self._taken_over()):
            raise LeaseLost(f"{self.record.operation}: another run took over")
        if not recent:
            self._checked_at = now

    async def note(self, text: str) -> None:
        """Add a line to the record's history."""
        await self._write(text)

    async def _write(self, event: str, *fields: str, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.record, key, value)
        unwritten = bool(self._unwritten)
        self.record.history = [*self.record.history, *self._unwritten, _stamp(event)]
        self.record.updated_at = clock.now()
        if unwritten:  # the answers of the steps confirmed since go with this write
            fields = (*fields, "answers")
            self._unwritten = []
        await _documents.update(self.record, *fields, *changes, "history", "updated_at")

    async def _taken_over(self) -> bool:
        """Whether another run took the operation over (then this one has lost it)."""
        successor = takeover_name(self.name, self.record.generation + 1)
        if not self._lost and await _documents.exists_together(OperationTakeover, successor):
            self._lost = True
            logger.warning("%s was taken over by another run", self.record.operation)
        return self._lost

    async def _renew(self) -> None:
        """Extend the lease every third of it, until cancelled or taken over."""
        while True:
            await asyncio.sleep(self._lease / 3)
            await pause_points.point(pause_points.LEASE_RENEW, record=self.name)
            if await self._taken_over():
                return
            self.record.lease_expires_at = clock.now() + dt.timedelta(seconds=self._lease)
            await _documents.update(self.record, "lease_expires_at")

    async def _apply(self) -> None:
        await self._write(
            "applied", status="applied", lease_expires_at=None, error=None, next_attempt_at=None
        )

    async def _fail(self, error: BaseException) -> None:
        attempts = self.record.attempts + 1
        text = f"{type(error).__name__}: {error}"
        if self._current is not None:
            text = f"step {self._current}: {text}"
        # A run stopped from outside (cancelled, terminated) says nothing about the platform:
        # the next run may go on at once. Only errors wait for the backoff.
        interrupted = not isinstance(error, Exception)
        await self._write(
            f"attempt {attempts} {'interrupted' if interrupted else 'failed'}: {text}",
            status="failed",
            error=text,
            attempts=attempts,
            next_attempt_at=None if interrupted else clock.now() + retry_delay(attempts),
            lease_expires_at=None,
        )


async def _claim(
    identity: OperationIdentity, steps: list[str], description: str, lease: float
) -> IdempotencyRecord:
    owner, owner_name = _this_run()
    now = clock.now()
    record = IdempotencyRecord(
        kind=identity.kind,
        subject=dict(identity.subject),
        episode=identity.episode,
        operation=description,
        steps=steps,
        keys={step: str(uuid.uuid4()) for step in steps},
        owner=owner,
        owner_name=owner_name,
        lease_expires_at=now + dt.timedelta(seconds=lease),
        history=[_stamp(f"claimed by {owner_name or 'a process outside Prefect'}")],
        created_at=now,
        updated_at=now,
    )
    try:
        await _documents.create(record, identity.name)
    except _documents.DocumentExists:
        raise OperationTaken(identity.name) from None
    return record


async def _retire(owner: str, reason: str) -> None:
    """Mark a dead holder's flow run Crashed: a killed process never reports its own end."""
    try:
        async with _prefect.api_client() as client:
            run = await client.read_flow_run(uuid.UUID(owner))
            if run.state is not None and not run.state.is_final():
                await client.set_flow_run_state(run.id, Crashed(message=reason), force=True)
    except Exception as exc:  # the takeover stands whether or not the old run can be marked
        logger.warning("could not mark flow run %s crashed: %s", owner, exc)


async def _take_over(record: IdempotencyRecord, lease: float, backoff: bool) -> IdempotencyRecord:
    name = _prefect.document_name(record) or ""
    if record.status == "failed":
        if backoff and record.next_attempt_at is not None and clock.now() < record.next_attempt_at:
            raise RetryLater(record)
        reason = f"attempt {record.attempts} failed: {record.error}"
    else:
        holder = record.owner_name or record.owner or "a process outside Prefect"
        reason = f"holder {holder} stopped renewing its lease or ended"
    owner, owner_name = _this_run()
    generation = record.generation + 1
    while True:
        takeover = OperationTakeover(
            record=name, generation=generation, owner=owner, owner_name=owner_name, reason=reason
        )
        try:
            await _documents.create(takeover, takeover_name(name, generation))
            break
        except _documents.DocumentExists:
            other = await _documents.read(OperationTakeover, takeover_name(name, generation))
            if other is not None and clock.now() - other.taken_at < dt.timedelta(seconds=lease):
                raise OperationTaken(name) from None
            generation += 1  # that taker died before it could update the record
    if record.status == "pending" and record.owner and record.owner != owner:
        await _retire(record.owner, f"lease lapsed; operation {name} taken over by {owner_name}")
    record.generation, record.owner, record.owner_name = generation, owner, owner_name
    record.status, record.lease_expires_at = "pending", clock.now() + dt.timedelta(seconds=lease)
    record.history = [*record.history, _stamp(f"taken over by {owner_name}: {reason}")]
    record.updated_at = clock.now()
    fields = ("generation", "owner", "owner_name", "status", "lease_expires_at", "history")
    await _documents.update(record, *fields, "updated_at")
    return record


@asynccontextmanager
async def hold(
    identity: OperationIdentity,
    steps: list[str],
    description: str,
    record: IdempotencyRecord | None = None,
    backoff: bool = True,
    write_each_step: bool = True,
) -> AsyncIterator[HeldOperation]:
    """Claim the operation (no `record` yet) or take over `record`, and hold it.

    Inside the block, run the steps with `HeldOperation.step`. Leaving it normally marks the
    operation applied; an exception marks it failed with a backoff before the next attempt
    (`backoff=False`: an operator's re-run may retry at once), and is re-raised.

    `write_each_step=False` writes the steps' answers with the end (applied, or failed: a
    failed attempt records what it confirmed) instead of one update each. For an operation
    whose steps follow one another at once; a holder that dies between them leaves them
    unrecorded, and the next holder sends them again with the same keys (the platform
    replays, or the step reads before it writes).

    Raises:
        OperationTaken: another run claimed or took it over first.
        RetryLater: `record` failed and its next attempt is not due yet.
    """
    lease = lease_seconds()
    if record is None:
        record = await _claim(identity, steps, description, lease)
    else:
        record = await _take_over(record, lease, backoff)
    held = HeldOperation(record, lease, write_each_step)
    renewer = asyncio.create_task(held._renew())
    try:
        try:
            yield held
        finally:
            await _stop(renewer)
    except BaseException as exc:
        if not isinstance(exc, LeaseLost):
            # Shielded: a flow timeout cancels this scope, and the failure must still be
            # recorded. If even this write fails, the lapsing lease lets the next run in.
            # A holder taken over meanwhile records nothing: the record is its successor's.
            with anyio.CancelScope(shield=True), anyio.move_on_after(FINISH_TIMEOUT_SECONDS):
                if not await held._taken_over():
                    await held._fail(exc)
        raise
    await held._fence()  # taken over after its last step: the new holder finishes it
    await held._apply()


async def _stop(renewer: asyncio.Task[None]) -> None:
    """Cancel the lease renewer and wait until it has stopped (no renewal after the end)."""
    renewer.cancel()
    with anyio.CancelScope(shield=True), suppress(asyncio.CancelledError):
        await renewer


class Unread:
    """A record nobody read beforehand (`run_once` reads it)."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD = Unread()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """How `run_once` ended.

    `held`: this run carried the steps out (or finished them after another holder), and
    `value` is what its work returned. Otherwise the record was applied already (or the
    `settled` callback stopped the run, with its `value`).
    """

    record: IdempotencyRecord | None
    value: T | None = None
    held: bool = False

    @property
    def applied_before(self) -> bool:
        """Whether another run (or an earlier one) had applied the operation already."""
        return not self.held and self.record is not None and self.record.status == "applied"


Settled = Callable[[IdempotencyRecord | None], Awaitable["Outcome[T] | None"]]


async def _applied(record: IdempotencyRecord | None) -> Outcome[Any] | None:
    """The usual reading of a settled record: an applied one is done."""
    if record is not None and record.status == "applied":
        return Outcome(record)
    return None


async def run_once(
    identity: OperationIdentity,
    steps: Sequence[str],
    description: str,
    work: Callable[[HeldOperation], Awaitable[T]],
    *,
    max_wait: float,
    backoff: bool = True,
    settled: Settled[T] = _applied,
    record: IdempotencyRecord | Unread | None = UNREAD,
    write_each_step: bool = True,
) -> Outcome[T]:
    """Carry out an operation exactly once, however many runs race for it or died in it.

    Settles behind a live holder (`settle`), then asks `settled(record)` whether the record
    as it now stands ends the run (by default: an applied one does); if not, claims the
    operation (no record yet) or takes it over (failed, or abandoned by a holder that died),
    and runs `work(held)`, which carries out the steps with `held.step`. When another run
    claims or takes it over first, this run settles behind that one and asks again.

    Args:
        identity: What the operation acts on.
        steps: Its steps, in order.
        description: What it does, in words (kept in the record).
        work: Carries out the steps; its return value is the outcome's `value`.
        max_wait: How long to wait behind a live holder.
        backoff: Whether a failed attempt waits for its backoff before the next one
            (`False`: an operator's re-run may retry at once).
        settled: Reads a settled record: an `Outcome` ends the run with it, None goes on.
        record: The record as read beforehand (a fleet reads many at once), for the first
            pass only.
        write_each_step: Whether each step's answer is written once confirmed, or all of
            them with the end (see `hold`).

    Returns:
        The outcome: `held` when this run carried out (or finished) the steps.

    Raises:
        OperationBusy: a live holder kept it for longer than `max_wait`.
        RetryLater: it failed recently and its next attempt is not due yet.
        LeaseLost: this run was taken over while it held the operation.

    Example:
        ```python
        outcome = await operation.run_once(
            identity, ["create"], "create campaign", lambda held: held.step("create", create),
            max_wait=60,
        )
        ```
    """
    while True:
        loaded = await load(identity) if isinstance(record, Unread) else record
        record = UNREAD
        settled_record = await settle(identity, loaded, max_wait)
        done = await settled(settled_record)
        if done is not None:
            return done
        try:
            async with hold(
                identity, list(steps), description, settled_record, backoff, write_each_step
            ) as held:
                value = await work(held)
        except OperationTaken:
            continue  # another run holds it now: wait for its outcome
        return Outcome(held.record, value, held=True)


class _Retired(Exception):
    """Ends a taken-over holder's operation without running its steps."""


async def retire(identity: OperationIdentity, record: IdempotencyRecord, reason: str) -> None:
    """Take over a record whose holder died or failed and end it, unapplied, so that the dead
    holder cannot carry out another step (its job is redone under another identity)."""
    with suppress(_Retired, OperationTaken):
        async with hold(identity, record.steps, record.operation, record, backoff=False):
            raise _Retired(reason)
