"""Idempotency records: one block document per logical operation, claimed atomically.

The Prefect server refuses a second block document of the same type and name, so creating the
record is the claim: exactly one caller succeeds. The record then holds the key each step
sends, each step's answer, and who holds the operation until when (the lease), so a run that
dies anywhere is finished by the next one with the same keys. `blocks.operation` is the one
piece of code that works these records.

What a record is about lives in its fields (`kind`, `subject`, `episode`), never in its name:
the name is derived from a digest of those fields so that different ids cannot collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from prefect.blocks.core import Block
from pydantic import Field, HttpUrl

from . import clock

RecordStatus = Literal["pending", "applied", "failed"]
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_LABEL_LENGTH = 24


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(value: Any, length: int = 20) -> str:
    """A hex digest of a JSON-able value, independent of dict key order.

    Example:
        >>> digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
        True
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def document_name(kind: str, label: str, identity: Any) -> str:
    """A valid block name: `kind`, a readable label, and a digest of the exact identity.

    The label only helps a human scanning the UI; the digest keeps `cmp_a` and `CMP-A` (or
    `cmp_a` and `cmp_a_2`) apart. Nothing ever parses a name back.

    Example:
        >>> document_name("failover", "cmp_A1", ["cmp_A1"]) == document_name(
        ...     "failover", "cmp_A1", ["cmp-a1"])
        False
        >>> document_name("pair", "Renewals Q4", ["x"]).startswith("pair-renewals-q4-")
        True
    """
    slug = _NOT_NAME.sub("-", label.lower()).strip("-")[:_LABEL_LENGTH].strip("-")
    return "-".join(part for part in (kind, slug, digest(identity)) if part)


# Subject keys a record's label shows first, in this order, so that a failover's record
# reads "<primary> <backup>"; any other key follows, by key.
_LABEL_ORDER = ("primary_campaign_id", "backup_campaign_id", "campaign_id")


def _label_rank(key: str) -> tuple[int, str]:
    return (_LABEL_ORDER.index(key) if key in _LABEL_ORDER else len(_LABEL_ORDER), key)


def record_name(kind: str, subject: Mapping[str, str], episode: int | None = None) -> str:
    """The name of the record of one operation; its label names the primary first.

    Example:
        >>> record_name("failover", {"primary_campaign_id": "cmp_a"}, 1) != record_name(
        ...     "failover", {"primary_campaign_id": "cmp_a"}, 2)
        True
        >>> record_name(
        ...     "failover", {"backup_campaign_id": "cmp_b", "primary_campaign_id": "cmp_a"}, 1
        ... ).startswith("failover-cmp-a-cmp-b-")
        True
    """
    # A fixed key order, so one identity always has one name.
    label = " ".join(subject[key] for key in sorted(subject, key=_label_rank))
    return _record_name(kind, label, subject, episode)


def legacy_record_name(kind: str, subject: Mapping[str, str], episode: int | None = None) -> str:
    """The name `record_name` gave before labels named the primary first (values by key, so
    a failover's began with its backup). Records saved then keep that name, and are still
    found by it (`blocks.operation.load`); only the label differs, never the digest.

    Example:
        >>> subject = {"backup_campaign_id": "cmp_b", "primary_campaign_id": "cmp_a"}
        >>> legacy_record_name("failover", subject, 1).startswith("failover-cmp-b-cmp-a-")
        True
        >>> one = {"name": "x"}
        >>> legacy_record_name("provision", one) == record_name("provision", one)
        True
    """
    label = " ".join(value for _, value in sorted(subject.items()))
    return _record_name(kind, label, subject, episode)


def _record_name(kind: str, label: str, subject: Mapping[str, str], episode: int | None) -> str:
    return document_name(kind, label, {"kind": kind, "subject": dict(subject), "ep": episode})


