"""Sources read strictly: every CSV line accounted for, typed columns checked, in-memory
tables, and no credentials in a source URL."""

import datetime as dt
import gzip
import random

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import compliance
from dial_lists import (
    MissingColumnsError,
    ReadTally,
    SourceTypeError,
    SourceURLError,
    UnreadableLine,
    _csv,
    build_dial_files,
    open_source,
    redact_url,
    repair_text,
)
from dial_lists._sources import IN_MEMORY
from dial_lists._urls import check_source_url

AT = dt.datetime(2026, 11, 30, 19, 0, tzinfo=dt.UTC)  # a Monday afternoon in every US zone
HEADER = b"\xef\xbb\xbfcontact_id,phone,first_name"  # with a byte order mark
# (line content, what it is: a row's first_name, "blank", or why it is unreadable)
MESSY = [
    (b"c1,2127365000,Ana", "Ana"),
    (b"c2,2127365001,\"O'Brien", _csv.UNMATCHED_QUOTE),  # a stray quote at a name's start
    (b"c3,2127365002,Cy", "Cy"),  # not swallowed by the stray quote above
    (b'c4,2127365003,"Smith, Jr."', "Smith, Jr."),  # a quoted comma
    (b'c5,2127365004,"The ""Boss"""', 'The "Boss"'),  # doubled quotes
    (b'c6,2127365005,"a record on', _csv.UNMATCHED_QUOTE),  # one record, two lines
    (b'two lines"', "1 field; the header has 3"),
    (b"c7,2127365006,D\xffi,extra", "4 fields; the header has 3"),
    (b"c8,2127365007", "2 fields; the header has 3"),
    (b"", "blank"),
    (b" \t ", "blank"),
    (b"c9,2127365008,Ed\rEd", _csv.STRAY_CR),
    (b"c10,2127365009,Jos\xe9", "Jos\ufffd"),  # not UTF-8: repaired
    (b'c11,2127365010,"Al"fie', "text after a closing quote: a quoted field must end at a comma"),
    (b"c12,2127365011,Flo", "Flo"),  # the last line, without a newline
]
ROWS = {"Ana", "Cy", "Smith, Jr.", 'The "Boss"', "Jos\ufffd", "Flo"}


def messy(ending: bytes = b"\n") -> bytes:
    return ending.join([HEADER, *(line for line, _ in MESSY)])


def read_all(source, rows: int = 50) -> tuple[list, ReadTally]:
    tally = ReadTally()
    return list(source.chunks(rows, tally=tally)), tally


def expected_unreadable() -> list[UnreadableLine]:
    return [
        UnreadableLine(number, what, line.decode("utf-8", "replace"))
        for number, (line, what) in enumerate(MESSY, start=2)
        if what not in ROWS and what != "blank"
    ]


