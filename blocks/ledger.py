"""Where the attempts ledger lives: an `AttemptsLedger` block, or the embedded default file.

The embedded default is a SQLite file, `CXONE_LEDGER_PATH` or `attempts-ledger/attempts.db`
under the working directory (a worker's is its deployment's directory); production saves an
`AttemptsLedger` block named "default" whose URL points at the stack's PostgreSQL. The URL
can hold a password: it is a `SecretStr`, shown redacted.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect.blocks.core import Block
from pydantic import Field, HttpUrl, SecretStr

from .credentials import MissingBlock, load_block

DEFAULT_LEDGER = "default"


class AttemptsLedger(Block):
    """The attempts ledger's database: SQLite for one machine, PostgreSQL for a stack.

    Example:
        >>> block = AttemptsLedger(url="postgresql+asyncpg://cxone:pw@127.0.0.1:5432/ledger")
        >>> block
        AttemptsLedger(url=SecretStr('**********'))
        >>> block.shown()
        'postgresql+asyncpg://cxone:***@127.0.0.1:5432/ledger'

        Saved once as "default", it is the ledger every flow uses:

        ```python
        AttemptsLedger(url="postgresql+asyncpg://...").save("default")
        ```
    """

    _block_type_name = "Attempts Ledger"
    _block_type_slug = "attempts-ledger"
    _description = (
        "Where the attempts ledger is kept: every call attempt read back from the platform, "
        "and every opt-out and revocation (a SQLAlchemy async URL: SQLite or PostgreSQL)."
    )
    _documentation_url = HttpUrl("https://docs.sqlalchemy.org/en/20/core/engines.html")
    _code_example = """```python
from blocks import AttemptsLedger

ledger = AttemptsLedger.load("BLOCK_NAME")
print(ledger.shown())
```"""

    url: SecretStr = Field(
        description="SQLAlchemy async URL, e.g. postgresql+asyncpg://user:pw@host/db or "
        "sqlite+aiosqlite:///attempts-ledger/attempts.db; stored encrypted."
    )

    def shown(self) -> str:
        """The URL with its password hidden."""
        from sqlalchemy.engine import make_url  # 0.13 s to import: only when a ledger is shown

        return make_url(self.url.get_secret_value()).render_as_string(hide_password=True)


def _ledger_url(path: Path) -> str:
    # The `ledger` package is imported when a ledger is used: it brings pandas (0.4 s), which
    # every flow's process would otherwise import with `blocks`, a failover's among them.
    from ledger import ledger_url

    return ledger_url(path)


def embedded_path() -> Path:
    """The embedded ledger's file: `CXONE_LEDGER_PATH`, else `attempts-ledger/attempts.db`."""
    from ledger import DEFAULT_PATH  # see `_ledger_url`

    return Path(os.environ.get("CXONE_LEDGER_PATH") or DEFAULT_PATH)


async def ledger_location(reference: str | None = DEFAULT_LEDGER) -> tuple[str, str] | None:
    """The ledger `reference` names, as (its URL, the URL to show); None when there is none.

    `reference` is an `AttemptsLedger` block's name (or "<slug>/<name>"). When no block of
    the default name is saved, the embedded file is the ledger if it exists; None means no
    ledger (a flow then counts the contact file's attempts only).

    Raises:
        MissingBlock: a block other than the default is named and not saved.
    """
    if reference is None:
        return None
    try:
        block = await load_block(reference, AttemptsLedger, "pass ledger=None")
        assert isinstance(block, AttemptsLedger)
    except MissingBlock:
        if reference != DEFAULT_LEDGER:
            raise
        path = embedded_path()
        return (_ledger_url(path), str(path)) if path.exists() else None
    return block.url.get_secret_value(), block.shown()


async def ledger_for_writing(reference: str | None = DEFAULT_LEDGER) -> tuple[str, str]:
    """Like `ledger_location`, but the embedded file when nothing else is named (it is made)."""
    found = await ledger_location(reference or DEFAULT_LEDGER)
    if found is not None:
        return found
    path = embedded_path()
    return _ledger_url(path), str(path)
