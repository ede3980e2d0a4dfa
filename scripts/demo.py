"""`make demo`: the whole system on this machine, against the simulator, in a few minutes.

Starts a Prefect server (SQLite, UI on, a fresh database each time), the simulator (on a fake
clock the demo moves) and the dashboard on 127.0.0.1; provisions a primary campaign and a
paused backup; builds the primary's dial list; serves the deployments; then makes the
primary's success rate collapse and waits for the event-triggered failover to resume the
backup. Then the daily loop, on a small list of its own: the stand-in's clock moves to the
next 05:30 in New York, an agent's opt-out is set, the stand-in's dialer dials the day,
`collect_outcomes` reads the attempts into the attempts ledger, a revocation arrives by
signed webhook at the dashboard (the responder applies it), and the next morning's sync
caps and suppresses from the ledger. Prints a summary and stops everything it started,
unless KEEP=1, which leaves the services up for browsing the Prefect UI and the dashboard.

`PLATFORM=described` (the default) speaks the API the tutorial describes: the contact list
is exported and segmented, and the simulator's metrics webhook feeds the dashboard.
`PLATFORM=admin` speaks NICE CXone's published APIs (the simulator's stand-in, through a
`CXoneAccessKey` block): a CRM file is synced into a calling list and a DNC group, and the
dashboard polls the skills' summaries, as it must on a real tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
from crm_file import write_crm_file
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from standardwebhooks import Webhook

from blocks import AttemptsLedger, clock
from deployments.local_stack import (
    LocalStack,
    StackError,
    connect_to_simulator,
    connect_to_stand_in,
    dashboard_login,
    new_webhook_secret,
    provision_pair,
)
from flows._words import plural
from flows.dial_list import sync_dial_list
from flows.export import export_segmented_contacts
from flows.outcomes import collect_outcomes
from flows.provision import provision_campaign
from ledger import ledger_url
from simulator.admin.dispositions import DISPOSITIONS

RUN_DIR = Path(".demo").resolve()  # everything the demo writes; removed at its start
STATE = RUN_DIR / "demo.json"  # what `make demo-down` stops
SETTLE_TIMEOUT = 90.0  # for the demo's flow runs to finish before its services stop
QUIET_SECONDS = 1.0  # no run going for this long: an event in flight has started its run
LIST_ID = "CL-DEMO"  # the described API's contact list
CALLING_LIST = "Demo renewals"  # NICE CXone: the calling list the skills dial
DNC_GROUP = "Demo internal DNC"
CONTACTS = 2_000
FAILOVER_TIMEOUT = 90.0
POLL_SECONDS = "2"  # how often the dashboard polls NICE skills (15 by default)
CREDENTIALS = {"described": "cxone", "admin": "cxone-access-key/demo"}

# The daily loop's own small list: a campaign of its own on the described API (contact list
# LOOP_LIST), a skill and a calling list named LOOP_NAME on NICE.
LOOP_NAME = "Demo daily loop"
LOOP_LIST = "CL-LOOP"
LEDGER = "default"  # the AttemptsLedger block every flow uses unless told otherwise
NEW_YORK = ZoneInfo("America/New_York")
SYNC_TIME = dt.time(5, 30)  # the daily sync's hour in New York (deployments.definitions)
AREAS = (("212", "NY"), ("305", "FL"), ("713", "TX"), ("415", "CA"), ("808", "HI"))
# 20 people, one number each (fictional 555-01xx numbers); the last one texts STOP.
PEOPLE = [
    (f"loop-{n:02d}", f"{AREAS[n % len(AREAS)][0]}55501{n:02d}", AREAS[n % len(AREAS)][1])
    for n in range(1, 21)
]
REVOKED = PEOPLE[-1][1]
DO_NOT_CALL = {  # the stand-ins' "Do Not Call" disposition: an agent's opt-out
    "described": "DNC",
    "admin": next(
        d["dispositionId"] for d in DISPOSITIONS if d["dispositionName"] == "Do Not Call"
    ),
}
# The reasons a contact waits that the attempts ledger can give (dial_lists: caps, opt-outs).
LEDGER_REASONS = ("frequency_cap", "dnc", "consent_revoked")
REVOCATION_TIMEOUT = 90.0  # the responder applies in seconds; the trigger's safety net in 30 s


class Step:
    """Prints what is being done; on failure names the step and the logs to read."""

    number = 0

    def __init__(self, title: str, logs: str = "the output above"):
        Step.number += 1
        self.title, self.logs = title, logs

    def __enter__(self):
        print(f"[{Step.number}] {self.title} ...", flush=True)
        self.started = time.monotonic()
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            print(f"    done in {time.monotonic() - self.started:.1f}s", flush=True)
            return False
        print(f"\nFAILED at step {Step.number} ({self.title}): {error}", file=sys.stderr)
        print(f"Read {self.logs}.", file=sys.stderr)
        return False


def statuses(stack: LocalStack, platform: str) -> dict[str, str]:
    if platform == "described":
        campaigns = httpx.get(f"{stack.simulator_url}/_sim/campaigns").json()["campaigns"]
        return {c["id"]: c["status"] for c in campaigns}
    skills = httpx.get(f"{stack.admin_api_url}/_sim/admin/skills").json()["skills"]
    return {str(s["skillId"]): "active" if s["isRunning"] else "paused" for s in skills}


def collapse(stack: LocalStack, platform: str, campaign_id: str) -> None:
    """Make the campaign's success rate fall to 4% over 250 calls."""
    # The simulator's fake clock stands still unless moved: bring it to now, so the reading
    # (and the webhook's signature) carries the time the dashboard expects.
    StandInClock(control_url(stack, platform)).advance_to(dt.datetime.now(dt.UTC))
    if platform == "described":
        url = f"{stack.simulator_url}/_sim/campaigns/{campaign_id}/metrics"
        body = {"successRate": 0.04, "callsAttempted": 250, "callsConnected": 10}
        httpx.put(url, json=body).raise_for_status()
    else:
        url = f"{stack.admin_api_url}/_sim/admin/skills/{campaign_id}/activity"
        httpx.post(url, json={"dials": 250, "connects": 10, "handled": 10}).raise_for_status()


