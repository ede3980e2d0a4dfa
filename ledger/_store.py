"""The attempts ledger's store: every call attempt once, every opt-out, how far each
campaign was collected, and the Reassigned Numbers Database's answers (a cache, and the
evidence of each query).

SQLAlchemy Core over an async driver: SQLite (`sqlite+aiosqlite:///path`, the embedded
default: one file) or PostgreSQL (`postgresql+asyncpg://...`, the production stack's
database). Inserts are idempotent: an attempt is keyed by its platform's id within its
campaign, an opt-out by its number, source and instant, so collecting a window twice
changes nothing. A campaign's cursor only moves forward. An RND answer is keyed by its number
and the date asked about; a newer answer replaces an older one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ._view import LedgerView

_META = sa.MetaData()
ATTEMPTS = sa.Table(
    "attempts",
    _META,
    sa.Column("attempt_key", sa.String(200), primary_key=True),  # "<campaign>:<attempt id>"
    sa.Column("number", sa.BigInteger, nullable=False),
    sa.Column("campaign_id", sa.String(100), nullable=False),
    sa.Column("attempted_at", sa.BigInteger, nullable=False),  # UTC nanoseconds
    sa.Column("result", sa.String(40), nullable=False),
    sa.Column("disposition", sa.String(200)),
    sa.Column("contact_id", sa.String(200)),
    sa.Index("attempts_by_time", "attempted_at", "number"),
    sa.Index("attempts_by_number", "number", "attempted_at"),
)
OPTOUTS = sa.Table(
    "optouts",
    _META,
    sa.Column("number", sa.BigInteger, primary_key=True),
    sa.Column("kind", sa.SmallInteger, primary_key=True),  # OPTED_OUT or REVOKED
    sa.Column("at", sa.BigInteger, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),  # a campaign, a webhook, a file
    sa.Column("detail", sa.String(400)),  # the disposition, the channel
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
)
CURSORS = sa.Table(
    "cursors",
    _META,
    sa.Column("campaign_id", sa.String(100), primary_key=True),
    sa.Column("collected_until", sa.BigInteger, nullable=False),
)
RND_ANSWERS = sa.Table(
    "rnd_answers",
    _META,
    sa.Column("number", sa.String(10), primary_key=True),  # ten digits
    sa.Column("consent_date", sa.Date, primary_key=True),  # the date asked about
    sa.Column("result", sa.String(8), nullable=False),  # yes, no or no_data
    sa.Column("queried_at", sa.BigInteger, nullable=False),  # UTC nanoseconds
    sa.Column("data_as_of", sa.Date),
)
DEFAULT_PATH = Path("attempts-ledger") / "attempts.db"
_DAY_NS = 86_400 * 10**9
_SLICE = 200_000  # numbers counted per query
_NUMBERS_PER_LOOKUP = 500  # bound parameters of one query (SQLite allows 32,766)
_WEEK_NS = 7 * _DAY_NS


def _ns(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"a ledger instant must be timezone-aware, got {moment.isoformat()}")
    return pd.Timestamp(moment).tz_convert("UTC").value


def _moment(ns: int) -> dt.datetime:
    return pd.Timestamp(ns, tz="UTC").to_pydatetime()


@dataclass(frozen=True)
class AttemptRow:
    """One call attempt as the ledger keeps it."""

    campaign_id: str
    attempt_id: str
    number: int
    attempted_at: dt.datetime
    result: str
    disposition: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True)
class OptOutRow:
    """A number that must not be called again: an opt-out on a call or a revocation."""

    number: int
    at: dt.datetime
    kind: int  # OPTED_OUT or REVOKED
    source: str
    detail: str | None = None


@dataclass(frozen=True)
class RndAnswerRow:
    """The Reassigned Numbers Database's answer for a number and the date asked about (the
    consent date), as the ledger keeps it: the evidence of the query.

    `rnd.RndAnswer` has the same fields; either can be stored.
    """

    number: str  # ten digits
    date: dt.date  # the date asked about
    result: str  # "yes", "no" or "no_data"
    queried_at: dt.datetime  # UTC
    data_as_of: dt.date | None = None


class _RndAnswerLike(Protocol):
    number: str
    date: dt.date
    result: str
    queried_at: dt.datetime
    data_as_of: dt.date | None


def ledger_url(location: str | Path | None) -> str:
    """The store's SQLAlchemy URL: a URL as given, a path as SQLite, None the default path.

    Example:
        >>> ledger_url("attempts-ledger/attempts.db")
        'sqlite+aiosqlite:///attempts-ledger/attempts.db'
        >>> ledger_url("postgresql+asyncpg://u:p@127.0.0.1/ledger")
        'postgresql+asyncpg://u:p@127.0.0.1/ledger'
    """
    text = str(location or DEFAULT_PATH)
    return text if "://" in text else f"sqlite+aiosqlite:///{text}"


def _insert(engine: AsyncEngine, table: sa.Table) -> Any:
    """An insert that skips rows whose key is already there (either dialect)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


