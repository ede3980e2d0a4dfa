"""CXone campaigns: reporting groups that every skill belongs to. Names are not unique and
nothing is idempotent, so a repeated create makes a second campaign."""

from __future__ import annotations

from ..clock import Clock, iso
from .errors import bad_request
from .registry import Registry

_NAME_LIMIT = 80  # what one client of the platform documents; the spec's limit was not found


class AdminCampaigns:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._campaigns: Registry[dict] = Registry("campaign", first_id=7001)

    def clear(self) -> None:
        self._campaigns.clear()

    def create(self, body: object) -> dict:
        """Store a `{name, isActive?, description?, notes?}` body; 400 names the problem."""
        if not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= _NAME_LIMIT:
            raise bad_request(f"name must be 1 to {_NAME_LIMIT} characters")
        if not isinstance(body.get("isActive", True), bool):
            raise bad_request("isActive must be a boolean")
        for field in ("description", "notes"):
            if not isinstance(body.get(field, ""), str):
                raise bad_request(f"{field} must be a string")
        return self._campaigns.add(
            lambda campaign_id: {
                "id": campaign_id,
                "name": name,
                "isActive": body.get("isActive", True),
                "description": body.get("description", ""),
                "notes": body.get("notes", ""),
                "lastUpdateTime": iso(self._clock.now()),
            }
        )

    def get(self, campaign_id: int) -> dict:
        return self._campaigns.get(campaign_id)

    def find(self, campaign_id: object) -> dict | None:
        return self._campaigns.find(campaign_id)

    def all(self) -> list[dict]:
        return self._campaigns.all()