def control_url(stack: LocalStack, platform: str) -> str:
    """The simulator's control API: the described API's, or the NICE stand-in's."""
    if platform == "described":
        return f"{stack.simulator_url}/_sim"
    return f"{stack.admin_api_url}/_sim/admin"


def ledger_path() -> Path:
    return (RUN_DIR / "ledger" / "attempts.db").resolve()


class StandInClock:
    """The simulator's fake clock (one for both APIs), as the flows' clock reads it: the time
    `GET /_sim/clock` last answered. The flows run in this process under `clock.using(...)`,
    so day lists, windows and caps follow the stand-in's day, not the wall clock."""

    def __init__(self, control: str) -> None:
        self.control = control
        self.at = self.read()

    def read(self) -> dt.datetime:
        self.at = dt.datetime.fromisoformat(httpx.get(f"{self.control}/clock").json()["now"])
        return self.at

    def advance_to(self, moment: dt.datetime) -> dt.datetime:
        seconds = (moment - self.read()).total_seconds()
        if seconds > 0:
            httpx.post(
                f"{self.control}/clock/advance", json={"seconds": seconds}
            ).raise_for_status()
        return self.read()

    def __call__(self) -> dt.datetime:
        return self.at


def next_morning(after: dt.datetime) -> dt.datetime:
    """The first 05:30 in New York (the daily sync's hour) after `after`, in UTC."""
    day = after.astimezone(NEW_YORK).date()
    for offset in (0, 1):
        morning = dt.datetime.combine(day + dt.timedelta(days=offset), SYNC_TIME, NEW_YORK)
        if morning > after:
            return morning.astimezone(dt.UTC)
    raise AssertionError("unreachable: tomorrow's morning is after now")


