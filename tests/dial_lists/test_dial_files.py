"""The dial-list file engine: sources, chunked evaluation, private atomic outputs, upload parts."""

import csv
import datetime as dt
import io
import json
import stat
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import compliance
from compliance import CallingPolicy, PersonAttempts
from dial_lists import (
    OWNER_MARKER,
    RUN_MARKER,
    SEGMENT_FILES,
    UNREADABLE_FILE,
    UPLOAD_COLUMNS,
    MissingColumnsError,
    build_dial_files,
    open_source,
    upload_parts,
)

MONDAY = dt.date(2026, 11, 30)
AT = dt.datetime(2026, 11, 30, 19, 0, tzinfo=dt.UTC)  # a Monday afternoon in every US zone


def contacts(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """Text cells as a CSV gives them: good rows and odd ones, many states and reasons."""
    rng = np.random.default_rng(seed)
    phones = ["(212) 736-5000", "305-555-0142", "8015381234", "+1 602 253 1234", "n/a",
              "4165551234", "8765551234", "8085861234"]  # fmt: skip
    return pd.DataFrame(
        {
            "contact_id": [f"c{i:04d}" for i in range(n)],
            "phone": rng.choice(phones, n),
            "first_name": [f"Name {i}" for i in range(n)],
            "state": rng.choice(["NY", "FL", "", "UT", "Texas"], n),
            "postal_code": rng.choice(["10001", "", "84101", "ABCDE", "33101"], n),
            "consent_call": rng.choice(["true", "true", "true", "no", ""], n),
            "consent_revoked_at": rng.choice(["", "", "", "", "2026-10-01T12:00:00Z"], n),
            "dnc": rng.choice(["false", "false", "false", "", "maybe"], n),
            "attempts_24h": rng.choice(["0", "0", "1", "", "lots"], n),
            "attempts_7d": rng.choice(["0", "1", "2", "3"], n),
        }
    )


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False, row_group_size=7)
    else:
        frame.to_csv(path, index=False)
    return path


def by_id(path: str) -> pd.DataFrame:
    return pd.read_parquet(path).set_index("contact_id")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_source_is_split_as_one_evaluation_of_it_would(tmp_path, suffix):
    frame = contacts()
    source = write(frame, tmp_path / f"contacts{suffix}")
    run = build_dial_files(source, tmp_path / "out", for_day=MONDAY, chunk_rows=6)
    expected = compliance.evaluate_day(frame, MONDAY).set_index("contact_id")

    assert run.read == len(frame) == run.dialable + run.suppressed
    assert run.by_reason == expected["reason"].value_counts().to_dict()
    dialable, suppressed = by_id(run.dialable_parquet_path), by_id(run.suppressed_parquet_path)
    assert set(dialable.index) == set(expected.index[expected["dialable"]])
    assert len(dialable) == run.dialable and len(suppressed) == run.suppressed
    assert (suppressed["reason"] == expected.loc[suppressed.index, "reason"]).all()
    ok = expected.loc[dialable.index]
    assert (dialable["callable_from"] == ok["callable_from"]).all()
    assert (dialable["callable_until_local"] == ok["callable_until_local"].astype(str)).all()
    assert (dialable["time_zone"] == ok["local_zone"].astype(str)).all()
    # The CSV files hold the same rows as the Parquet ones, in the same order.
    csv_ids = pd.read_csv(run.suppressed_path, dtype=str, keep_default_na=False)["contact_id"]
    assert list(csv_ids) == list(suppressed.index)


def test_outputs_are_private_and_a_marker_says_what_they_are(tmp_path):
    source = write(contacts(), tmp_path / "contacts.csv")
    run = build_dial_files(source, tmp_path / "out", at=AT)
    out = tmp_path / "out"
    assert mode(out) == 0o700
    owned = [*SEGMENT_FILES, UNREADABLE_FILE, RUN_MARKER, OWNER_MARKER]
    assert sorted(p.name for p in out.iterdir()) == sorted(owned)
    assert all(mode(path) == 0o600 for path in out.iterdir())
    marker = json.loads((out / RUN_MARKER).read_text())
    assert (marker["at"], marker["for_day"], marker["read"]) == (AT.isoformat(), None, 40)
    assert marker["by_reason"] == run.by_reason and run.marker_path == str(out / RUN_MARKER)