@pytest.mark.parametrize("rows", [1, 2, 3, 50])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_every_line_of_a_messy_csv_is_a_row_a_blank_or_unreadable(tmp_path, rows, ending, suffix):
    path = tmp_path / f"contacts.csv{suffix}"
    data = messy(ending)
    path.write_bytes(gzip.compress(data) if suffix else data)
    source = open_source(path)
    assert source.columns == ("contact_id", "phone", "first_name")
    chunks, tally = read_all(source, rows)

    table = pa.concat_tables(chunk.table for chunk in chunks)
    lines = np.concatenate([chunk.lines for chunk in chunks])
    expected = [(n, what) for n, (_, what) in enumerate(MESSY, start=2) if what in ROWS]
    assert list(zip(lines.tolist(), table["first_name"].to_pylist(), strict=True)) == expected
    assert table["contact_id"].to_pylist() == ["c1", "c3", "c4", "c5", "c10", "c12"]
    assert all(chunk.table.num_rows <= rows for chunk in chunks)
    assert [u for chunk in chunks for u in chunk.unreadable] == expected_unreadable()
    assert sum(chunk.blank_lines for chunk in chunks) == 2
    assert sum(chunk.text_repairs for chunk in chunks) == 1
    assert tally == ReadTally(lines=15, rows=6, unreadable=7, blank=2, complete=True)
    assert tally.lines == tally.rows + tally.unreadable + tally.blank
    some = pa.concat_tables(c.table for c in source.chunks(rows, ["first_name", "contact_id"]))
    assert some.equals(table.select(["first_name", "contact_id"]))


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
@pytest.mark.parametrize("blank", [b"", b" \t"])  # pyarrow skips an empty line, not " \t"
@pytest.mark.parametrize("short", [b"c3", b"c\xff3"])  # pyarrow cannot show \xff to a handler
def test_a_block_without_quotes_is_read_as_strictly(tmp_path, ending, blank, short):
    path = tmp_path / "contacts.csv"
    path.write_bytes(ending.join([b"contact_id,phone", b"c1,1", blank, b"c2,2,x", short, b"c4,4"]))
    (chunk,), tally = read_all(open_source(path))
    assert chunk.table.to_pydict() == {"contact_id": ["c1", "c4"], "phone": ["1", "4"]}
    assert chunk.lines.tolist() == [2, 6]
    assert [(u.line, u.why, u.text) for u in chunk.unreadable] == [
        (4, "3 fields; the header has 2", "c2,2,x"),
        (5, "1 field; the header has 2", short.decode("utf-8", "replace")),
    ]
    assert tally == ReadTally(lines=5, rows=2, unreadable=2, blank=1, complete=True)


def test_a_chunk_holds_the_unreadable_and_blank_lines_up_to_its_last_row(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(messy() + b"\n\nc13\n")  # after the last row: a blank and a short line
    chunks, _ = read_all(open_source(path), 2)
    assert [(c.lines.tolist(), [u.line for u in c.unreadable], c.blank_lines) for c in chunks] == [
        ([2, 4], [3], 0),
        ([5, 6], [], 0),
        ([14, 16], [7, 8, 9, 10, 13, 15], 2),
        ([], [18], 1),  # what follows the last row comes in a chunk of its own
    ]


def test_the_accounting_is_checked_against_the_newlines_in_the_file(tmp_path, monkeypatch):
    path = tmp_path / "contacts.csv"
    path.write_bytes(messy())
    monkeypatch.setattr(_csv._Counted, "lines", property(lambda self: self._newlines + 2))
    with pytest.raises(RuntimeError, match="split 15 lines, the file has 16"):
        read_all(open_source(path))


def test_a_line_too_long_to_hold_is_reported_and_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(_csv, "_READ_BYTES", 16)
    monkeypatch.setattr(_csv, "_MAX_LINE_BYTES", 300)
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"contact_id,phone\nc1,1\n" + b"x" * 500 + b"\nc2,2\n" + b"y" * 400)
    chunks, tally = read_all(open_source(path))
    assert [u.line for c in chunks for u in c.unreadable] == [3, 5]
    assert chunks[0].unreadable[0].why == "a line longer than 300 bytes"
    assert chunks[0].unreadable[0].text == "x" * 200
    assert tally == ReadTally(lines=4, rows=2, unreadable=2, blank=0, complete=True)


def reference(data: bytes, fields: int) -> tuple[list, list, list, int]:
    """One line at a time with Python's strict CSV reader: what the reader must give."""
    layout = _csv._Layout(tuple("abcdefgh"[:fields]), list("abcdefgh"[:fields]))
    body = data.split(b"\n")[1:]
    if body and body[-1] == b"":
        body.pop()
    rows, lines, unreadable, blank = [], [], [], 0
    for number, line in enumerate(body, start=2):
        raw = line.removesuffix(b"\r")
        if not raw.strip():
            blank += 1
            continue
        text = raw.decode("utf-8", "surrogateescape")
        record = _csv.STRAY_CR if b"\r" in raw else layout.record(text)
        if isinstance(record, str):
            unreadable.append((number, record, raw.decode("utf-8", "replace")[:200]))
        else:
            rows.append(repair_text(record)[0])
            lines.append(number)
    return rows, lines, unreadable, blank


