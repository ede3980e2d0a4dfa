"""Suppression report: how many contacts each reason held back, overall and per state."""

from __future__ import annotations

import pandas as pd

from ._policy import REASONS

ALL_STATES = "ALL"
NO_STATE = "unknown"


def suppression_report(evaluated: pd.DataFrame) -> list[dict[str, object]]:
    """Counts of suppressed contacts by reason and by state, as table-artifact rows.

    A contact is counted under its first applicable state (the declared one, else the
    ZIP's, else the area code's), or "unknown". Rows: one per reason with state "ALL"
    (in precedence order), then one per (reason, state), largest first.

    Args:
        evaluated: The output of `evaluate`.

    Returns:
        Dicts with keys `reason`, `state` and `contacts`, ready for
        `prefect.artifacts.create_table_artifact(table=...)`.

    Example:
        >>> frame = pd.DataFrame({"dialable": [False, False, True],
        ...                       "reason": ["dnc", "dnc", "ok"], "states": ["FL", "", "NY"]})
        >>> suppression_report(frame)[0]
        {'reason': 'dnc', 'state': 'ALL', 'contacts': 2}
    """
    suppressed = evaluated.loc[~evaluated["dialable"].astype(bool), ["reason", "states"]]
    state = suppressed["states"].fillna("").str.split(";").str[0].replace("", NO_STATE)
    counts = (
        pd.DataFrame({"reason": suppressed["reason"].astype(str), "state": state})
        .value_counts()
        .rename("contacts")
        .reset_index()
    )
    order = {reason: rank for rank, reason in enumerate(REASONS)}
    counts = counts.sort_values(
        ["reason", "contacts", "state"],
        key=lambda column: column.map(order) if column.name == "reason" else column,
        ascending=[True, False, True],
    )
    totals = counts.groupby("reason", sort=False)["contacts"].sum()
    rows: list[dict[str, object]] = [
        {"reason": reason, "state": ALL_STATES, "contacts": int(total)}
        for reason, total in totals.items()
    ]
    rows += [
        {"reason": reason, "state": state, "contacts": int(count)}
        for reason, state, count in counts.itertuples(index=False)
    ]
    return rows
