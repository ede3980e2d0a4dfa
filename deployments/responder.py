"""The responder: run the failover the moment a low-success event arrives, and apply a
revocation the moment the dashboard announces one (when `apply-revocations` is deployed).

`python -m deployments.responder` runs it as a long-lived service beside the workers (the
fast path in production); `python -m deployments.serve` also runs it in its serving process.
A deployment trigger would start a new flow-run process for each event (a runner or worker
poll plus a Python start-up: seconds); this warm process calls the flow directly. The
`failover-on-low-success` trigger stays as the safety net: it fires only when no evaluation
follows a low event within seconds (see `deployments/definitions.py`).

A low event opens a gathering that lasts `BATCH_WINDOW_SECONDS`; the events that arrive
meanwhile (a storm: many primaries collapsing together) are evaluated together by one
`monitor_pairs` run, with the fleet's bulk reads: fifty runs of their own would each make
some 25 calls to the Prefect server, and the server, not the platform, would set the pace. A
lone event gets a `monitor_campaigns` run of its own when the window ends, and so does a pair
not saved as a `FailoverPair` (or saved with another backup).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.context import SyncClientContext
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.exceptions import ObjectNotFound
from prefect.logging import get_logger
from prefect.results import aget_default_result_storage, should_persist_result
from prefect.settings import get_current_settings

from blocks import register_block_types
from flows._events import announce_taken_up
from flows.monitor import SavedPairs, monitor_campaigns, monitor_pairs, read_saved_pairs
from flows.revocations import RECEIVED_EVENT, apply_revocations

from .definitions import FAILOVER_PARAMETERS, LOW_SUCCESS_EVENT

REVOCATIONS_DEPLOYMENT = "apply-revocations/apply-revocations"
READY_FILE_ENV = "CXONE_RESPONDER_READY_FILE"

# Prefect's logger tree: its console handler shows INFO lines in the service's log.
logger = get_logger("responder")


# Low events this close after the first of a gathering start together in one run. A run per
# pair costs the Prefect server ~25 calls (it serves ~70 a second on two cores), a batch a
# few bulk reads and the failover's own writes per pair. A quarter of a second is short
# beside a failover (2-3 s in a storm) and gathers a polled storm's events into one run.
# The first event waits too: started at once, its run of its own cost the busy server those
# ~25 calls beside the batch's, and the events behind it, slowed by them, split the rest
# into two or three batches (NICE storms, docs/benchmarks.md: p99 3.8-4.5 s with one batch
# against 4.1-6.6 s). A lone collapse is answered a quarter of a second later for it.
BATCH_WINDOW_SECONDS = 0.25


def under_way(parameters: dict[str, Any]) -> None:
    """Announce that the event's pair is being evaluated (`cxone.campaign.evaluating`), which
    is what the safety-net trigger waits for."""
    announce_taken_up(
        parameters["primary_campaign_id"],
        parameters["backup_campaign_id"],
        reason="an evaluation of the pair is under way in the responder",
    )


@dataclass
class Batch:
    """Low events gathered for one run: each pair's failover parameters, by primary."""

    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    # The saved pairs, read while the batch gathers (the window is not spent waiting on it).
    saved: asyncio.Future[SavedPairs] | None = None

    @property
    def primaries(self) -> list[str]:
        return list(self.parameters)


