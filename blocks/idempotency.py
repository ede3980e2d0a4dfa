"""Idempotency records: one block document per logical operation, claimed atomically.

The Prefect server refuses a second block document with the same name, so creating the
record with `save(name, overwrite=False)` is the claim: exactly one caller succeeds. The record
then holds the idempotency keys each step sends, so a run that dies mid-way is finished by the
next one with the same keys and the API replays instead of acting twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from typing import Any, Literal

from prefect.blocks.core import Block
from prefect.exceptions import ObjectAlreadyExists
from pydantic import Field

RecordStatus = Literal["pending", "applied", "failed"]


def record_name(*parts: str, payload: Any = None) -> str:
    """A valid, deterministic block name from the operation's parts (and an optional payload).

    Example:
        >>> record_name("failover", "cmp_A1", "cmp_B2")
        'failover-cmp-a1-cmp-b2'
    """
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)
    if payload is not None:
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        slug = f"{slug}-{digest[:16]}"
    return slug


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IdempotencyRecord(Block):
    """The state of one logical operation (a failover, a campaign creation).

    Example:
        ```python
        from blocks import IdempotencyRecord

        record, claimed = IdempotencyRecord.claim("failover-cmp-a-cmp-b-1", steps=["pause"])
        ```
    """

    _block_type_name = "CXone Idempotency Record"
    _description = (
        "One logical CXone operation (failover, campaign creation): its status, the "
        "idempotency keys it sends and the API's answers. Created atomically as a claim."
    )
    _documentation_url = "https://docs.prefect.io/v3/develop/blocks"
    _code_example = """```python
from blocks import IdempotencyRecord

record = IdempotencyRecord.load("BLOCK_NAME")
print(record.status, record.keys)
```"""

    operation: str = Field(description="What this record is for, e.g. failover of A to B.")
    status: RecordStatus = Field(default="pending", description="pending, applied or failed.")
    keys: dict[str, str] = Field(
        default_factory=dict, description="Idempotency key per step, re-sent on every retry."
    )
    answers: dict[str, Any] = Field(
        default_factory=dict, description="The API's answer per completed step."
    )
    error: str | None = Field(default=None, description="Why the operation failed, if it did.")
    owner: str | None = Field(
        default=None, description="Flow run that claimed or last took over the operation."
    )
    created_at: dt.datetime = Field(default_factory=_now, description="When it was claimed.")
    updated_at: dt.datetime = Field(default_factory=_now, description="Last change.")

    @classmethod
    async def aclaim(
        cls, name: str, operation: str, steps: list[str], owner: str | None = None
    ) -> tuple[IdempotencyRecord, bool]:
        """Create the record (the claim) or load the existing one.

        Returns the record and whether this call created it.
        """
        record = cls(
            operation=operation, keys={step: str(uuid.uuid4()) for step in steps}, owner=owner
        )
        try:
            await record.asave(name, overwrite=False)
        except ValueError as exc:
            if not isinstance(exc.__cause__, ObjectAlreadyExists):
                raise
            return await cls.aload(name), False
        return record, True

    async def aupdate(self, **changes: Any) -> None:
        """Change fields and persist; only the holder of the claim calls this."""
        for field, value in changes.items():
            setattr(self, field, value)
        self.updated_at = _now()
        await self.asave(self._block_document_name, overwrite=True)