@pytest.mark.parametrize("seed", range(10))
def test_random_lines_are_read_as_one_line_at_a_time_would(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    monkeypatch.setattr(_csv, "_READ_BYTES", rng.choice([7, 64, 1 << 20]))  # blocks' edges
    odd = [b"b", b",", b'"', b"\r", "é".encode(), b"\xff"] if seed % 2 else []
    alphabet = [b"a", b",", b" ", *odd] * 3
    lines = [b"contact_id,phone,name"]
    for _ in range(600):
        line = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        if rng.random() < 0.3:  # a well-formed record, now and then quoted
            line = b",".join(rng.choice([b'"a,""b"""', b"c", b'""', b"", b'"d"']) for _ in "123")
        lines.append(line + rng.choice([b"", b"\r"]))
    lines.append(b"the,last,line")
    data = b"\n".join(lines) + rng.choice([b"", b"\n"])
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    chunks, tally = read_all(open_source(path, format="csv"), rng.choice([1, 5, 1000]))

    rows, numbers, unreadable, blank = reference(data, 3)
    table = pa.concat_tables(chunk.table for chunk in chunks)
    assert [list(row) for row in zip(*table.to_pydict().values(), strict=True)] == rows
    assert np.concatenate([chunk.lines for chunk in chunks]).tolist() == numbers
    assert [(u.line, u.why, u.text) for c in chunks for u in c.unreadable] == unreadable
    assert sum(chunk.blank_lines for chunk in chunks) == blank == tally.blank
    assert tally.lines == len(lines) - 1
    assert tally.complete and tally.lines == tally.rows + tally.unreadable + tally.blank


def test_a_file_with_only_unreadable_lines_gives_an_empty_chunk_that_says_so(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text('contact_id,phone\nc1\n"c2,1\n')
    (chunk,), _ = read_all(open_source(path))
    assert chunk.table.num_rows == 0 and chunk.table.column_names == ["contact_id", "phone"]
    assert [u.line for u in chunk.unreadable] == [2, 3]
    run = build_dial_files(path, tmp_path / "out", at=AT)
    assert (run.read, run.unreadable) == (0, 2)


# --- Typed sources -------------------------------------------------------------------------


def contacts(**columns) -> pa.Table:
    return pa.table({"contact_id": ["c1", "c2"], "phone": ["2127365000", "n/a"], **columns})


@pytest.mark.parametrize(
    ("columns", "refused"),
    [
        ({"phone": pa.array([12127365000.0, None])}, "the phone column of .*crm.parquet is double"),
        (
            {"phone": pa.array([2127365000, 1], pa.int64())},
            "phone column of .*crm.parquet is int64",
        ),
        ({"contact_id": pa.array([7.0, 8.0])}, "the contact_id column of .*crm.parquet is double"),
        ({"contact_id": pa.array([7.0, 8.0], pa.float32())}, "contact_id column .* is float"),
        ({"phone": pa.array(["1", "2"]).dictionary_encode()}, None),
        ({"phone": pa.array(["1", "2"], pa.large_string())}, None),
        ({"phone": pa.array([None, None], pa.null())}, None),  # no number at all
        ({"contact_id": pa.array([7, 8])}, None),
        ({"contact_id": pa.array(["7.0", "8"]).dictionary_encode()}, None),
    ],
)
def test_a_typed_source_stores_phones_as_text_and_ids_not_as_floats(tmp_path, columns, refused):
    path = tmp_path / "crm.parquet"
    pq.write_table(contacts(**columns), path)
    if refused is None:
        assert open_source(path).rows == 2
        assert open_source(contacts(**columns)).rows == 2
        return
    with pytest.raises(SourceTypeError, match=refused):
        open_source(path)
    with pytest.raises(SourceTypeError, match=refused.replace(".*crm.parquet", IN_MEMORY)):
        open_source(contacts(**columns))


def test_a_numeric_phone_column_error_says_why_and_what_to_do(tmp_path):
    path = tmp_path / "crm.parquet"
    pq.write_table(contacts(phone=pa.array([12127365000.0, None])), path)
    with pytest.raises(SourceTypeError) as raised:
        open_source(path)
    assert str(raised.value) == (
        f"the phone column of {path} is double: phone numbers must be stored as text (a "
        "spreadsheet rounds 12127365000 to 1.21274E+10 in a numeric column); export the "
        "column as text"
    )


def test_parquet_rows_are_numbered_as_if_line_one_were_a_header(tmp_path):
    path = tmp_path / "crm.parquet"
    pq.write_table(contacts(phone=pa.array(["1"] * 2)).take([0, 1, 0, 1, 0]), path)
    chunks, tally = read_all(open_source(path), 2)
    assert [c.lines.tolist() for c in chunks] == [[2, 3], [4, 5], [6]]
    assert tally == ReadTally(lines=5, rows=5, unreadable=0, blank=0, complete=True)


# --- In-memory sources ---------------------------------------------------------------------


def test_an_in_memory_table_is_read_in_zero_copy_slices(tmp_path):
    table = contacts(state=["NY", "FL"]).take([0, 1, 0, 1, 0])
    source = open_source(table)
    assert (source.format, source.url, source.rows, source.size) == ("table", IN_MEMORY, 5, None)
    assert source.columns == ("contact_id", "phone", "state")
    chunks, tally = read_all(source, 2)
    assert [c.lines.tolist() for c in chunks] == [[2, 3], [4, 5], [6]]
    assert pa.concat_tables(c.table for c in chunks).equals(table)
    data = table["phone"].chunk(0).buffers()[2].address
    assert all(c.table["phone"].chunk(0).buffers()[2].address == data for c in chunks)
    assert tally.complete and tally.rows == 5
    only = next(source.chunks(columns=["phone"]))
    assert only.table.column_names == ["phone"]


def test_a_dataframe_is_a_source_evaluated_like_a_file(tmp_path):
    frame = pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3"],
            "phone": ["(212) 736-5000", "n/a", "305-555-0142"],
            "consent_call": ["true", "true", "no"],
        }
    )
    source = open_source(frame)
    assert (source.format, source.rows) == ("table", 3)
    run = build_dial_files(frame, tmp_path / "out", at=AT, chunk_rows=2)
    expected = compliance.evaluate(frame, AT)
    assert run.by_reason == expected["reason"].value_counts().to_dict()
    assert run.read == 3