class Responder:
    """Runs the failover for each low-success event; one run per pair at a time.

    A low reading arrives with every metrics update while a campaign is low; while a run for
    that pair is going (or gathered to start), further events for it are dropped (the run
    reads fresh metrics) and acknowledged with `cxone.campaign.evaluating`: the safety-net
    trigger waits for an evaluation after each low event, and a run slower than its window
    (a storm on a busy server) would otherwise start a deployment run for every repeated
    reading, which slows the server further. An event with no gathering open opens one, and
    the events that arrive within `window` seconds join it; when the window ends they start
    together: `batch` (`monitor_pairs`) for the pairs it evaluates as `failover` would
    (`SavedPairs.batchable`, on the pairs read from the gathering's second event on),
    `failover` for each other pair, and for a lone event.

    Args:
        failover: The flow run for one pair (`monitor_campaigns`'s parameters).
        batch: The flow run for several pairs (`monitor_pairs`'s parameters).
        window: Seconds a gathering lasts from its first event.
        sleep: Waits the given seconds (injected by tests, to start a batch when they say).
        saved_pairs: Reads the saved pairs (`read_saved_pairs`), which say what the `batch`
            flow may evaluate.
        acknowledge: Announces that a dropped event's pair is being evaluated (its
            parameters); by default emits `cxone.campaign.evaluating` about the pair.
    """

    def __init__(
        self,
        failover: Flow[..., Any] = monitor_campaigns,
        batch: Flow[..., Any] = monitor_pairs,
        window: float = BATCH_WINDOW_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        saved_pairs: Callable[[], Awaitable[SavedPairs]] = read_saved_pairs,
        acknowledge: Callable[[dict[str, Any]], None] = under_way,
    ) -> None:
        self._running: dict[str, asyncio.Task] = {}
        self.failover = failover  # the flow a lone event runs
        self.batch = batch  # the flow a batch of events runs
        self.window, self._sleep = window, sleep
        self._saved_pairs = saved_pairs
        self._acknowledge = acknowledge
        self._gathering: Batch | None = None

    def handle(self, payload: dict) -> asyncio.Task | None:
        """Gather the event's pair into the batch about to start (a new one if none),
        unless a run for it is going or gathered already.

        Returns:
            The task that runs the pair's batch, or None when the event is dropped (and
            acknowledged).

        Raises:
            KeyError: the payload lacks one of `FAILOVER_PARAMETERS`.
        """
        parameters = {name: payload[name] for name in FAILOVER_PARAMETERS}
        primary = parameters["primary_campaign_id"]
        if primary in self._running:
            self._acknowledge(parameters)
            return None
        batch = self._gathering
        if batch is None:
            batch = self._gathering = Batch()
            batch.task = asyncio.create_task(self._start(batch))
        elif batch.saved is None:  # a second event: a storm, read the pairs while it gathers
            batch.saved = asyncio.ensure_future(self._saved_pairs())
        assert batch.task is not None
        batch.parameters[primary] = parameters
        self._running[primary] = batch.task
        return batch.task

    async def _start(self, batch: Batch) -> None:
        """Start the batch once its window is over."""
        try:
            await self._sleep(self.window)
            self._gathering = None  # later events gather for the next start
            await self._evaluate(batch)
        finally:
            if batch.saved is not None:  # stopped before it started: nobody will read them
                batch.saved.cancel()
            for primary in batch.primaries:
                self._running.pop(primary, None)

    async def _evaluate(self, batch: Batch) -> None:
        """One `batch` run for the batchable pairs (two or more), a `failover` run each for
        the others; a lone event runs `failover` with no bulk read first (the pairs are read
        from a gathering's second event on)."""
        events = list(batch.parameters.values())
        saved, batch.saved = batch.saved, None
        together: set[str] = set()
        if saved is not None:
            named = {p["primary_campaign_id"]: p["backup_campaign_id"] for p in events}
            try:
                together = (await saved).batchable(named)
            except Exception:
                # Each pair alone then, as before batching: its run reports what is wrong.
                logger.exception("Could not read the pairs of %s", ", ".join(named))
        grouped = [p["primary_campaign_id"] for p in events if p["primary_campaign_id"] in together]
        if len(grouped) < 2:
            grouped = []
        runs = [self._run(p) for p in events if p["primary_campaign_id"] not in grouped]
        if grouped:
            runs.append(self._run_batch(grouped))
        await asyncio.gather(*runs)

    async def _run(self, parameters: dict) -> None:
        try:
            result = await self.failover(**parameters)
            logger.info(
                "Responded to %s for %s: %s",
                LOW_SUCCESS_EVENT,
                parameters["primary_campaign_id"],
                result["action"],
            )
        except Exception:
            # The flow run records its own failure; the listener must keep listening.
            logger.exception("Failover for %s failed", parameters["primary_campaign_id"])

    async def _run_batch(self, primaries: list[str]) -> None:
        try:
            # Every pair of the batch at once, as a run of its own each would have been.
            result = await self.batch(primary_campaign_ids=primaries, concurrency=len(primaries))
            for row in result["pairs"]:
                logger.info(
                    "Responded to %s for %s: %s",
                    LOW_SUCCESS_EVENT,
                    row["primary_campaign_id"],
                    row["action"],
                )
        except Exception:
            logger.exception("Failover for %s failed", ", ".join(primaries))

    def handle_revocation(self, payload: dict) -> asyncio.Task:
        """Apply the revocation batch the dashboard announced, with the `apply-revocations`
        deployment's settings (its DNC group, calling lists and credentials) as they are
        now: a deployment served or changed after the responder started counts."""
        batch = str(payload["batch"])
        task = asyncio.create_task(self._revoke(batch))
        self._running[f"revocation:{batch}"] = task
        task.add_done_callback(lambda _: self._running.pop(f"revocation:{batch}", None))
        return task

    async def _revoke(self, batch: str) -> None:
        try:
            settings = await revocation_settings()
            if settings is None:
                logger.warning(
                    "Revocation batch %s not applied here: %s is not deployed",
                    batch,
                    REVOCATIONS_DEPLOYMENT,
                )
                return
            result = await apply_revocations(**settings, batch=batch)
            logger.info("Applied revocation batch %s: %s numbers", batch, result["numbers"])
        except Exception:
            logger.exception("Revocation batch %s failed", batch)

    async def wait(self) -> None:
        await asyncio.gather(*self._running.values(), return_exceptions=True)


