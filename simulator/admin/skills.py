"""Skills: what dials. A Personal Connection (PC) skill is an outbound phone skill
(`mediaTypeId` 4, `outboundStrategy` "Personal Connection") inside a campaign.

Behaviour the stand-in plays, and the choices made where the sources are silent:

- `create` takes a batch and answers per item (`success`, `error`, `skillId`); one bad item
  does not stop the others. Every item needs `skillName` (1-30 characters), a known
  `mediaTypeId` and an existing `campaignId` (a JSON integer). Outbound items need an
  `outboundStrategy`; a PC skill must be a phone skill. A name already taken (case
  insensitive) fails the item: the rule was not found, and the strict reading makes a blind
  retry of a dropped create fail instead of making a twin.
- New skills are not running. `isRunning` appears in views only while a skill runs.
- Starting a running skill or stopping a stopped one answers 400 `InvalidOperation` (the real
  answer was not found; clients confirm by reading the skill). Only active PC skills start.
- A plain stop lets the active calls finish (they stay counted); `force` ends them at once.
- Deactivating a running skill (`PUT` with `isActive: false`) answers 400: stop it first
  (not found; the strict reading). There is no delete.
- Every start and stop that took effect is logged in `transitions`, oldest first.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from ..clock import Clock, iso
from .campaigns import AdminCampaigns
from .errors import AdminError, bad_request
from .registry import Registry

MEDIA_TYPES = {
    1: "Email",
    3: "Chat",
    4: "Phone Call",
    5: "Voice Mail",
    6: "Work Item",
    7: "SMS",
    9: "Digital",
}
PHONE = 4
PERSONAL_CONNECTION = "Personal Connection"
_NAME_LIMIT = 30
# Optional fields kept from a create or update, with their JSON type; others are ignored.
_OPTIONAL_FIELDS: dict[str, type] = {
    "callerIdOverride": str,
    "scriptId": int,
    "notes": str,
    "priorityBlending": bool,
    "requireDisposition": bool,
    "outboundTelecomRouteId": int,
    "agentless": bool,
    "agentlessPorts": int,
    "deliverMultipleNumbersSerially": bool,
    "callSuppressionScriptId": int,
}


def _typed(value: object, kind: type) -> bool:
    # JSON true is a Python int; it is never a valid number here.
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def invalid_operation(description: str) -> AdminError:
    return AdminError(400, "InvalidOperation", description)


class Skills:
    def __init__(self, clock: Clock, campaigns: AdminCampaigns) -> None:
        self._clock = clock
        self._campaigns = campaigns
        self._skills: Registry[dict] = Registry("skill", first_id=4100001)
        self._created: dict[int, datetime] = {}
        self._running: set[int] = set()
        self.active_calls: dict[int, int] = {}
        self.transitions: list[dict] = []

    def clear(self) -> None:
        for store in (self._skills, self._created, self._running, self.active_calls):
            store.clear()
        self.transitions.clear()

    def create(self, items: list) -> list[dict]:
        """One result per item, in order; the valid items become skills."""
        results = []
        for item in items:
            problem = self._creation_problem(item)
            if problem:
                results.append({"success": False, "error": problem})
                continue
            skill_id = self._skills.add(partial(self._new_skill, item))["skillId"]
            self._created[skill_id] = self._clock.now()
            self.active_calls[skill_id] = 0
            results.append({"success": True, "error": None, "skillId": skill_id})
        return results

    def _new_skill(self, item: dict, skill_id: int) -> dict:
        return {
            "skillId": skill_id,
            "skillName": item["skillName"],
            "mediaTypeId": item["mediaTypeId"],
            "isActive": True,
            "isOutbound": item.get("isOutbound", False),
            "outboundStrategy": item.get("outboundStrategy", ""),
            "campaignId": item["campaignId"],
            **{field: item[field] for field in _OPTIONAL_FIELDS if field in item},
            "lastUpdateTime": iso(self._clock.now()),
        }

    def _creation_problem(self, item: object) -> str | None:
        if not isinstance(item, dict):
            return "each skill must be a JSON object"
        problem = self._name_problem(item.get("skillName"), None)
        if problem:
            return problem
        media = item.get("mediaTypeId")
        if not _typed(media, int) or media not in MEDIA_TYPES:
            return f"mediaTypeId must be one of {sorted(MEDIA_TYPES)}"
        if "campaignId" not in item:
            return "campaignId is required"
        if self._campaigns.find(item["campaignId"]) is None:
            return f"campaign {item['campaignId']!r} was not found"
        outbound = item.get("isOutbound", False)
        strategy = item.get("outboundStrategy")
        if not isinstance(outbound, bool):
            return "isOutbound must be a boolean"
        if strategy is not None and not isinstance(strategy, str):
            return "outboundStrategy must be a string"
        if outbound and not strategy:
            return "outboundStrategy is required for an outbound skill"
        if strategy == PERSONAL_CONNECTION and (media != PHONE or not outbound):
            return "a Personal Connection skill must be an outbound phone skill (mediaTypeId 4)"
        return self._optional_field_problem(item)

    def _name_problem(self, name: object, skill_id: int | None) -> str | None:
        if not isinstance(name, str) or not 1 <= len(name) <= _NAME_LIMIT:
            return f"skillName must be 1 to {_NAME_LIMIT} characters"
        taken = any(
            other["skillName"].lower() == name.lower() and other["skillId"] != skill_id
            for other in self._skills.all()
        )
        return f"a skill named {name!r} already exists" if taken else None

    @staticmethod
    def _optional_field_problem(item: dict) -> str | None:
        for field, kind in _OPTIONAL_FIELDS.items():
            if field in item and not _typed(item[field], kind):
                return f"{field} must be a {kind.__name__}"
        return None

    def get(self, skill_id: int) -> dict:
        return self._skills.get(skill_id)

    def is_running(self, skill_id: int) -> bool:
        return skill_id in self._running

    def view(self, skill_id: int) -> dict:
        """The skill as the API shows it: `isRunning` only while running."""
        skill = self.get(skill_id)
        campaign = self._campaigns.find(skill["campaignId"])
        view = {
            **skill,
            "mediaTypeName": MEDIA_TYPES[skill["mediaTypeId"]],
            "campaignName": campaign["name"] if campaign else "",
        }
        if self.is_running(skill_id):
            view["isRunning"] = True
        return view

    def all(self) -> list[int]:
        return self._skills.ids()

    def listed(self, delay_seconds: float) -> list[int]:
        """Ids that listings show: created at least `delay_seconds` ago."""
        now = self._clock.now()
        return [
            skill_id
            for skill_id, created in self._created.items()
            if (now - created).total_seconds() >= delay_seconds
        ]

    def personal_connection(self, skill_id: int) -> dict:
        """The skill, or 400 when it is not a Personal Connection skill (404: no skill)."""
        skill = self.get(skill_id)
        if not (skill["isOutbound"] and skill["outboundStrategy"] == PERSONAL_CONNECTION):
            raise invalid_operation(f"skill {skill_id} is not a Personal Connection skill")
        return skill

    def check_startable(self, skill_id: int) -> None:
        """400 unless `start` would succeed now."""
        skill = self.personal_connection(skill_id)
        if not skill["isActive"]:
            raise invalid_operation(f"skill {skill_id} is inactive")
        if self.is_running(skill_id):
            raise invalid_operation(f"skill {skill_id} is already running")

    def start(self, skill_id: int, via: str) -> None:
        self.check_startable(skill_id)
        self._running.add(skill_id)
        self._log(skill_id, "start", via=via, force=False, ended_calls=0)

    def stop(self, skill_id: int, force: bool) -> None:
        self.personal_connection(skill_id)
        if not self.is_running(skill_id):
            raise invalid_operation(f"skill {skill_id} is not running")
        self._running.discard(skill_id)
        ended = self.active_calls[skill_id] if force else 0
        self.active_calls[skill_id] -= ended
        self._log(skill_id, "stop", via="api", force=force, ended_calls=ended)

    def _log(self, skill_id: int, action: str, via: str, force: bool, ended_calls: int) -> None:
        self.transitions.append(
            {
                "skillId": skill_id,
                "action": action,
                "via": via,
                "force": force,
                "endedCalls": ended_calls,
                "at": iso(self._clock.now()),
            }
        )

    def update(self, skill_id: int, body: object) -> None:
        """Apply a `{"skill": {...}}` body: name, campaign, isActive and optional fields."""
        skill = self.get(skill_id)
        changes = body.get("skill") if isinstance(body, dict) else None
        if not isinstance(changes, dict):
            raise bad_request('the body must be {"skill": {...}}')
        problem = self._optional_field_problem(changes)
        if "skillName" in changes:
            problem = problem or self._name_problem(changes["skillName"], skill_id)
        if "campaignId" in changes and self._campaigns.find(changes["campaignId"]) is None:
            problem = problem or f"campaign {changes['campaignId']!r} was not found"
        if not isinstance(changes.get("isActive", True), bool):
            problem = problem or "isActive must be a boolean"
        if problem:
            raise bad_request(problem)
        if changes.get("isActive") is False and self.is_running(skill_id):
            raise invalid_operation(f"skill {skill_id} is running; stop it first")
        for field in ("skillName", "campaignId", "isActive", *_OPTIONAL_FIELDS):
            if field in changes:
                skill[field] = changes[field]
        skill["lastUpdateTime"] = iso(self._clock.now())
