"""Call attempts the stand-in's dialer made (see `dialer` and `simulator.dialing`), and the
completed contacts the Reporting API shows for them.

`GET /contacts/completed` answers `{totalRecords, businessUnitId, lastPollTime,
completedContacts: [...]}`: the key and the query parameters (`startDate`, `endDate`,
`updatedSince`, `skillId`, `skip`, `top`, ...) as the generated client has them
(calljacob/nice-cxone-api, `src/services/reporting/ReportingReportingService.ts`, which also
lists every field below); two public clients of the platform read `completedContacts` and
`totalRecords` the same way. Like the stand-in's other reporting answers, every number comes
as a string (the platform's reporting endpoints send some numbers as strings; which ones was
not found, so all of them: a client must read both).

Choices where the sources are silent (inferred):

- Every attempt is a completed contact, answered or not, as soon as it is made (whether dials
  that never connect appear there was not found; the product needs them to count attempts).
- `toAddress` is the dialled number's ten digits, `fromAddress` the skill's
  `callerIdOverride` or a fixed caller id.
- A contact without a disposition (an abandoned call: no agent spoke) has
  `primaryDispositionId` "0"; `secondaryDispositionId` is always "0".
- `endReason` names how the call ended: "Contact Hung Up", "No Answer", "Busy", "Answering
  Machine", "Abandoned".

>>> from datetime import UTC, datetime
>>> from simulator.dialing import Call
>>> at = datetime(2026, 3, 2, 15, tzinfo=UTC)
>>> attempt = Attempt(700000001, 4100001, 5001, "c1", "2125550101", at,
...     Call("answered", "sale", 72, 60, 0), 2001, "8005550100")
>>> view = attempt.completed_view()
>>> view["contactId"], view["toAddress"], view["agentSeconds"], view["primaryDispositionId"]
('700000001', '2125550101', '60', '2001')
>>> view["contactStartDate"], view["lastUpdateTime"]
('2026-03-02T15:00:00.000Z', '2026-03-02T15:01:12.000Z')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import iso
from ..dialing import ABANDONED, ANSWERED, AttemptRecords, Call

DEFAULT_CALLER_ID = "8005550100"
_END_REASONS = {
    ANSWERED: "Contact Hung Up",
    "no_answer": "No Answer",
    "busy": "Busy",
    "machine": "Answering Machine",
    ABANDONED: "Abandoned",
}


@dataclass(frozen=True)
class Attempt:
    contact_id: int
    skill_id: int
    list_id: int
    external_id: str
    phone: str
    at: datetime
    call: Call
    disposition_id: int | None
    caller_id: str

    @property
    def ended(self) -> datetime:
        return self.at + timedelta(seconds=self.call.total_seconds)

    def completed_view(self) -> dict:
        """The attempt as `GET /contacts/completed` lists it (numbers as strings)."""
        call = self.call
        return {
            "contactId": str(self.contact_id),
            "masterContactId": str(self.contact_id),
            "isOutbound": True,
            "mediaTypeId": "4",
            "skillId": str(self.skill_id),
            "toAddress": self.phone,
            "fromAddress": self.caller_id,
            "contactStartDate": iso(self.at),
            "totalDurationSeconds": str(call.total_seconds),
            "agentSeconds": str(call.agent_seconds),
            "abandoned": call.result == ABANDONED,
            "abandonSeconds": str(call.abandon_seconds),
            "primaryDispositionId": str(self.disposition_id or 0),
            "secondaryDispositionId": "0",
            "endReason": _END_REASONS[call.result],
            "lastUpdateTime": iso(self.ended),
        }

    def control_view(self) -> dict:
        """The attempt as the control API lists it (and the dial log, with `outcome`)."""
        return {
            "contactId": self.contact_id,
            "skillId": self.skill_id,
            "listId": self.list_id,
            "externalId": self.external_id,
            "phone": self.phone,
            "at": iso(self.at),
            "result": self.call.result,
            "dispositionId": self.disposition_id,
        }


class Attempts(AttemptRecords[Attempt]):
    """The skills' attempts, numbered as completed contacts."""

    first_id = 700000001

    def add(self, **fields: object) -> Attempt:
        return self._keep(Attempt(contact_id=next(self._ids), **fields))

    def all(self, skill_id: int | None = None) -> list[Attempt]:
        return [a for a in self._items if skill_id is None or a.skill_id == skill_id]

    def completed(
        self,
        skill_id: int | None,
        start: datetime | None,
        end: datetime | None,
        updated_since: datetime | None,
    ) -> list[Attempt]:
        """The skill's (or every) attempt that started in [start, end) and was last updated
        at or after `updated_since`; a bound that is None does not limit."""
        return [
            a
            for a in self.all(skill_id)
            if (start is None or a.at >= start)
            and (end is None or a.at < end)
            and (updated_since is None or a.ended >= updated_since)
        ]