async def save_ledger() -> None:
    """The attempts ledger of every flow's `ledger="default"`, the responder's and (through
    CXONE_LEDGER_URL) the dashboard's: this run's own file."""
    await AttemptsLedger(url=ledger_url(ledger_path())).asave(LEDGER, overwrite=True)
    print(f"    attempts ledger {os.path.relpath(ledger_path())} (AttemptsLedger {LEDGER!r})")


def shown(phone: str) -> str:
    return f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"


def print_reasons(by_reason: dict[str, int]) -> None:
    for reason, count in sorted(by_reason.items(), key=lambda kv: -kv[1]):
        print(f"      {reason:<24}{count:>6}")


async def provision_and_export(stack: LocalStack, platform: str) -> tuple[dict, dict, dict]:
    if platform == "described":
        with Step("Saving the credentials block and registering block types and the webhook"):
            hook = await connect_to_simulator(stack)
            print(f"    webhook {hook['id']} -> {hook['callbackUrl']}")
            await save_ledger()
        credentials, contact_list = "cxone", LIST_ID
    else:
        with Step("Saving a CXoneAccessKey block for the NICE CXone stand-in"):
            credentials, contact_list = await connect_to_stand_in(stack), CALLING_LIST
            print(f"    {credentials} (no webhook on NICE: the dashboard polls the skills)")
            await save_ledger()
    with Step("Provisioning a primary campaign and a paused backup"):
        primary, backup = await provision_pair(contact_list, "Demo renewals", credentials)
        print(f"    primary {primary['id']} {primary['status']}, backup {backup['id']} "
              f"{backup['status']}")  # fmt: skip
    if platform == "described":
        with Step(f"Exporting the primary's contact list {LIST_ID}"):
            made = await export_segmented_contacts(LIST_ID, output_dir=str(RUN_DIR / "exports"))
            print(f"    {made['fetched']} fetched: {made['dialable']} dialable, "
                  f"{made['suppressed']} suppressed")  # fmt: skip
    else:
        with Step(f"Syncing today's dial list into the calling list {CALLING_LIST!r}"):
            source = write_crm_file(RUN_DIR / "crm" / "contacts.parquet", CONTACTS)
            made = await sync_dial_list(
                str(source), CALLING_LIST, credentials, skill_id=primary["id"],
                dnc_group=DNC_GROUP, for_day="today", output_dir=str(RUN_DIR / "dial-lists"),
            )  # fmt: skip
            print(f"    {made['read']} read: {made['dialable']} dialable (uploaded in job "
                  f"{made['job_id']}), {made['suppressed']} suppressed, "
                  f"{made['dnc_added']} numbers added to {DNC_GROUP!r}, which scrubs skill "
                  f"{made['scrubbed_skill']}")  # fmt: skip
    print_reasons(made["by_reason"])
    return primary, backup, made


def fail_over(stack: LocalStack, platform: str, primary: dict, backup: dict) -> float:
    # A revocation (the daily loop's, below) leaves both lists; on NICE it joins the DNC group.
    lists = {"described": [LIST_ID, LOOP_LIST], "admin": [CALLING_LIST, LOOP_NAME]}[platform]
    with Step("Serving the deployments", logs=str(stack.run_dir / "serve.log")):
        stack.start_serve(
            *("--contact-list", LIST_ID, "--output-dir", str(RUN_DIR / "exports")),
            *("--dial-list-output-dir", str(RUN_DIR / "dial-lists")),
            *("--outcomes-output-dir", str(RUN_DIR / "outcomes")),
            *("--dial-list-source", str(RUN_DIR / "crm" / "contacts.parquet")),
            *("--calling-list", CALLING_LIST, "--dial-list-credentials", CREDENTIALS[platform]),
            *("--revocation-lists", *lists),
            *(("--dnc-group", DNC_GROUP) if platform == "admin" else ()),
        )
    daily = {
        "described": "export-segmented-contacts/export-segmented-contacts",
        "admin": "sync-dial-list/sync-dial-list",
    }[platform]
    with Step(
        f"Running the {daily.split('/')[0]} deployment once, as its daily schedule will",
        logs=str(stack.run_dir / "serve.log"),
    ):
        run = run_deployment(daily, timeout=120)
        if not run.state.is_completed():
            raise RuntimeError(f"the {daily} run ended {run.state.name}")
        print(f"    flow run {run.name!r}: {run.state.name} ({run.state.message})")
    logs = f"{stack.run_dir}/dashboard.log and {stack.run_dir}/serve.log"
    with Step("Collapsing the primary's success rate and waiting for the failover", logs=logs):
        started = time.monotonic()
        collapse(stack, platform, primary["id"])
        while statuses(stack, platform)[backup["id"]] != "active":
            if time.monotonic() - started > FAILOVER_TIMEOUT:
                raise TimeoutError(f"the backup was not resumed within {FAILOVER_TIMEOUT:.0f}s")
            time.sleep(0.05)
        latency = time.monotonic() - started
        source = "webhook" if platform == "described" else "reading (polled every 2 s)"
        print(f"    backup active {latency:.2f}s after the low-success {source}")
    return latency


