"""Calling lists: a column mapping (made by `POST /lists/call-lists`) and the records that
upload jobs put in it.

- The mapping's query parameters name CSV columns (`externalIdColumn` is required, the
  `...Column` parameters below are optional); the JSON body maps phone columns through
  `destinationMappings: [{fieldName: "PhoneNumber", fieldValue: <column>}]` and custom
  fields through `customFieldMappings`. Query parameters it does not know are ignored.
- Records keep the platform's system field names (`ExternalId`, `PhoneNumber`, `FirstName`,
  `State`, `Zip`, ...): the real record field names were not captured by the sources.
- Nothing is idempotent: a repeated create makes a second list with the same name.
- External ids are not deduplicated. An append (`forceOverwrite=false`) whose file repeats
  an external id already in the list adds a second record for it, and so does a file that
  repeats one: the platform asks for unique ids without saying it enforces them, and the
  strict reading makes a re-run that appends visible as duplicates (see `duplicates`).
- `DELETE /lists/call-lists/{sourceName}/removeProspects` takes records out of every list of
  that name by external id (every record holding the id); they are kept aside, with when,
  for the control API, and are never dialled again (see `remove`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..clock import Clock, iso
from .errors import bad_request, not_found
from .registry import Registry

# Query parameter -> the system field it fills.
COLUMN_FIELDS = {
    "externalIdColumn": "ExternalId",
    "scoreColumn": "Score",
    "customer1Column": "Customer1",
    "customer2Column": "Customer2",
    "callerIdColumn": "CallerID",
    "priorityColumn": "Priority",
    "complianceReqColumn": "Compliance",
    "firstNameColumn": "FirstName",
    "lastNameColumn": "LastName",
    "addressColumn": "Address",
    "cityColumn": "City",
    "stateColumn": "State",
    "zipColumn": "Zip",
    "timeZoneColumn": "TimeZone",
    "confirmReqColumn": "ConfirmationRequired",
    "overrideFinalizationColumn": "OverrideFinalizationStatuses",
    "agentIdColumn": "Agent",
    "callRequestTimeColumn": "CallRequestDateTime",
    "callRequestStaleColumn": "CallRequestStaleMinutes",
    "notesColumn": "Notes",
    "expirationDateColumn": "ExpirationDate",
}


@dataclass
class CallingList:
    list_id: int
    name: str
    columns: dict[str, str]  # system field -> CSV column
    destinations: list[tuple[str, str]]  # phone field -> CSV column
    custom: list[tuple[str, str]]  # custom field -> CSV column
    expiration: str | None
    created: datetime
    updated: datetime
    uploaded: datetime | None = None
    records: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    skill_ids: list[int] = field(default_factory=list)
    deleted: bool = False
    removed: list[dict] = field(default_factory=list)  # records taken out, with "removedAt"

    def remove(self, external_id: str, at: datetime) -> int:
        """Take every record with this external id out of the list; how many there were."""
        gone = [record for record in self.records if record.get("ExternalId") == external_id]
        if gone:
            self.records = [r for r in self.records if r.get("ExternalId") != external_id]
            self.removed += [{**record, "removedAt": iso(at)} for record in gone]
            self.updated = at
        return len(gone)

    def duplicates(self) -> dict[str, int]:
        """External ids held more than once, with how many times."""
        counts = Counter(record["ExternalId"] for record in self.records)
        return {external_id: n for external_id, n in counts.items() if n > 1}

    def summary(self, skill_names: Mapping[int, str]) -> dict:
        """The list as `GET /lists/call-lists` shows it (numbers as numbers)."""
        valid, invalid = len(self.records), len(self.rejected)
        return {
            "listId": self.list_id,
            "listName": self.name,
            "status": "Active",
            "prospectiveContactCount": valid,
            "totalRecords": valid + invalid,
            "validRecords": valid,
            "invalidRecords": invalid,
            "finalizedRecords": 0,
            "createDate": iso(self.created),
            "uploadDate": iso(self.uploaded) if self.uploaded else None,
            "updateDate": iso(self.updated),
            "removeDate": None,
            "listExpirationDate": self.expiration,
            "skills": [
                {"skillId": skill_id, "skillName": skill_names.get(skill_id, "")}
                for skill_id in self.skill_ids
            ],
        }


def _mappings(body: dict, key: str, required: bool) -> list[tuple[str, str]]:
    """The (field, CSV column) pairs of `body[key]`; 400 unless all are non-empty strings."""
    items = body.get(key)
    if items is None and not required:
        return []
    problem = f"{key} must be a non-empty list of {{fieldName, fieldValue}} strings"
    if not isinstance(items, list) or not items:
        raise bad_request(problem)
    pairs = []
    for item in items:
        name = item.get("fieldName") if isinstance(item, dict) else None
        column = item.get("fieldValue") if isinstance(item, dict) else None
        if not (isinstance(name, str) and name and isinstance(column, str) and column):
            raise bad_request(problem)
        pairs.append((name, column))
    return pairs


class CallingLists:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lists: Registry[CallingList] = Registry("calling list", first_id=5001)

    def clear(self) -> None:
        self._lists.clear()

    def create(self, query: Mapping[str, str], body: object) -> CallingList:
        name = query.get("listName", "").strip()
        if not name:
            raise bad_request("listName is a required query parameter")
        if not query.get("externalIdColumn", "").strip():
            raise bad_request("externalIdColumn is a required query parameter")
        if not isinstance(body, dict):
            raise bad_request('the body must be {"destinationMappings": [...]}')
        now = self._clock.now()
        columns = {
            system_field: query[param]
            for param, system_field in COLUMN_FIELDS.items()
            if query.get(param)
        }
        destinations = _mappings(body, "destinationMappings", required=True)
        custom = _mappings(body, "customFieldMappings", required=False)
        return self._lists.add(
            lambda list_id: CallingList(
                list_id=list_id,
                name=name,
                columns=columns,
                destinations=destinations,
                custom=custom,
                expiration=query.get("listExpirationDate"),
                created=now,
                updated=now,
            )
        )

    def get(self, list_id: int) -> CallingList:
        calling_list = self._lists.get(list_id)
        if calling_list.deleted:
            raise not_found(f"calling list {list_id}")
        return calling_list

    def all(self, include_deleted: bool = False) -> list[CallingList]:
        return [cl for cl in self._lists.all() if include_deleted or not cl.deleted]
