"""The suppressed contacts, one by one, as a table artifact a supervisor can read.

Only the first few hundred rows go in (an artifact is not a file store), phones masked to
their last four digits; the description says how many more there are and where the full
file is.
"""

from __future__ import annotations

import pandas as pd
from prefect.artifacts import acreate_table_artifact

from tasks.masking import mask_phone

SAMPLE_ROWS = 200
COLUMNS = ("contact_id", "phone", "reason", "next_callable_local")


def sample_rows(suppressed: pd.DataFrame) -> list[dict]:
    """The first `SAMPLE_ROWS` suppressed contacts: id, masked phone, reason, and when the
    contact may next be called in its own local time (empty when time cures nothing).

    Example:
        >>> rows = pd.DataFrame({"contact_id": ["c1"], "phone": ["(212) 736-5000"],
        ...                      "reason": ["outside_calling_window"],
        ...                      "next_callable_local": ["2026-12-01T08:00:00-05:00"]})
        >>> sample_rows(rows)[0]["phone"]
        '(***) ***-5000'
    """
    head = suppressed.head(SAMPLE_ROWS)
    return [
        {
            "contact_id": str(row.get("contact_id", "")),
            "phone": mask_phone(row.get("phone")),
            "reason": str(row.get("reason", "")),
            "next_callable_local": "" if pd.isna(nxt := row.get("next_callable_local")) else nxt,
        }
        for row in head.to_dict("records")
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
    await acreate_table_artifact(key=key, table=rows, description=description)