async def loop_list(platform: str, control: str, out: Path) -> tuple[str, dict[str, tuple]]:
    """The day's small list and the campaign (NICE: skill) that dials it; returns the campaign
    id and, for each number, the key the stand-in's dialer draws its calls by."""
    credentials = CREDENTIALS[platform]
    if platform == "described":
        consent = {"outbound": {"call": True, "revokedAt": None}}
        contacts = [
            {"id": cid, "phoneNumber": f"+1{phone}", "state": state, "consentFlags": consent}
            for cid, phone, state in PEOPLE
        ]
        httpx.post(
            f"{control}/contactlists", json={"list_id": LOOP_LIST, "count": 0}
        ).raise_for_status()
        httpx.post(
            f"{control}/contactlists/{LOOP_LIST}/contacts", json={"contacts": contacts}
        ).raise_for_status()
        campaign = (await provision_campaign(LOOP_NAME, LOOP_LIST, credentials))["id"]
        print(f"    contact list {LOOP_LIST}: {len(PEOPLE)} contacts; campaign {campaign} dials it")
        return campaign, {phone: (campaign, cid) for cid, phone, _ in PEOPLE}
    skill = (await provision_campaign(LOOP_NAME, LOOP_NAME, credentials))["id"]
    source = crm_csv(out / "crm" / "contacts.csv")
    made = await sync_dial_list(
        str(source), LOOP_NAME, credentials, skill_id=skill, dnc_group=DNC_GROUP,
        for_day="today", ledger=LEDGER, output_dir=str(out / "dial-lists"),
    )  # fmt: skip
    print(f"    calling list {LOOP_NAME!r}: {made['dialable']} of {made['read']} records "
          f"dialable; skill {skill} dials it")  # fmt: skip
    list_id = int(made["calling_list_id"])
    return skill, {phone: (int(skill), list_id, cid) for cid, phone, _ in PEOPLE}


def crm_csv(path: Path) -> Path:
    """The day's CRM file: consent to call, no attempt known yet (the ledger will know)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    rows = [f"{cid},{phone},{cid},{state},true,0" for cid, phone, state in PEOPLE]
    header = "contact_id,phone,person_id,state,consent_call,attempts_24h"
    path.write_text("\n".join([header, *rows]) + "\n")
    path.chmod(0o600)
    return path


def send_revocation(stack: LocalStack, secret: str, number: str, at: dt.datetime) -> dict:
    """POST a revocation to the dashboard, signed as an SMS platform's STOP handler would."""
    body = json.dumps({"numbers": [shown(number)], "revoked_at": at.isoformat(),
                       "source": "sms STOP"})  # fmt: skip
    message_id = f"msg_{uuid.uuid4().hex}"
    # Signed by the sender's clock (the dashboard checks it against its own), not the stand-in's.
    signed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, signed_at, body),
        "content-type": "application/json",
    }
    answer = httpx.post(f"{stack.dashboard_url}/webhooks/revocations", content=body,
                        headers=headers, timeout=30)  # fmt: skip
    answer.raise_for_status()
    return answer.json()


