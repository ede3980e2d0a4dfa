"""Shared helper: evaluate one contact at a fixed instant."""

from collections.abc import Callable

import pandas as pd
import pytest

import compliance


@pytest.fixture
def judge() -> Callable[..., pd.Series]:
    """Evaluate one consenting contact (override any column) at an ISO instant."""

    def run(at: str, policy: compliance.CallingPolicy | None = None, **columns) -> pd.Series:
        row = {"contact_id": "c1", "consent_call": True, **columns}
        return compliance.evaluate(pd.DataFrame([row]), pd.Timestamp(at), policy).iloc[0]

    return run