class IdempotencyRecord(Block):
    """The state of one logical operation (a failover, a restore, a campaign creation).

    Example:
        ```python
        from blocks import IdempotencyRecord

        record = IdempotencyRecord.load("BLOCK_NAME")
        print(record.summary())
        ```
    """

    _block_type_name = "CXone Idempotency Record"
    _description = (
        "One logical CXone operation (failover, restore, campaign creation, webhook or "
        "dial-list upload): what it is about, its steps with the idempotency key each sends, "
        "the answers, and which flow run holds it until when. Created atomically as a claim."
    )
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
    _code_example = """```python
from blocks import IdempotencyRecord

record = IdempotencyRecord.load("BLOCK_NAME")
print(record.summary())
```"""

    kind: str = Field(description="What sort of operation: failover, restore, provision, ....")
    subject: dict[str, str] = Field(
        default_factory=dict, description="The exact ids the operation acts on."
    )
    episode: int | None = Field(default=None, description="The failover episode, if any.")
    operation: str = Field(description="What this operation does, in words.")
    status: RecordStatus = Field(default="pending", description="pending, applied or failed.")
    steps: list[str] = Field(default_factory=list, description="The steps, in order.")
    keys: dict[str, str] = Field(
        default_factory=dict, description="Idempotency key per step, re-sent on every retry."
    )
    answers: dict[str, Any] = Field(
        default_factory=dict, description="What each completed step confirmed."
    )
    history: list[str] = Field(
        default_factory=list, description="What happened, one line per event, oldest first."
    )
    error: str | None = Field(default=None, description="Why the last attempt failed, if it did.")
    owner: str | None = Field(default=None, description="Id of the flow run holding it.")
    owner_name: str | None = Field(default=None, description="Name of the flow run holding it.")
    generation: int = Field(
        default=1, ge=1, description="How many holders it has had (1 + takeovers)."
    )
    lease_expires_at: dt.datetime | None = Field(
        default=None, description="The holder must renew before this time or may be replaced."
    )
    attempts: int = Field(default=0, ge=0, description="Attempts that failed so far.")
    next_attempt_at: dt.datetime | None = Field(
        default=None, description="No new attempt before this time after a failure."
    )
    created_at: dt.datetime = Field(default_factory=clock.now, description="When it was claimed.")
    updated_at: dt.datetime = Field(default_factory=clock.now, description="Last change.")

    def done(self, step: str) -> bool:
        """Whether `step` was carried out and confirmed."""
        return step in self.answers

    def summary(self) -> str:
        """One line for people: what, to which ids, in what state, since when."""
        ids = ", ".join(f"{key}={value}" for key, value in self.subject.items())
        steps = ", ".join(f"{s} {'done' if self.done(s) else 'to do'}" for s in self.steps)
        return f"{self.operation} [{ids}] is {self.status} ({steps}); updated {self.updated_at}"


class OperationTakeover(Block):
    """Proof that one run took over an operation's record in one generation.

    Saving it with a name derived from the record and the generation is atomic, so when the
    holder of a record died, exactly one of the runs that notice becomes the next holder.

    Example:
        ```python
        from blocks import OperationTakeover

        takeover = OperationTakeover.load("BLOCK_NAME")
        print(takeover.record, takeover.generation, takeover.owner_name)
        ```
    """

    _block_type_name = "CXone Operation Takeover"
    _description = (
        "Records that a flow run took over an unfinished CXone operation from a holder that "
        "died or failed: the record, the generation and the new holder."
    )
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
    _code_example = """```python
from blocks import OperationTakeover

takeover = OperationTakeover.load("BLOCK_NAME")
print(takeover.record, takeover.generation, takeover.owner_name)
```"""

    record: str = Field(description="Name of the IdempotencyRecord taken over.")
    generation: int = Field(ge=2, description="The generation this takeover starts.")
    owner: str | None = Field(default=None, description="Id of the flow run that took over.")
    owner_name: str | None = Field(default=None, description="Name of that flow run.")
    reason: str = Field(default="", description="Why the previous holder was replaced.")
    taken_at: dt.datetime = Field(default_factory=clock.now, description="When.")


def takeover_name(record: str, generation: int) -> str:
    """Where the takeover that starts `generation` of `record` is saved.

    Example:
        >>> takeover_name("failover-x-0a1b", 2)
        'failover-x-0a1b-g2'
    """
    return f"{record}-g{generation}"
