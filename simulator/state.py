"""All in-memory state of one simulator app, its reset, and the dialer's runs."""

from __future__ import annotations

from fastapi import Request

from .auth import TokenStore
from .campaigns import Campaigns
from .clock import Clock
from .config import SimulatorConfig
from .contactlists import ContactList
from .contacts import generate_contacts
from .dialing import DialUntil, draw_call, run_steps, within_window
from .faults import Faults
from .idempotency import IdempotencyStore
from .outcomes import Outcome, Outcomes, candidates
from .ratelimit import RateLimiter
from .requestlog import new_request_log
from .rnd import RndData
from .webhooks import Webhooks


class SimState:
    """Lives on `app.state.sim`. Stores are cleared in place, so middlewares that hold them
    stay wired after a reset."""

    def __init__(self, config: SimulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.limiter = RateLimiter(clock)
        self.tokens = TokenStore(clock)
        self.idempotency = IdempotencyStore()
        self.campaigns = Campaigns(clock)
        self.contact_lists: dict[str, ContactList] = {}
        self.webhooks = Webhooks(lambda: self.config, clock)
        self.faults = Faults()
        self.requests = new_request_log()
        self.outcomes = Outcomes()
        self.rnd = RndData()
        self.reset()

    def reset(self) -> None:
        """Back to a fresh start under the current config."""
        for store in (
            self.tokens,
            self.idempotency,
            self.campaigns,
            self.webhooks,
            self.faults,
            self.requests,
            self.outcomes,
            self.rnd,
        ):
            store.clear()
        self.contact_lists = {
            list_id: ContactList(generate_contacts(count, self.config.seed))
            for list_id, count in self.config.contact_lists.items()
        }
        self.set_config(self.config)

    def set_config(self, config: SimulatorConfig) -> None:
        self.config = config
        self.limiter.reset()  # a new config starts with a full bucket

    def dial_until(self, campaign_id: str, rules: DialUntil) -> list[Outcome]:
        """Run the campaign's dialer from now to `rules.until` (see `outcomes`); the attempts
        made. 404 for an unknown campaign; one that is not active attempts nothing."""
        campaign = self.campaigns.get(campaign_id)
        contacts = self.contact_lists.get(campaign.get("contactListId"))
        eligible = candidates(contacts.all()) if contacts is not None else []
        book, made = self.outcomes.book, []

        def step(at) -> None:
            if campaign["status"] != "active":
                return
            for contact_id, phone, zone in eligible:
                key = (campaign_id, contact_id)
                if within_window(at, zone) and book.due(key, at, rules):
                    call = draw_call(self.config.seed, key, book.record(key, at))
                    made.append(self.outcomes.attempt(campaign_id, contact_id, phone, at, call))

        run_steps(self.clock, rules, step)
        return made


def sim(request: Request) -> SimState:
    """The state of the app serving `request`."""
    return request.app.state.sim