class Ledger:
    """The attempts ledger at one URL (see `ledger_url`); use `open_ledger`.

    Example:
        >>> import asyncio, tempfile
        >>> async def demo(path):
        ...     async with open_ledger(path) as ledger:
        ...         at = dt.datetime(2026, 12, 5, 15, tzinfo=dt.UTC)
        ...         row = AttemptRow("4100", "c1", 2125550101, at, "answered")
        ...         first = await ledger.add_attempts([row])
        ...         again = await ledger.add_attempts([row])  # the same attempt: kept once
        ...         view = await ledger.view(at + dt.timedelta(hours=1))
        ...         return first, again, view.day.tolist()
        >>> workdir = tempfile.TemporaryDirectory()
        >>> asyncio.run(demo(f"{workdir.name}/attempts.db"))
        (1, 0, [1])
        >>> workdir.cleanup()
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_attempts(self, rows: Iterable[AttemptRow]) -> int:
        """Keep the attempts not kept yet; returns how many were new."""
        values = [
            {
                "attempt_key": f"{row.campaign_id}:{row.attempt_id}",
                "number": row.number,
                "campaign_id": row.campaign_id,
                "attempted_at": _ns(row.attempted_at),
                "result": row.result,
                "disposition": row.disposition,
                "contact_id": row.contact_id,
            }
            for row in rows
        ]
        return await self._insert(ATTEMPTS, values)

    async def add_optouts(self, rows: Iterable[OptOutRow]) -> int:
        """Keep the opt-outs not kept yet; returns how many were new."""
        now = _ns(dt.datetime.now(dt.UTC))
        values = [
            {
                "number": row.number,
                "kind": row.kind,
                "at": _ns(row.at),
                "source": row.source,
                "detail": row.detail,
                "recorded_at": now,
            }
            for row in rows
        ]
        return await self._insert(OPTOUTS, values)

    async def _insert(self, table: sa.Table, values: list[dict[str, Any]]) -> int:
        if not values:
            return 0
        added = 0
        async with self._engine.begin() as connection:
            for start in range(0, len(values), 5_000):
                result = await connection.execute(
                    _insert(self._engine, table), values[start : start + 5_000]
                )
                added += max(result.rowcount or 0, 0)
        return added

    async def collected_until(self, campaign_id: str) -> dt.datetime | None:
        """How far the campaign's attempts were collected, or None."""
        query = sa.select(CURSORS.c.collected_until).where(CURSORS.c.campaign_id == campaign_id)
        async with self._engine.connect() as connection:
            value = (await connection.execute(query)).scalar_one_or_none()
        return None if value is None else _moment(value)

    async def advance(self, campaign_id: str, until: dt.datetime) -> None:
        """Move the campaign's cursor to `until`, never back."""
        ns = _ns(until)
        async with self._engine.begin() as connection:
            await connection.execute(
                _insert(self._engine, CURSORS), [{"campaign_id": campaign_id, "collected_until": 0}]
            )
            await connection.execute(
                sa.update(CURSORS)
                .where(CURSORS.c.campaign_id == campaign_id, CURSORS.c.collected_until < ns)
                .values(collected_until=ns)
            )

    async def view(self, at: dt.datetime) -> LedgerView:
        """Counts of the 7 days before `at` and every opt-out up to it (see `LedgerView`).

        The database counts, one row per number, read a slice of numbers at a time (by key,
        each slice fetched whole: a few round trips, a bounded list of rows in memory).
        """
        at_ns = _ns(at)
        when = ATTEMPTS.c.attempted_at
        parts: list[np.ndarray] = []
        after = 0
        async with self._engine.connect() as connection:
            while True:
                counts = (
                    sa.select(
                        ATTEMPTS.c.number,
                        sa.func.sum(sa.case((when > at_ns - _DAY_NS, 1), else_=0)),
                        sa.func.count(),
                        sa.func.max(when),
                    )
                    .where(when > at_ns - _WEEK_NS, when <= at_ns, ATTEMPTS.c.number > after)
                    .group_by(ATTEMPTS.c.number)
                    .order_by(ATTEMPTS.c.number)
                    .limit(_SLICE)
                )
                rows = (await connection.execute(counts)).all()
                if rows:
                    parts.append(np.array(rows, dtype=np.int64).reshape(-1, 4))
                    after = int(parts[-1][-1, 0])
                if len(rows) < _SLICE:
                    break
            optouts = sa.select(OPTOUTS.c.number, OPTOUTS.c.at, OPTOUTS.c.kind).where(
                OPTOUTS.c.at <= at_ns
            )
            held = (await connection.execute(optouts)).all()
        table = np.concatenate(parts) if parts else np.zeros((0, 4), dtype=np.int64)
        out = np.array(held, dtype=np.int64).reshape(-1, 3)
        numbers, day, week, last = table.T
        return LedgerView.from_counts(
            at_ns, numbers, day, week, last, out[:, 0], out[:, 1], out[:, 2].astype(np.int8)
        )

    async def optouts(self, since: dt.datetime, until: dt.datetime) -> list[OptOutRow]:
        """The opt-outs made in [since, until), oldest first (for the CRM's file)."""
        query = (
            sa.select(OPTOUTS)
            .where(OPTOUTS.c.at >= _ns(since), OPTOUTS.c.at < _ns(until))
            .order_by(OPTOUTS.c.at)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            OptOutRow(r["number"], _moment(r["at"]), r["kind"], r["source"], r["detail"])
            for r in rows
        ]

    async def batch(self, source: str) -> list[OptOutRow]:
        """The opt-outs recorded with this `source` (a webhook delivery's batch)."""
        query = sa.select(OPTOUTS).where(OPTOUTS.c.source == source).order_by(OPTOUTS.c.number)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            OptOutRow(r["number"], _moment(r["at"]), r["kind"], r["source"], r["detail"])
            for r in rows
        ]

    async def rnd_answers(
        self, pairs: Iterable[tuple[str, dt.date]]
    ) -> dict[tuple[str, dt.date], RndAnswerRow]:
        """The answers kept for these (number, date asked about) pairs; a pair never asked is
        absent.

        Example:
            >>> import asyncio, tempfile
            >>> async def demo(path):
            ...     async with open_ledger(path) as ledger:
            ...         at = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
            ...         pair = ("2125550101", dt.date(2025, 1, 2))
            ...         await ledger.add_rnd_answers([RndAnswerRow(*pair, "no", at)])
            ...         older = RndAnswerRow(*pair, "yes", at - dt.timedelta(days=9))
            ...         await ledger.add_rnd_answers([older])  # queried before: kept out
            ...         return (await ledger.rnd_answers([pair]))[pair].result
            >>> workdir = tempfile.TemporaryDirectory()
            >>> asyncio.run(demo(f"{workdir.name}/attempts.db"))
            'no'
            >>> workdir.cleanup()

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The database cannot be read.
        """
        wanted = set(pairs)
        numbers = sorted({number for number, _ in wanted})
        found: dict[tuple[str, dt.date], RndAnswerRow] = {}
        async with self._engine.connect() as connection:
            for start in range(0, len(numbers), _NUMBERS_PER_LOOKUP):
                chunk = numbers[start : start + _NUMBERS_PER_LOOKUP]
                query = sa.select(RND_ANSWERS).where(RND_ANSWERS.c.number.in_(chunk))
                for row in (await connection.execute(query)).mappings():
                    key = (row["number"], row["consent_date"])
                    if key in wanted:
                        found[key] = RndAnswerRow(
                            row["number"],
                            row["consent_date"],
                            row["result"],
                            _moment(row["queried_at"]),
                            row["data_as_of"],
                        )
        return found

    async def add_rnd_answers(self, answers: Iterable[_RndAnswerLike]) -> None:
        """Keep these answers (`RndAnswerRow`s or `rnd.RndAnswer`s); one for a pair already
        kept replaces it only if it was queried later (see `rnd_answers`).

        Raises:
            ValueError: An answer's `queried_at` has no time zone (nothing is written).
            sqlalchemy.exc.SQLAlchemyError: The database cannot be written.
        """
        values = [
            {
                "number": answer.number,
                "consent_date": answer.date,
                "result": str(answer.result),
                "queried_at": _ns(answer.queried_at),
                "data_as_of": answer.data_as_of,
            }
            for answer in answers
        ]
        if not values:
            return
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(RND_ANSWERS)
        newer = insert.excluded
        upsert = insert.on_conflict_do_update(
            index_elements=[RND_ANSWERS.c.number, RND_ANSWERS.c.consent_date],
            set_={
                "result": newer.result,
                "queried_at": newer.queried_at,
                "data_as_of": newer.data_as_of,
            },
            where=RND_ANSWERS.c.queried_at < newer.queried_at,
        )
        async with self._engine.begin() as connection:
            for start in range(0, len(values), 5_000):
                await connection.execute(upsert, values[start : start + 5_000])

    async def count(self) -> int:
        """Attempts kept."""
        async with self._engine.connect() as connection:
            return (
                await connection.execute(sa.select(sa.func.count()).select_from(ATTEMPTS))
            ).scalar_one()


@asynccontextmanager
async def open_ledger(location: str | Path | None = None) -> AsyncIterator[Ledger]:
    """The ledger at `location` (see `ledger_url`), its tables made if missing; a SQLite
    file's directory is made with mode 0700 and the file is 0600.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: The database cannot be reached or written.
    """
    url = make_url(ledger_url(location))
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_META.create_all)
        yield Ledger(engine)
    finally:
        await engine.dispose()