async def applied_revocation(batch: str, timeout: float = REVOCATION_TIMEOUT):
    """The finished `apply_revocations` run of the dashboard's batch `batch`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    named = FlowRunFilter(name=FlowRunFilterName(any_=["apply revocations"]))
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            for run in await client.read_flow_runs(flow_run_filter=named):
                if run.parameters.get("batch") == batch and run.state and run.state.is_final():
                    return run
            await asyncio.sleep(0.1)
    raise TimeoutError(f"revocation batch {batch} was not applied within {timeout:.0f}s")


def dial_the_day(control: str, platform: str, campaign: str, keys: dict, stand_in) -> dict:
    """Set an agent's opt-out, then have the stand-in's dialer dial until the next 05:30."""
    # The stand-in's next call to a number with a disposition set is answered (the person
    # picks up) and ends with it: the agent hears "stop calling me".
    optout = next(phone for phone in keys if phone != REVOKED)
    httpx.put(f"{control}/dispositions", json={optout: DO_NOT_CALL[platform]}).raise_for_status()
    print(f"    PUT dispositions: {shown(optout)}'s next call is answered and ends 'Do Not Call'")
    started, until = stand_in.at, next_morning(stand_in.at)
    # One call a number a day: the campaigns' own cap (max_attempts_24h=1).
    rules = {"until": until.isoformat(), "maxAttemptsPerRecord": 1}
    dialer = "campaigns" if platform == "described" else "skills"
    answer = httpx.post(f"{control}/{dialer}/{campaign}/dial-until", json=rules, timeout=120)
    answer.raise_for_status()
    stand_in.read()
    day = answer.json()
    counts = ", ".join(f"{result} {n}" for result, n in day["counts"].items() if n)
    print(f"    dial-until {started.astimezone(NEW_YORK):%a %H:%M} -> "
          f"{until.astimezone(NEW_YORK):%a %H:%M} New York: {len(day['attempts'])} calls "
          f"({counts})")  # fmt: skip
    return day


def ledger_said(suppressed_path: str) -> dict[str, int]:
    """How many contacts each ledger reason holds back, where the suppressed file's detail
    says the attempts ledger is why; prints an example of each."""
    suppressed = pd.read_csv(suppressed_path, dtype=str, keep_default_na=False)
    told = suppressed[suppressed["detail"].str.contains("ledger")]
    for reason in LEDGER_REASONS:
        rows = told[told["reason"] == reason]
        if len(rows):
            print(f"      e.g. {reason}: {rows['detail'].iloc[0]}")
    return {reason: int((told["reason"] == reason).sum()) for reason in LEDGER_REASONS}


async def daily_loop(stack: LocalStack, platform: str, revocation_secret: str) -> dict:
    """The daily loop on a small list of its own: the morning's list, an agent's opt-out, a
    day of dialling, the outcomes collected, a revocation by webhook, the next sync."""
    control = control_url(stack, platform)
    credentials = CREDENTIALS[platform]
    out = RUN_DIR / "daily-loop"
    stand_in = StandInClock(control)
    nice = platform == "admin"
    with clock.using(stand_in):
        with Step("The next 05:30 in New York on the stand-in's clock: a small list for the day"):
            stand_in.advance_to(next_morning(stand_in.at))
            print(f"    the stand-in's clock (the flows below read it): "
                  f"{stand_in.at.astimezone(NEW_YORK):%a %Y-%m-%d %H:%M} New York")  # fmt: skip
            campaign, keys = await loop_list(platform, control, out)
        with Step("An agent's opt-out, then a day of dialling by the stand-in's dialer"):
            day = dial_the_day(control, platform, campaign, keys, stand_in)
        with Step("collect_outcomes: the day's attempts into the attempts ledger"):
            collected = await collect_outcomes(
                credentials_block=credentials, until=stand_in.at, campaign_ids=[campaign],
                ledger=LEDGER, dnc_group=DNC_GROUP if nice else None,
                output_dir=str(out / "outcomes"), calling_lists=[LOOP_NAME] if nice else None,
            )  # fmt: skip
            attempts = plural(collected["attempts"], "attempt")
            print(f"    {attempts}, {plural(collected['optouts'], 'opt-out')} "
                  f"into the ledger {os.path.relpath(ledger_path())}")  # fmt: skip
            print(f"    opt-outs file (for the CRM): {os.path.relpath(collected['optouts_path'])}")
            if nice:
                print(f"    {plural(collected['dnc_added'], 'number')} added to {DNC_GROUP!r}; "
                      f"{plural(sum(collected['removed'].values()), 'record')} taken out of "
                      f"{LOOP_NAME!r} (called today, or opted out)")  # fmt: skip
        logs = f"{stack.run_dir}/dashboard.log and {stack.run_dir}/serve.log"
        with Step("A revocation by signed webhook to the dashboard, then applied", logs=logs):
            answer = send_revocation(stack, revocation_secret, REVOKED, stand_in.at)
            print(f"    POST /webhooks/revocations ({shown(REVOKED)}, 'sms STOP'): "
                  f"{answer['status']}, kept in the ledger as batch {answer['batch']}")  # fmt: skip
            run = await applied_revocation(answer["batch"])
            if not run.state.is_completed():
                raise RuntimeError(f"apply_revocations ended {run.state.name}: {run.state.message}")
            applied_by = (
                "the responder, on the dashboard's event"
                if run.deployment_id is None
                else "the apply-revocations deployment's trigger (the safety net)"
            )
            print(f"    apply_revocations run by {applied_by}: {run.state.message}")
        with Step("The next morning's sync, with the ledger"):
            if platform == "described":
                made = await export_segmented_contacts(
                    LOOP_LIST, str(out / "exports"), credentials, for_day="today", ledger=LEDGER
                )
                print(f"    export of {LOOP_LIST}: {made['fetched']} fetched (the revoked "
                      f"contact left the list): {made['dialable']} dialable, "
                      f"{made['suppressed']} suppressed")  # fmt: skip
            else:
                made = await sync_dial_list(
                    str(out / "crm" / "contacts.csv"), LOOP_NAME, credentials, skill_id=campaign,
                    dnc_group=DNC_GROUP, for_day="today", ledger=LEDGER,
                    output_dir=str(out / "dial-lists"),
                    max_shrink=1.0,  # everyone was called yesterday: today's list may be empty
                )  # fmt: skip
                print(f"    sync of {LOOP_NAME!r}: {made['read']} read: {made['dialable']} "
                      f"dialable, {made['suppressed']} suppressed")  # fmt: skip
            print_reasons(made["by_reason"])
            from_ledger = ledger_said(made["suppressed_path"])
            print("    held back by the ledger: "
                  + ", ".join(f"{reason} {n}" for reason, n in from_ledger.items()))  # fmt: skip
    return {
        "calls": len(day["attempts"]),
        "optouts": collected["optouts"],
        "applied_by": applied_by,
        "next": made,
        "from_ledger": from_ledger,
    }


async def quiesce(stack: LocalStack, timeout: float = SETTLE_TIMEOUT) -> None:
    """End the demo's flow runs cleanly before its services stop: one cut off would end
    Crashed. Pauses every deployment (no scheduled run starts; `monitor-fleet` runs every
    minute), stops the dashboard (no more low-success or revocation events for the responder
    or the triggers), then waits until no run is going or due for `QUIET_SECONDS`. Then sends
    this process's queued flow-run logs and events: left for exit, with the server gone, they
    would be retried for a minute or more.

    Raises:
        TimeoutError: A run was still going after `timeout` seconds; the message names it.
    """
    from prefect.client.orchestration import get_client
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogHandler

    async with get_client() as client:
        for deployment in await client.read_deployments():
            await client.pause_deployment(deployment.id)
        for service in [s for s in stack.services if s.name == "dashboard"]:
            stack.stop_service(service)
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < QUIET_SECONDS:
            going = await runs_going(client)
            if going:
                quiet_since = time.monotonic()
                if quiet_since > deadline:
                    names = ", ".join(f"{r.name!r} ({r.state_name})" for r in going)
                    raise TimeoutError(f"flow runs still going after {timeout:.0f}s: {names}")
            await asyncio.sleep(0.2)
    await APILogHandler.aflush()
    await EventsWorker.drain_all(timeout=10)  # in a running loop: a coroutine


async def runs_going(client) -> list:
    """The flow runs running, starting, being cancelled, or scheduled and already due (a
    triggered run about to be picked up)."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterStateType,
    )

    busy = FlowRunFilterStateType(any_=["RUNNING", "PENDING", "CANCELLING"])
    due = FlowRunFilter(
        state={"type": FlowRunFilterStateType(any_=["SCHEDULED"])},
        expected_start_time=FlowRunFilterExpectedStartTime(before_=dt.datetime.now(dt.UTC)),
    )
    return [
        *await client.read_flow_runs(flow_run_filter=FlowRunFilter(state={"type": busy})),
        *await client.read_flow_runs(flow_run_filter=due),
    ]


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the demo as Ctrl-C does: every service it started, then exit."""
    raise KeyboardInterrupt


def _stopping() -> None:
    """Stopping has begun: a second Ctrl-C or SIGTERM must not cut it short (and leave
    services running)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def save_state(stack: LocalStack | None = None) -> None:
    """What `make demo-down` stops: this process, and its services' process groups, each with
    its start time (a pid reused by another process after a crash is not signalled)."""
    state = {
        "demo": _identity(os.getpid()),
        "services": {s.name: _identity(s.process.pid) for s in stack.services} if stack else {},
    }
    STATE.write_text(json.dumps(state, indent=2))