@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        (pd.DataFrame({"id": ["c1"], "phone": ["1"]}), MissingColumnsError, f"{IN_MEMORY} is mi"),
        (pd.DataFrame({"contact_id": ["c1"], "phone": [2127365000]}), SourceTypeError, "int64"),
        (
            pd.DataFrame({"contact_id": ["c1", "c2"], "phone": ["1", "2"], "dnc": [True, "x"]}),
            SourceTypeError,
            "the dnc column of <in-memory table> mixes values of several types",
        ),
    ],
)
def test_an_in_memory_table_gets_the_same_checks(frame, error, match):
    with pytest.raises(error, match=match):
        open_source(frame)
    with pytest.raises(ValueError, match="no file format"):
        open_source(pa.table({"contact_id": ["c1"], "phone": ["1"]}), format="csv")


# --- No secret in a source URL --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "found", "redacted"),
    [
        ("http://user:hunter2@host/x.csv", "user info", "http://***@host/x.csv"),
        ("s3://KEY:hunter2@bucket/x.csv", "user info", "s3://***@bucket/x.csv"),
        ("s3://AKIA:hun/ter+2@bucket/x.csv", "user info", "s3://***@bucket/x.csv"),
        ("ftp://user@host/lists/x.csv", "user info", "ftp://***@host/lists/x.csv"),
        (
            "https://b.s3.amazonaws.com/x.csv?X-Amz-Credential=AKIA%2Fhunter2&X-Amz-Signature=hunter2"
            "&X-Amz-Security-Token=hunter2&X-Amz-Date=20260101",
            "'X-Amz-Credential'",
            "https://b.s3.amazonaws.com/x.csv?X-Amz-Credential=***&X-Amz-Signature=***"
            "&X-Amz-Security-Token=***&X-Amz-Date=20260101",
        ),
        (
            "https://a.blob.core.windows.net/c/x.csv?sv=2022-11-02&sp=r&sig=hunter2%3D",
            "'sig'",
            "https://a.blob.core.windows.net/c/x.csv?sv=2022-11-02&sp=r&sig=***",
        ),
        (
            "https://storage.googleapis.com/b/x.csv?GoogleAccessId=hunter2&Signature=hunter2",
            "'GoogleAccessId'",
            "https://storage.googleapis.com/b/x.csv?GoogleAccessId=***&Signature=***",
        ),
        (
            "https://h/x.csv?x-goog-signature=hunter2",
            "'x-goog-signature'",
            "https://h/x.csv?x-goog-signature=***",
        ),
        ("https://h/x.csv?token=hunter2#top", "'token'", "https://h/x.csv?token=***#top"),
        (
            "https://h/x.csv?access_token=hunter2",
            "'access_token'",
            "https://h/x.csv?access_token=***",
        ),
        ("https://h/x.csv?API_KEY=hunter2&n=1", "'API_KEY'", "https://h/x.csv?API_KEY=***&n=1"),
        ("https://h/x.csv?apikey=hunter2", "'apikey'", "https://h/x.csv?apikey=***"),
        ("https://h/x.csv?key=hunter2", "'key'", "https://h/x.csv?key=***"),
        ("https://h/x.csv?secret=hunter2", "'secret'", "https://h/x.csv?secret=***"),
        ("https://h/x.csv?Password=hunter2", "'Password'", "https://h/x.csv?Password=***"),
        ("https://h/x.csv?pwd=hunter2", "'pwd'", "https://h/x.csv?pwd=***"),
        ("https://h/x.csv?sas=hunter2", "'sas'", "https://h/x.csv?sas=***"),
        ("simplecache::s3://K:hunter2@b/x.csv", "user info", "simplecache::s3://***@b/x.csv"),
    ],
)
def test_a_url_with_credentials_is_refused_and_shown_redacted(url, found, redacted):
    assert redact_url(url) == redacted
    with pytest.raises(SourceURLError, match="pass them in a credentials block") as raised:
        open_source(url)
    message = str(raised.value)
    assert found in message and message.endswith(f"the URL, redacted: {redacted}")
    assert "hunter" not in message