def test_an_fsspec_url_is_read_like_a_file(tmp_path):
    frame = contacts()
    with fsspec.open("memory://lists/contacts.parquet", "wb") as handle:
        frame.to_parquet(handle, index=False)
    run = build_dial_files("memory://lists/contacts.parquet", tmp_path, at=AT, chunk_rows=9)
    expected = compliance.evaluate(frame, AT)
    assert (run.read, run.dialable) == (len(frame), int(expected["dialable"].sum()))
    assert open_source("memory://lists/contacts.parquet").rows == len(frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_missing_column_is_named_and_nothing_is_written(tmp_path, suffix):
    source = write(contacts().drop(columns=["phone"]), tmp_path / f"contacts{suffix}")
    out = tmp_path / "out"
    build_dial_files(write(contacts(), tmp_path / "good.csv"), out, for_day=MONDAY)
    for name in (*SEGMENT_FILES, RUN_MARKER):
        (out / name).write_text("yesterday")
    with pytest.raises(MissingColumnsError, match=r"contacts\.\w+ is missing .*column phone"):
        build_dial_files(source, out, for_day=MONDAY)
    # Yesterday's files are gone, nothing new was written; the directory stays this flow's.
    assert [p.name for p in out.iterdir()] == [OWNER_MARKER]


def test_odd_cells_and_broken_lines_are_suppressed_or_counted_never_fatal(tmp_path):
    header = "contact_id,phone,consent_call,dnc,attempts_24h,consent_revoked_at,first_name,notes"
    lines = [
        header,
        "c1,(212) 736-5000,true,false,0,,Ana,fine",
        "c2,n/a,true,false,0,,Bo,no number",
        "c3,(212) 736-5001,true,maybe,0,,Cy,odd dnc",
        "c4,(212) 736-5002,true,false,lots,,Di,odd attempts",
        "c5,(212) 736-5003,true,false,0,yesterday,Ed,odd revocation",
        "c6,(212) 736-5004,,false,0,,Flo,no consent",
        'c7,(212) 736-5005,true,false,0,,Gus,"a note, with a comma and a ""quote"""',
        "c8,(212) 736-5006,true,false,0,,Hal,one field,too many",
        "c9,(212) 736-5007,true",
        'c10,(212) 736-5008,true,false,0,,Ivy,"a note with a\nline break"',  # two lines
    ]
    data = "\n".join(lines).encode().replace(b"Cy", b"C\xff")  # a byte that is not UTF-8
    source = tmp_path / "contacts.csv"
    source.write_bytes(data + b"\n")
    run = build_dial_files(source, tmp_path / "out", at=AT, chunk_rows=3)

    assert (run.read, run.unreadable, run.text_repairs) == (7, 4, 1)
    assert run.read == run.dialable + run.suppressed
    held = by_id(run.suppressed_parquet_path)
    assert held["reason"].to_dict() == {
        "c2": "invalid_phone",
        "c3": "dnc",
        "c4": "frequency_cap",
        "c5": "consent_revoked",
        "c6": "no_consent",
    }
    # The suppressed file keeps the cells as they came (the bad byte repaired).
    assert held.loc[["c3", "c4", "c5"], ["dnc", "attempts_24h", "consent_revoked_at"]].apply(
        lambda row: row.dropna().tolist(), axis=1
    ).tolist() == [["maybe", "0", ""], ["false", "lots", ""], ["false", "0", "yesterday"]]
    assert held.loc["c3", "first_name"] == "C\ufffd"
    notes = by_id(run.dialable_parquet_path).loc["c7", "notes"]
    assert notes == 'a note, with a comma and a "quote"'


def people() -> pd.DataFrame:
    """Persons with numbers far apart in the file, subjects, and last attempts.

    Florida and Maryland cap a person at 3 calls a day on one subject, whatever the number;
    the campaign allows 5 per number, so only the person-level sums cap anyone.
    """
    rows = []
    for p in range(12):
        for k, attempts in enumerate((1, 1, 1) if p % 3 else (2, 0, 0)):
            subject = ("renewal", "renewal", "")[k] if p % 2 else ("renewal", "claims", "claims")[k]
            rows.append(
                {
                    "contact_id": f"p{p}-{k}",
                    "phone": f"(305) 555-{p:02d}{k:02d}" if p % 4 else f"(410) 555-{p:02d}{k:02d}",
                    "consent_call": "true",
                    "person_id": f"person {p}" if p != 11 else "",
                    "subject": subject,
                    "attempts_24h": str(attempts),
                    "last_attempt_at": f"2026-11-29T{10 + k}:{p:02d}:00Z" if k != 1 else "",
                }
            )
    frame = pd.DataFrame(rows)
    order = np.random.default_rng(5).permutation(len(frame))  # a person's rows far apart
    return frame.iloc[order].reset_index(drop=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_person_caps_count_a_persons_numbers_in_every_chunk(tmp_path, suffix):
    frame = people()
    policy = CallingPolicy(max_attempts_24h=5)
    source = write(frame, tmp_path / f"people{suffix}")
    run = build_dial_files(source, tmp_path / "out", for_day=MONDAY, policy=policy, chunk_rows=4)

    whole = compliance.evaluate_day(frame, MONDAY, policy=policy).set_index("contact_id")
    written = pd.concat([by_id(run.dialable_parquet_path), by_id(run.suppressed_parquet_path)])
    reasons = written["reason"].fillna("ok").loc[whole.index]
    assert reasons.tolist() == whole["reason"].tolist()
    capped = whole.index[whole["reason"] == "frequency_cap"]
    assert (
        written.loc[capped, "next_callable_at"].tolist()
        == whole.loc[capped, "next_callable_at"].tolist()
    )
    # The case is real: chunks judged alone would let some of these persons through.
    alone = pd.concat(
        compliance.evaluate_day(frame.iloc[i : i + 4], MONDAY, policy=policy)
        for i in range(0, len(frame), 4)
    ).set_index("contact_id")
    assert (alone.loc[capped, "reason"] != "frequency_cap").any()


def test_person_totals_from_chunks_equal_those_of_the_whole_list():
    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame(
        {
            "person_id": pd.array(rng.choice([*(f"p{i}" for i in range(400)), "", None], n)),
            "subject": pd.array(rng.choice(["a", "b", "", None], n)),
            "attempts_24h": rng.choice(np.array(["0", "1", "2", "", "x"], dtype=object), n),
            "last_attempt_at": rng.choice(
                np.array(["", "2026-11-29T10:00:00Z", "2026-11-28T09:00:00Z"], dtype=object), n
            ),
        }
    )
    chunks = [frame.iloc[i : i + 250] for i in range(0, n, 250)]
    tallied = PersonAttempts.tally(chunks)
    whole = compliance.evaluate_day(
        frame.assign(contact_id=range(n), phone="(305) 555-0142", consent_call=True),
        MONDAY,
        policy=CallingPolicy(max_attempts_24h=9),
    )
    parts = pd.concat(
        compliance.evaluate_day(
            chunk.assign(contact_id=chunk.index, phone="(305) 555-0142", consent_call=True),
            MONDAY,
            policy=CallingPolicy(max_attempts_24h=9),
            people=tallied,
        )
        for chunk in chunks
    )
    assert (whole["reason"] == "frequency_cap").sum() > 100
    assert parts["reason"].tolist() == whole["reason"].tolist()
    assert parts["next_callable_at"].equals(whole["next_callable_at"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_failure_midway_leaves_no_segment_file(tmp_path, suffix):
    source = write(contacts(), tmp_path / f"contacts{suffix}")
    out = tmp_path / "out"
    build_dial_files(source, out, at=AT)  # yesterday's good run

    def fail_after_the_first_chunk(progress):
        if progress.read > 10:
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        build_dial_files(source, out, at=AT, chunk_rows=10, on_progress=fail_after_the_first_chunk)
    # No final file, no temporary file, no run marker: only the directory's owner marker.
    assert [p.name for p in out.iterdir()] == [OWNER_MARKER]


def test_progress_after_each_chunk(tmp_path):
    seen = []
    parquet = write(contacts(), tmp_path / "contacts.parquet")
    build_dial_files(parquet, tmp_path / "a", at=AT, chunk_rows=15, on_progress=seen.append)
    # The first pass (numbers, persons, repeats), then the evaluation.
    assert [(p.phase, p.read, p.total) for p in seen] == [
        ("tally", 15, 40), ("tally", 30, 40), ("tally", 40, 40),
        ("evaluate", 15, 40), ("evaluate", 30, 40), ("evaluate", 40, 40),
    ]  # fmt: skip
    assert sum(seen[-1].by_reason.values()) == 40
    seen.clear()
    build_dial_files(write(contacts(), tmp_path / "c.csv"), tmp_path / "b", at=AT, chunk_rows=25)
    csv_run = build_dial_files(
        tmp_path / "c.csv", tmp_path / "b", at=AT, chunk_rows=25, on_progress=seen.append
    )
    assert [(p.read, p.total) for p in seen if p.phase == "evaluate"] == [(25, None), (40, None)]
    assert seen[-1].by_reason == csv_run.by_reason


NY, PHOENIX = "(212) 736-5000", "(602) 253-1234"


# phone, campaign day, callable_from (UTC), callable_until (UTC), call_request_time
DAYS = [
    pytest.param(NY, dt.date(2026, 3, 8), "2026-03-08T12:00Z", "2026-03-09T01:00Z",
                 "2026-03-08 08:00:00", id="new-york-spring-forward"),
    pytest.param(NY, dt.date(2026, 11, 1), "2026-11-01T13:00Z", "2026-11-02T02:00Z",
                 "2026-11-01 08:00:00", id="new-york-fall-back"),
    pytest.param(PHOENIX, dt.date(2026, 3, 8), "2026-03-08T15:00Z", "2026-03-09T04:00Z",
                 "2026-03-08 08:00:00", id="arizona-keeps-standard-time"),
    pytest.param(PHOENIX, dt.date(2026, 11, 1), "2026-11-01T15:00Z", "2026-11-02T04:00Z",
                 "2026-11-01 08:00:00", id="arizona-on-fall-back"),
]  # fmt: skip


@pytest.mark.parametrize(("phone", "day", "start", "until", "wall"), DAYS)
def test_day_lists_across_daylight_saving_changes(tmp_path, phone, day, start, until, wall):
    frame = pd.DataFrame({"contact_id": ["c1"], "phone": [phone], "consent_call": ["true"]})
    run = build_dial_files(write(frame, tmp_path / "c.csv"), tmp_path / "out", for_day=day)
    row = by_id(run.dialable_parquet_path).loc["c1"]
    assert (row["callable_from"], row["callable_until"]) == (
        pd.Timestamp(start),
        pd.Timestamp(until),
    )
    assert row["call_request_time"] == wall
    text = pd.read_csv(run.dialable_path, dtype=str).iloc[0]
    assert text["callable_from"] == pd.Timestamp(start).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert pd.Timestamp(text["callable_from_local"]) == pd.Timestamp(start)
    assert text["call_request_time"] == wall


def test_state_holidays_suppress_with_the_next_legal_minute(tmp_path):
    frame = pd.DataFrame(
        {
            "contact_id": ["utah", "pennsylvania", "new-york"],
            "phone": ["8015381234", "2155611234", NY],
            "consent_call": ["true"] * 3,
        }
    )
    source = write(frame, tmp_path / "c.parquet")
    pioneer_day = build_dial_files(source, tmp_path / "a", for_day=dt.date(2026, 7, 24))
    thanksgiving = build_dial_files(source, tmp_path / "b", for_day=dt.date(2026, 11, 26))
    held = by_id(pioneer_day.suppressed_parquet_path)
    assert held["reason"].to_dict() == {"utah": "state_restricted_day"}
    assert held.loc["utah", "next_callable_at"] == pd.Timestamp("2026-07-25T14:00Z")
    assert held.loc["utah", "next_callable_local"] == "2026-07-25T08:00:00-06:00"
    held = by_id(thanksgiving.suppressed_parquet_path)  # a state holiday in both
    assert held["reason"].to_dict() == {
        "utah": "state_restricted_day",
        "pennsylvania": "state_restricted_day",
    }
    assert held.loc["pennsylvania", "next_callable_at"] == pd.Timestamp("2026-11-28T14:00Z")
    assert set(by_id(thanksgiving.dialable_parquet_path).index) == {"new-york"}


def read_part(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


@pytest.mark.parametrize("name", ["dialable_parquet_path", "dialable_path"])
def test_upload_parts_hold_every_dialable_contact_once_within_the_limits(tmp_path, name):
    frame = pd.DataFrame(
        {
            "contact_id": [f"c{i:03d}" for i in range(57)],
            "phone": [f"(212) 736-5{i:03d}" for i in range(57)],
            "consent_call": ["true"] * 57,
            "state": ['N"Y', "NY", "New York"] * 19,  # a quote: the field is quoted
            "postal_code": ["10001"] * 57,
            "first_name": [f"Ana {i}" for i in range(57)],  # no last_name: left empty
        }
    )
    run = build_dial_files(write(frame, tmp_path / "c.parquet"), tmp_path / "out", for_day=MONDAY)
    parts = list(upload_parts(getattr(run, name), max_records=20, max_bytes=800))

    assert [p.number for p in parts] == list(range(1, len(parts) + 1)) and len(parts) > 3
    assert [p.overwrite for p in parts] == [True] + [False] * (len(parts) - 1)
    assert all(len(p.data) <= 800 and p.records <= 20 for p in parts)
    # The byte limit is what cut them: no room was left for another record (about 79 bytes).
    assert all(len(p.data) > 800 - 80 for p in parts[:-1])
    records = [row for p in parts for row in read_part(p.data)]
    assert all(len(read_part(p.data)) == p.records for p in parts)
    assert [r["contact_id"] for r in records] == list(frame["contact_id"])
    assert list(records[0]) == list(UPLOAD_COLUMNS) == [
        "contact_id", "phone", "state", "postal_code", "time_zone", "call_request_time",
        "first_name", "last_name",
    ]  # fmt: skip
    assert records[1] == {
        "contact_id": "c001", "phone": "2127365001", "state": "NY", "postal_code": "10001",
        "time_zone": "Eastern Standard Time", "call_request_time": "2026-11-30 08:00:00",
        "first_name": "Ana 1", "last_name": "",
    }  # fmt: skip
    assert records[0]["state"] == 'N"Y'
    by_records = list(upload_parts(run.dialable_parquet_path, max_records=20))
    assert [p.records for p in by_records] == [20, 20, 17]


def test_no_dialable_contact_gives_one_part_that_empties_the_list(tmp_path):
    frame = pd.DataFrame({"contact_id": ["c1"], "phone": [NY], "consent_call": ["no"]})
    run = build_dial_files(write(frame, tmp_path / "c.csv"), tmp_path / "out", for_day=MONDAY)
    (part,) = upload_parts(run.dialable_parquet_path)
    assert (part.number, part.records, part.overwrite) == (1, 0, True)
    assert part.data == (",".join(UPLOAD_COLUMNS) + "\r\n").encode()
    with pytest.raises(ValueError, match="alone is longer than"):
        frame["consent_call"] = "true"
        run = build_dial_files(write(frame, tmp_path / "c.csv"), tmp_path / "out", for_day=MONDAY)
        header = len(part.data)  # room for the header, not for the record after it
        list(upload_parts(run.dialable_parquet_path, max_bytes=header + 20))


def test_bad_arguments_are_clear_errors(tmp_path):
    source = write(contacts(), tmp_path / "c.csv")
    with pytest.raises(ValueError, match="exactly one of for_day"):
        build_dial_files(source, tmp_path, for_day=MONDAY, at=AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        build_dial_files(source, tmp_path, at=dt.datetime(2026, 11, 30, 12))
    doubled = tmp_path / "d.csv"
    doubled.write_text("contact_id,phone,dnc,dnc\nc1,2127365000,false,true\n")
    with pytest.raises(ValueError, match="dnc twice"):
        open_source(doubled)
    table = pa.table({"contact_id": ["c1"], "phone": ["2127365000"]})
    pq.write_table(table, tmp_path / "c.parquet")
    assert open_source(tmp_path / "c.parquet").columns == ("contact_id", "phone")
