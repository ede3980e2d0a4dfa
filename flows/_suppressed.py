"""The suppressed contacts, one by one, and the counts by reason, as table artifacts a
supervisor can read.

Only the first few hundred rows go in (an artifact is not a file store), phones masked to
their last four digits and ids a spreadsheet would run as formulas made inert; the
description says how many more there are and where the full file is. The UI renders a
table's text cells as Markdown: `table_artifact` escapes them, so a masked phone shows as
`***-***-5000` rather than as emphasis.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from prefect.artifacts import acreate_table_artifact

from dial_lists import neutralise
from tasks.masking import mask_phone

from ._words import plural

SAMPLE_ROWS = 200
COLUMNS = ("contact_id", "phone", "reason", "detail", "next_callable_local")


# What can start inline Markdown in a cell (emphasis, code, links, HTML, strikethrough, pipes).
_MARKDOWN = re.compile(r"([\\`*_~\[\]<>|])")


def markdown_literal(text: str) -> str:
    r"""`text` escaped so that Markdown shows it as it is.

    Example:
        >>> markdown_literal("***-***-5000"), markdown_literal("a_b [x]")
        ('\\*\\*\\*-\\*\\*\\*-5000', 'a\\_b \\[x\\]')
    """
    return _MARKDOWN.sub(r"\\\1", text)


async def table_artifact(key: str, table: list[dict[str, Any]], description: str) -> None:
    """A table artifact whose text cells read literally in the UI (it renders them as
    Markdown)."""
    await acreate_table_artifact(
        key=key,
        table=[
            {k: markdown_literal(v) if isinstance(v, str) else v for k, v in row.items()}
            for row in table
        ],
        description=description,
    )


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def sample_rows(suppressed: pd.DataFrame) -> list[dict]:
    """The first `SAMPLE_ROWS` suppressed contacts: id, masked phone, reason, its detail, and
    when the contact may next be called in its own local time (empty when time cures nothing).

    Example:
        >>> rows = pd.DataFrame({"contact_id": ["=c1"], "phone": ["(212) 736-5000"],
        ...                      "reason": ["outside_calling_window"],
        ...                      "next_callable_local": ["2026-12-01T08:00:00-05:00"]})
        >>> row = sample_rows(rows)[0]
        >>> row["contact_id"], row["phone"], row["detail"]
        ("'=c1", '***-***-5000', '')
    """
    head = suppressed.head(SAMPLE_ROWS)
    ids = neutralise(pa.array([_text(v) for v in head.get("contact_id", [])], pa.string()))
    return [
        {
            "contact_id": contact_id,
            "phone": mask_phone(row.get("phone")),
            "reason": _text(row.get("reason")),
            "detail": _text(row.get("detail")),
            "next_callable_local": _text(row.get("next_callable_local")),
        }
        for contact_id, row in zip(ids.to_pylist(), head.to_dict("records"), strict=True)
    ]


async def publish_suppressed(
    suppressed: pd.DataFrame, total: int, path: str, key: str = "suppressed-contacts"
) -> None:
    """Publish the sample of `suppressed` (the first rows of `total`) as a table artifact."""
    rows = sample_rows(suppressed)
    more = total - len(rows)
    description = (
        f"First {len(rows):,} of {total:,} suppressed contacts"
        + (f" ({more:,} more)" if more > 0 else "")
        + f"; the full file is {path}"
    )
    await table_artifact(key, rows, description)


def _first_rows(parquet_path: str) -> pd.DataFrame:
    suppressed = pq.ParquetFile(parquet_path)
    wanted = [name for name in COLUMNS if name in suppressed.schema_arrow.names]
    first = next(suppressed.iter_batches(batch_size=SAMPLE_ROWS, columns=wanted), None)
    return first.to_pandas() if first is not None else pd.DataFrame(columns=wanted)


def first_suppressed(parquet_path: str, reason: str, count: int) -> list[dict]:
    """Up to `count` of the first suppressed contacts with `reason`, as `sample_rows` shows
    them (phones masked), for a log line."""
    return [row for row in sample_rows(_first_rows(parquet_path)) if row["reason"] == reason][
        :count
    ]


async def publish_suppressed_file(parquet_path: str, total: int, csv_path: str) -> None:
    """`publish_suppressed` of the first rows of a suppressed Parquet file."""
    await publish_suppressed(_first_rows(parquet_path), total, csv_path)


async def publish_reasons(by_reason: dict[str, int], read: int, key: str, description: str) -> None:
    """The contacts per reason ("ok": dialable), largest first, with their share."""
    await table_artifact(
        key,
        [
            {"reason": reason, "contacts": count, "share": f"{count / (read or 1):.1%}"}
            for reason, count in sorted(by_reason.items(), key=lambda kv: -kv[1])
        ],
        description,
    )


async def publish_rnd_evidence(suppressed_path: str, answers: dict[str, int]) -> None:
    """The Reassigned Numbers Database's answers: their counts, and the first contacts it
    suppressed with when each answer was obtained (the safe harbor's evidence; every row of
    both files keeps it too)."""
    suppressed = pq.ParquetFile(suppressed_path)
    names = [n for n in ("contact_id", "phone", "consent_at", "rnd_answer", "rnd_queried_at",
                         "reason") if n in suppressed.schema_arrow.names]  # fmt: skip
    rows: list[dict] = []
    for batch in suppressed.iter_batches(batch_size=50_000, columns=names):
        frame = batch.to_pandas()
        for row in (
            frame[frame["reason"] == "reassigned"].head(SAMPLE_ROWS - len(rows)).to_dict("records")
        ):
            rows.append(
                {**{k: _text(v) for k, v in row.items()}, "phone": mask_phone(row["phone"])}
            )
        if len(rows) >= SAMPLE_ROWS:
            break
    counts = ", ".join(f"{answer} {count:,}" for answer, count in sorted(answers.items()))
    await table_artifact(
        "reassigned-numbers",
        rows,
        f"Reassigned Numbers Database answers: {counts or 'none asked'}; the "
        f"first {plural(len(rows), 'contact')} it suppressed (answer and query time on every "
        "row of the dialable and suppressed files)",
    )