@pytest.mark.parametrize(
    "url",
    [
        "/data/contacts.csv",
        "contacts@2026.csv",
        "file:///data/x.csv",
        "s3://bucket/team@example.com/x.csv",
        "http://host:8080/x@y.csv",
        "https://host/x.csv?part=1&monkey=2&keys_sorted=true",
        "memory://lists/x.csv",
    ],
)
def test_a_url_without_credentials_is_shown_as_it_is(url):
    assert redact_url(url) == url
    check_source_url(url)


def test_storage_options_reach_fsspec_and_are_never_shown():
    with fsspec.open("memory://lists/secret.csv", "wb") as handle:
        handle.write(b"contact_id,phone\nc1,2127365000\n")
    source = open_source("memory://lists/secret.csv", storage_options={"secret": "hunter2"})
    assert source.storage_options == {"secret": "hunter2"}
    assert "hunter2" not in repr(source) and "hunter2" not in str(source)
    assert next(source.chunks()).table["phone"].to_pylist() == ["2127365000"]
    with fsspec.open("memory://lists/bad.csv", "wb") as handle:
        handle.write(b"id,phone\nc1,2127365000\n")
    with pytest.raises(MissingColumnsError) as raised:
        open_source("memory://lists/bad.csv", storage_options={"secret": "hunter2"})
    assert "hunter2" not in str(raised.value)