async def revocation_settings() -> dict | None:
    """The `apply-revocations` deployment's parameters (None when it is not deployed)."""
    async with get_client() as client:
        try:
            deployment = await client.read_deployment_by_name(REVOCATIONS_DEPLOYMENT)
        except ObjectNotFound:
            return None
    return {key: value for key, value in deployment.parameters.items() if key != "batch"}


async def respond_to_low_success(ready_file: Path | None = None) -> None:
    """Listen for low-success events from now on and run the failover for their pairs (a
    storm's events together, see `Responder`); apply each revocation the dashboard announces
    (when `apply-revocations` is deployed by then: `serve` starts this before its deployments
    are registered).

    Args:
        ready_file: Written once subscribed (what a supervisor waits for, whatever the log
            level), removed when the responder stops.
    """
    await register_block_types()  # before the first event: keeps it off the hot path
    names = [LOW_SUCCESS_EVENT, RECEIVED_EVENT]
    events = EventFilter(
        event=EventNameFilter(name=names),
        occurred=EventOccurredFilter(since=dt.datetime.now(dt.UTC)),  # no backlog replay
    )
    responder = Responder()
    # The failovers still running when the listening stops finish on the shared client.
    async with shared_clients():
        try:
            responder.failover = await with_result_settings(monitor_campaigns)
            responder.batch = await with_result_settings(monitor_pairs)
            async with get_events_subscriber(filter=events) as subscriber:
                logger.info("Listening for %s", ", ".join(names))
                if ready_file is not None:
                    write_ready_file(ready_file)
                async for event in subscriber:
                    if event.event == RECEIVED_EVENT:
                        responder.handle_revocation(event.payload)
                    else:
                        responder.handle(event.payload)
        finally:
            if ready_file is not None:
                ready_file.unlink(missing_ok=True)
            await responder.wait()


async def with_result_settings(failover: Flow[..., Any]) -> Flow[..., Any]:
    """`failover` with the result storage and persistence Prefect would pick for each of its
    runs, picked once: otherwise every run reads the server's default result storage with a
    synchronous client on the event loop, and in a storm each such read (slow while the
    server is busy) holds up every other failover."""
    async with get_client() as client:
        server = await client.read_server_default_result_storage()
    persist = failover.persist_result
    if persist is None:  # Prefect's default: persist when a default storage block is set
        settings = get_current_settings().results
        persist = should_persist_result() or bool(
            settings.default_storage_block or server.default_result_storage_block_id
        )
    storage = failover.result_storage or await aget_default_result_storage()
    if getattr(storage, "_block_document_id", None) is None:  # not a saved block: Prefect's
        storage = Path(get_current_settings().results.local_storage_path)  # local default
    return failover.with_options(result_storage=storage, persist_result=persist)


@contextlib.asynccontextmanager
async def shared_clients() -> AsyncIterator[None]:
    """One synchronous Prefect client for the service's lifetime, which every flow run it
    starts uses: Prefect builds one per flow run to resolve its result storage (a TLS context
    apiece, tens of ms of CPU whatever the URL's scheme, on the event loop).

    The asynchronous client stays one per flow run: shared, its pool of 16 connections
    would queue the lease renewals of every failover behind the others' calls.
    """
    with SyncClientContext.get_or_create():
        yield


def write_ready_file(path: Path) -> None:
    """Write `path` (this process's id) whole: renamed into place, never seen half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(f"{os.getpid()}\n")
    partial.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.responder", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        default=os.environ.get(READY_FILE_ENV) or None,
        help=f"write this file once subscribed to the events (default: ${READY_FILE_ENV})",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
        asyncio.run(_until_terminated(args.ready_file))


async def _until_terminated(ready_file: Path | None = None) -> None:
    """Respond until SIGTERM, then finish the failovers already started (a service manager
    stopping the responder must not leave a failover half done or a run Crashed)."""
    listening = asyncio.create_task(respond_to_low_success(ready_file))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, listening.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await listening


if __name__ == "__main__":
    main()
