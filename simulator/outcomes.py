"""Call outcomes of the described API's campaigns, and the dialer that makes them.

**Not in the tutorial.** The tutorial's API (SPEC.md section 1) says nothing of what happened
to each call; the simulator adds, in the same style, `GET
/api/v2/omnichannel/campaigns/{id}/outcomes?since=&until=&page=&pageSize=` (scope
`analytics:read`) -> `{"outcomes": [{id, campaignId, contactId, phoneNumber, attemptedAt,
result, disposition: {code, name} | null}], "page", "pageSize", "totalCount"}`: the
campaign's attempts whose `attemptedAt` is in [since, until) (either bound optional), oldest
first, `pageSize` capped like contact pages. `result` is one of "answered", "no_answer",
"busy", "abandoned", "machine"; an abandoned call has no disposition.

The dialer (`POST /_sim/campaigns/{id}/dial-until`, the same body and rules as the NICE
stand-in's, see `simulator.dialing`) dials, while the campaign is active, each contact of its
contact list that has outbound call consent (`consentFlags.outbound.call` true, no
`revokedAt`), is not `doNotCall` (anything but false or absent counts as DNC), and has a
valid +1 phone number in a known zone (`contacts.number_zone`: as the contact generator
placed it). Removed contacts have left the list. Dispositions are coded:

>>> [f"{code}={name}" for code, name in DISPOSITIONS.items()]  # doctest: +NORMALIZE_WHITESPACE
['SALE=Sale/Completed', 'NA=No Answer', 'BUSY=Busy', 'AM=Answering Machine', 'DNC=Do Not Call',
 'WRONG=Wrong Number', 'CB=Callback']
>>> dialable({"id": "c1", "phoneNumber": "(212) 555-0101", "doNotCall": False,
...           "consentFlags": {"outbound": {"call": True, "revokedAt": None}}})
('+12125550101', 'America/New_York')
>>> dialable({"id": "c2", "phoneNumber": "(212) 555-0101", "doNotCall": "yes",
...           "consentFlags": {"outbound": {"call": True}}}) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .clock import iso
from .contacts import number_zone
from .dialing import ANSWERED, BUSY, MACHINE, NO_ANSWER, AttemptRecords, Call, picked_up

DISPOSITIONS = {
    "SALE": "Sale/Completed",
    "NA": "No Answer",
    "BUSY": "Busy",
    "AM": "Answering Machine",
    "DNC": "Do Not Call",
    "WRONG": "Wrong Number",
    "CB": "Callback",
}
FOR_CALL = {
    NO_ANSWER: "NA",
    BUSY: "BUSY",
    MACHINE: "AM",
    "sale": "SALE",
    "wrong_number": "WRONG",
    "callback": "CB",
}


def dialable(contact: dict) -> tuple[str, str] | None:
    """(E.164, zone) of a contact the dialer may call, or None."""
    flags = contact.get("consentFlags")
    outbound = flags.get("outbound") if isinstance(flags, dict) else None
    if not isinstance(outbound, dict) or outbound.get("call") is not True:
        return None
    if outbound.get("revokedAt") or contact.get("doNotCall") not in (False, None):
        return None
    return number_zone(contact.get("phoneNumber"))


@dataclass(frozen=True)
class Outcome:
    outcome_id: str
    campaign_id: str
    contact_id: str
    phone: str  # E.164
    at: datetime
    call: Call
    disposition: str | None  # a code of DISPOSITIONS

    def view(self) -> dict:
        code = self.disposition
        return {
            "id": self.outcome_id,
            "campaignId": self.campaign_id,
            "contactId": self.contact_id,
            "phoneNumber": self.phone,
            "attemptedAt": iso(self.at),
            "result": self.call.result,
            "disposition": {"code": code, "name": DISPOSITIONS[code]} if code else None,
        }


class Outcomes(AttemptRecords[Outcome]):
    """The campaigns' attempts, numbered `out_0000001` on."""

    def attempt(
        self, campaign_id: str, contact_id: str, phone: str, at: datetime, call: Call
    ) -> Outcome:
        """Log an attempt; one to a number a disposition is set for is answered and takes it."""
        if phone[2:] in self.pending:
            call = picked_up(call)
        if call.result == ANSWERED:
            disposition = self.pending.take(phone[2:]) or FOR_CALL[call.agent_outcome]
        else:
            disposition = FOR_CALL.get(call.result)
        return self._keep(
            Outcome(
                f"out_{next(self._ids):07d}", campaign_id, contact_id, phone, at, call, disposition
            )
        )

    def all(self, campaign_id: str | None = None) -> list[Outcome]:
        return [o for o in self._items if campaign_id is None or o.campaign_id == campaign_id]

    def between(
        self, campaign_id: str, since: datetime | None, until: datetime | None
    ) -> list[Outcome]:
        return [
            o
            for o in self.all(campaign_id)
            if (since is None or o.at >= since) and (until is None or o.at < until)
        ]


def candidates(contacts: list[dict]) -> list[tuple[str, str, ZoneInfo]]:
    """(contact id, E.164, zone) of each contact the dialer may call, in id order."""
    found = []
    for contact in contacts:
        placed = dialable(contact)
        if placed:
            found.append((contact["id"], placed[0], ZoneInfo(placed[1])))
    return found
