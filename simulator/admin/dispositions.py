"""Dispositions: how an agent (or the dialer) closed a contact. A fixed, seeded set; the
stand-in offers no create or update.

Shapes follow NICE's Admin API as the generated client has them (calljacob/nice-cxone-api,
`src/services/admin/AdminSkillsService.ts`):

- `GET /dispositions` (`skip`, `top`) -> `{totalRecords, businessUnitId, dispositions:
  [{dispositionId, dispositionName, notes, lastUpdated, classificationId, systemOutcome,
  isActive, isPreviewDisposition}]}`, ids as numbers.
- `GET /dispositions/{dispositionId}` -> one disposition, unwrapped, with
  `classificationName`, `dialerAgentOutcomeId` and `dialerAgentOutcomeName` besides.

The classification names, `systemOutcome` values and ids are the stand-in's own (not found
in the sources). "Do Not Call" is the one classified as a do-not-call outcome: given on a
skill that contributes to a DNC group, it adds the number to the group (see `routes_dnc`).

>>> [d["dispositionName"] for d in DISPOSITIONS]  # doctest: +NORMALIZE_WHITESPACE
['Sale/Completed', 'No Answer', 'Busy', 'Answering Machine', 'Do Not Call', 'Wrong Number',
 'Callback']
>>> by_id(2005)["classificationName"], is_do_not_call(2005), is_do_not_call(2001)
('Do Not Call', True, False)
"""

from __future__ import annotations

from ..dialing import BUSY, MACHINE, NO_ANSWER

DO_NOT_CALL_CLASSIFICATION = 5
LAST_UPDATED = "2026-01-01T00:00:00.000Z"
# id, name, classification id and name, systemOutcome
_SEEDED = (
    (2001, "Sale/Completed", 1, "Success", "Success"),
    (2002, "No Answer", 2, "No Answer", "NoAnswer"),
    (2003, "Busy", 3, "Busy", "Busy"),
    (2004, "Answering Machine", 4, "Answering Machine", "AnsweringMachine"),
    (2005, "Do Not Call", DO_NOT_CALL_CLASSIFICATION, "Do Not Call", "DoNotCall"),
    (2006, "Wrong Number", 6, "Wrong Number", "WrongNumber"),
    (2007, "Callback", 7, "Callback", "Callback"),
)
DISPOSITIONS = tuple(
    {
        "dispositionId": disposition_id,
        "dispositionName": name,
        "classificationId": classification_id,
        "classificationName": classification,
        "systemOutcome": outcome,
        "dialerAgentOutcomeId": classification_id,
        "dialerAgentOutcomeName": classification,
        "isActive": True,
        "isPreviewDisposition": False,
        "isAgentSpecific": False,
        "notes": "",
        "lastUpdated": LAST_UPDATED,
    }
    for disposition_id, name, classification_id, classification, outcome in _SEEDED
)
_LISTED = (
    "dispositionId",
    "dispositionName",
    "notes",
    "lastUpdated",
    "classificationId",
    "systemOutcome",
    "isActive",
    "isPreviewDisposition",
)
# What the dialer gives each kind of call: by result (no agent) or by the agent's choice.
FOR_CALL = {
    NO_ANSWER: 2002,
    BUSY: 2003,
    MACHINE: 2004,
    "sale": 2001,
    "wrong_number": 2006,
    "callback": 2007,
}


def by_id(disposition_id: int) -> dict | None:
    return next((d for d in DISPOSITIONS if d["dispositionId"] == disposition_id), None)


def listed(disposition: dict) -> dict:
    """A disposition as `GET /dispositions` lists it."""
    return {key: disposition[key] for key in _LISTED}


def is_do_not_call(disposition_id: int | None) -> bool:
    disposition = by_id(disposition_id) if disposition_id else None
    return bool(disposition) and disposition["classificationId"] == DO_NOT_CALL_CLASSIFICATION
