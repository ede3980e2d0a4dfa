"""Outside registries in a dial list: a DNC registry snapshot and the Reassigned Numbers
Database's answers, with the evidence kept."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dial_lists import (
    NO,
    NO_DATA,
    YES,
    Reassigned,
    RegistryError,
    RegistrySnapshot,
    build_dial_files,
)

AT = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)  # a Monday, noon in New York
TODAY = AT.date()


def snapshot(folder: Path, numbers: list[str], downloaded: str = "2026-12-01") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "212.txt").write_text("\n".join(numbers) + "\n")
    (folder / "305.csv.gz").write_bytes(__import__("gzip").compress(b"305,5550109\n"))
    (folder / "manifest.json").write_text(
        json.dumps({"downloaded_at": downloaded, "source": "FTC National DNC Registry"})
    )
    return folder


def test_a_snapshot_older_than_31_days_is_refused_naming_its_date(tmp_path):
    folder = snapshot(tmp_path / "ftc", ["2125550101"], downloaded="2026-11-06")
    assert RegistrySnapshot.open(folder, TODAY).numbers == 2  # 31 days: the last good day
    with pytest.raises(RegistryError, match="downloaded on 2026-11-06, 32 days ago"):
        RegistrySnapshot.open(folder, TODAY + dt.timedelta(days=1))
    (folder / "manifest.json").unlink()
    with pytest.raises(RegistryError, match=r"needs a manifest\.json"):
        RegistrySnapshot.open(folder, TODAY)


def test_probes_find_exactly_the_registered_numbers(tmp_path):
    rng = np.random.default_rng(5)
    registered = np.unique(rng.integers(2_000_000_000, 9_999_999_999, 20_000))
    folder = snapshot(tmp_path / "ftc", [str(n) for n in registered])
    registry = RegistrySnapshot.open(folder, TODAY)
    asked = np.concatenate([registered[:500], rng.integers(2_000_000_000, 9_999_999_999, 500)])
    expected = np.isin(asked, registered) | (asked == 3055550109)
    assert registry.contains(asked).tolist() == expected.tolist()
    assert registry.contains(np.array([3055550109, 0])).tolist() == [True, False]


CONTACTS = [
    # id, phone, consent, consent_at, dnc -> reason
    ("on-registry", "(212) 555-0101", "true", "2025-01-02", "false", "dnc_registry"),
    ("no-consent-too", "(212) 555-0102", "no", "", "false", "dnc_registry"),
    ("dnc-wins", "(212) 555-0103", "true", "", "true", "dnc"),
    ("moved-on", "(212) 555-0104", "true", "2025-01-02", "false", "reassigned"),
    ("still-theirs", "(212) 555-0105", "true", "2025-01-02", "false", "ok"),
    ("no-data", "(212) 555-0106", "true", "2025-01-02", "false", "ok"),
    ("no-date", "(212) 555-0107", "true", "", "false", "ok"),
]


@pytest.mark.parametrize("exempt", [False, True])
def test_registry_and_reassigned_numbers_in_a_list(tmp_path, exempt):
    folder = snapshot(tmp_path / "ftc", ["2125550101", "2125550102", "2125550103"])
    frame = pd.DataFrame(
        [c[:5] for c in CONTACTS],
        columns=["contact_id", "phone", "consent_call", "consent_at", "dnc"],
    )
    source = tmp_path / "crm.csv"
    frame.to_csv(source, index=False)
    asked: list[np.ndarray] = []

    def answers(pairs: np.ndarray) -> Reassigned:
        asked.append(pairs)
        day = dt.date(2025, 1, 2)
        return Reassigned.of(
            {
                (2125550104, day): (YES, "2026-12-07T10:30:00Z"),
                (2125550105, day): (NO, "2026-12-07T10:30:00Z"),
                (2125550106, day): (NO_DATA, "2026-12-07T10:30:00Z"),
            }
        )

    run = build_dial_files(
        source, tmp_path / "out", at=AT, registry=RegistrySnapshot.open(folder, TODAY),
        registry_consent_exempts=exempt, reassigned=answers,
    )  # fmt: skip
    (pairs,) = asked  # asked once, for the contacts with consent and a date only
    assert sorted(pairs // 100_000) == [2125550101, 2125550104, 2125550105, 2125550106]
    rows = pd.concat(
        [pd.read_parquet(run.dialable_parquet_path).assign(reason="ok"),
         pd.read_parquet(run.suppressed_parquet_path)]
    ).set_index("contact_id")  # fmt: skip
    expected = {c[0]: c[5] for c in CONTACTS}
    if exempt:
        expected["on-registry"] = "ok"  # express consent, and the policy lets it count
    assert rows["reason"].to_dict() == expected
    assert rows.loc["moved-on", "detail"].startswith("Reassigned Numbers Database: yes")
    assert (
        "FTC National DNC Registry (snapshot of 2026-12-01)" in rows.loc["no-consent-too", "detail"]
    )
    # The safe harbor's evidence is kept on every row the RND was asked about.
    assert rows.loc["still-theirs", "rnd_answer"] == "no"
    assert rows.loc["still-theirs", "rnd_queried_at"] == "2026-12-07T10:30:00Z"
    assert rows.loc["no-date", "rnd_answer"] == ""
    assert pd.isna(rows.loc["moved-on", "next_callable_at"])