def _identity(pid: int) -> list:
    """[pid, its start time since boot]; None for the time where /proc does not say, and
    "exited" for a process that has exited but is not yet reaped (a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return [pid, None]
    return [pid, "exited" if fields[0] == "Z" else fields[19]]  # state; starttime (field 22)


def _signal(identity: list, sent: int, group: bool = False) -> bool:
    """Send `sent` to the process (or its group) if it is still the one recorded; False if
    it is gone."""
    pid = identity[0]
    if _identity(pid) != identity:
        return False
    try:
        (os.killpg if group else os.kill)(pid, sent)
    except ProcessLookupError:
        return False
    return True


def down(timeout: float = 180.0) -> int:
    """`make demo-down`: stop a running (or kept, KEEP=1) demo and every service it started.

    Sends SIGTERM to the demo, which ends its runs cleanly and stops its services; the
    process groups of services still up after `timeout` seconds (the demo was killed) are
    then stopped, SIGTERM first and SIGKILL after 10 s."""
    if not STATE.exists():
        print(f"No demo is running (no {os.path.relpath(STATE)}).")
        return 0
    state = json.loads(STATE.read_text())
    if _signal(state["demo"], signal.SIGTERM):
        print(f"Stopping the demo (pid {state['demo'][0]}) and its services ...", flush=True)
        _wait_gone(state["demo"], timeout)
    for name, service in reversed(list(state["services"].items())):
        for sent, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 0.0)):
            if _signal(service, sent, group=True):
                print(f"  {name}: {sent.name}", flush=True)
                _wait_gone(service, wait)
    STATE.unlink(missing_ok=True)
    print("The demo is stopped.")
    return 0


def _wait_gone(identity: list, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _identity(identity[0]) == identity and time.monotonic() < deadline:
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    if (argv if argv is not None else sys.argv[1:]) == ["down"]:
        return down()
    keep = os.environ.get("KEEP") == "1"
    platform = os.environ.get("PLATFORM", "described")
    if platform not in ("described", "admin"):
        print(f"PLATFORM must be 'described' or 'admin', not {platform!r}", file=sys.stderr)
        return 2
    if STATE.exists() and _signal(json.loads(STATE.read_text())["demo"], 0):
        print("A demo is running already: `make demo-down` stops it.", file=sys.stderr)
        return 1
    # Each demo starts clean: no Prefect database, flow runs, ledger or files from an earlier one.
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    RUN_DIR.mkdir(mode=0o700)
    signal.signal(signal.SIGTERM, _interrupt)  # `make demo-down`, a service manager, kill
    save_state()
    revocation_secret = new_webhook_secret()  # the SMS platform's, shared with the dashboard
    stack = LocalStack(RUN_DIR / "logs")
    print(f"Platform: {platform} (PLATFORM=described or admin); "
          f"state under {os.path.relpath(RUN_DIR)}/")  # fmt: skip
    try:
        with stack:
            try:
                run_demo(stack, platform, revocation_secret, keep)
            finally:
                _stopping()  # then `with stack` stops every service, newest first
    except (StackError, TimeoutError, RuntimeError, httpx.HTTPError) as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        STATE.unlink(missing_ok=True)
    print("Stopped every service the demo started.")
    return 0


def run_demo(stack: LocalStack, platform: str, revocation_secret: str, keep: bool) -> None:
    """Start the services, run the demo, print the summary; with `keep`, wait for Ctrl-C or
    SIGTERM (`make demo-down`). Ends the demo's flow runs before returning."""
    with Step("Starting the Prefect server", logs=f"{stack.run_dir}/prefect-server.log"):
        stack.start_prefect_server()
    with Step("Starting the simulator and the dashboard", logs=f"{stack.run_dir}/*.log"):
        # A fake clock (from now): the daily loop's dialer moves it through a day.
        stack.start_simulator("--list", f"{LIST_ID}={CONTACTS}", "--fake-clock")
        stack.start_dashboard(
            CXONE_POLL_SECONDS=POLL_SECONDS,
            CXONE_REVOCATION_SECRET=revocation_secret,
            CXONE_LEDGER_URL=ledger_url(ledger_path()),
        )
    print(f"    dashboard {stack.dashboard_url}: {dashboard_login(stack, RUN_DIR)}")
    save_state(stack)
    with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
        primary, backup, made = asyncio.run(provision_and_export(stack, platform))
        latency = fail_over(stack, platform, primary, backup)
        save_state(stack)  # with the serving process
        day = asyncio.run(daily_loop(stack, platform, revocation_secret))
        if not keep:
            with Step("Ending the flow runs before stopping the services"):
                asyncio.run(quiesce(stack))
        final = statuses(stack, platform)
        following = day["next"]
        print(f"\nSummary ({dt.datetime.now():%Y-%m-%d %H:%M})")
        print(f"  primary {primary['id']}: {final[primary['id']]}")
        print(f"  backup  {backup['id']}: {final[backup['id']]}")
        print(f"  contacts: {made['dialable']} dialable, {made['suppressed']} suppressed")
        print(f"  failover latency: {latency:.2f}s (low reading to backup active)")
        print(f"  daily loop: {day['calls']} calls, {day['optouts']} opt-out to an agent, "
              f"1 revocation by webhook; the next day: {following['dialable']} dialable, "
              f"{following['suppressed']} suppressed")  # fmt: skip
        if keep:
            print(f"  Prefect UI: {stack.prefect_ui_url}   dashboard: {stack.dashboard_url}")
            print(f"  dashboard login: {dashboard_login(stack, RUN_DIR)}")
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, or SIGTERM (_interrupt)
                print(
                    f"\nKEEP=1: services stay up. Stop them with Ctrl-C here, or `make "
                    f"demo-down` (or kill {os.getpid()}) from another shell.",
                    flush=True,
                )
                while True:
                    time.sleep(3600)
            _stopping()
            print("Ending the flow runs, then stopping the services ...", flush=True)
            asyncio.run(quiesce(stack))


if __name__ == "__main__":
    raise SystemExit(main())
