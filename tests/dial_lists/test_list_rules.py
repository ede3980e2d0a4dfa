"""The list-level rules of the dial-list engine, as tables: inert cells, records the platform
cannot take, each id and number placed once, owned output directories, URLs without secrets."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from dial_lists import (
    OWNER_MARKER,
    OutputDirError,
    check_output_dir,
    check_source_url,
    invalid_records,
    neutralise,
    prepare_output_dir,
    upload_fields,
)
from dial_lists._placement import RepeatFinder, id_keys, number_keys
from dial_lists._urls import URL_PATTERN, SourceURLError

CELLS = [
    ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
    ("@SUM(1)", "'@SUM(1)"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("\tTab", "'\tTab"),
    ("\rReturn", "'\rReturn"),
    ("\uff1dSUM(1)", "'\uff1dSUM(1)"),  # a full-width equals sign
    ("+12127365000", "+12127365000"),  # E.164
    ("+1 (212) 736-5000", "+1 (212) 736-5000"),  # a written phone number
    ("-3.5", "-3.5"),
    ("1.21274E+10", "1.21274E+10"),
    ("Ana = Bo", "Ana = Bo"),  # not at the start
    ("", ""),
    (None, None),
]


@pytest.mark.parametrize(("cell", "shown"), CELLS)
def test_formula_cells_are_made_inert_and_numbers_left_alone(cell, shown):
    for type_ in (pa.string(), pa.large_string()):
        assert neutralise(pa.array([cell], type_)).to_pylist() == [shown]


def fields(**columns) -> list[pa.Array]:
    rows = len(next(iter(columns.values())))
    base = {
        "contact_id": pa.array([f"c{i}" for i in range(rows)]),
        "phone_e164": pa.array(["+12127365000"] * rows),
        "time_zone": pa.array(["America/New_York"] * rows),
    }
    return upload_fields({**base, **{k: pa.array(v) for k, v in columns.items()}}, rows)


# first_name, last_name, valid, the detail's words
RECORDS = [
    ("Ana", "Diaz", True, None),
    ("A" * 468, "Diaz", True, None),  # 512 characters in all: the limit itself
    ("A" * 469, "Diaz", False, "the record is 513 characters, over the platform's 512: first_name"),
    ("Ana", "Di\x00az", False, "a control character in last_name"),
    ("Ana\nBo", "Diaz", False, "a control character in first_name"),
    ("Ana\tBo", "Diaz", False, "a control character in first_name"),
    ("Ana\x7f", "Diaz", False, "a control character in first_name"),
    ("Zoë 🙂", "Müller", True, None),  # characters, not bytes
]  # fmt: skip


@pytest.mark.parametrize(("first", "last", "valid", "why"), RECORDS)
def test_records_the_platform_cannot_take_are_named(first, last, valid, why):
    invalid, details = invalid_records(fields(first_name=[first], last_name=[last]))
    assert invalid.tolist() == [not valid]
    assert len(details) == (0 if valid else 1)
    if why:
        assert details[0].startswith(why)


def test_a_blank_contact_id_is_an_invalid_record():
    record = fields(first_name=["Ana", "Bo"])
    record[0] = pa.array(["  ", "c1"])
    invalid, details = invalid_records(record)
    assert invalid.tolist() == [True, False]
    assert details == ["no contact_id: the platform needs an external id"]


def place(chunks: list[tuple[list[str], list[int]]], bits: int | None = None) -> list[str]:
    """The outcome of every row over chunks of (ids, numbers): "placed" or the detail."""
    finder = RepeatFinder(bits) if bits else RepeatFinder()
    for ids, numbers in chunks:
        finder.add(id_keys(pa.array(ids)))
        finder.add(number_keys(np.array(numbers)))
    placement = finder.placement()
    outcomes, line = [], 2
    for ids, numbers in chunks:
        lines = np.arange(line, line + len(ids))
        duplicate, details = placement.place(
            np.ones(len(ids), bool), id_keys(pa.array(ids)), number_keys(np.array(numbers)), lines
        )
        found = iter(details)
        outcomes += [next(found) if dup else "placed" for dup in duplicate]
        line += len(ids)
    return outcomes


def test_each_id_and_number_is_placed_once_across_chunks():
    chunks = [
        (["a", "b", "c"], [2127365001, 2127365002, 2127365003]),
        (["d", "a", "e"], [2127365004, 2127365009, 2127365002]),
        (["f", " d ", "g"], [0, 2127365008, 2127365001]),
    ]
    assert place(chunks) == [
        "placed", "placed", "placed",
        "placed", "contact id already in the list (line 2)", "number already in the list (line 3)",
        "placed", "contact id already in the list (line 5)", "number already in the list (line 2)",
    ]  # fmt: skip


def test_a_tiny_filter_full_of_false_repeats_changes_no_answer():
    rng = np.random.default_rng(3)
    ids = [f"c{i}" for i in rng.integers(0, 400, 1200)]
    numbers = rng.integers(2127360000, 2127360400, 1200).tolist()
    chunks = [(ids[i : i + 100], numbers[i : i + 100]) for i in range(0, 1200, 100)]
    assert place(chunks, bits=64) == place(chunks)  # 64 bits: nearly every key a candidate
    seen_ids, seen_numbers, exact = set(), set(), []
    for cid, number in zip(ids, numbers, strict=True):  # the plain reading, row by row
        exact.append(cid not in seen_ids and number not in seen_numbers)
        if exact[-1]:
            seen_ids.add(cid)
            seen_numbers.add(number)
    assert [outcome == "placed" for outcome in place(chunks)] == exact


def test_a_directory_with_other_files_is_refused_and_an_owned_one_keeps_them(tmp_path):
    (tmp_path / "report.xlsx").write_text("someone's")
    with pytest.raises(OutputDirError, match="not empty"):
        prepare_output_dir(tmp_path)
    out = prepare_output_dir(tmp_path / "lists")
    (out / "notes.txt").write_text("mine")
    (out / "dialable.csv").write_text("old")
    (out / ".dialable.csv.x1y2").write_text("a killed run's temporary file")
    prepare_output_dir(out)
    assert sorted(p.name for p in out.iterdir()) == [OWNER_MARKER, "notes.txt"]
    with pytest.raises(OutputDirError, match="another flow"):
        check_output_dir(out, "export")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputDirError, match="not a directory"):
        check_output_dir(tmp_path / "file", "dial-list")


def test_a_symlink_to_the_root_is_the_root(tmp_path):
    (tmp_path / "root").symlink_to("/")
    with pytest.raises(OutputDirError, match="root of the file system"):
        check_output_dir(tmp_path / "root", "dial-list")


URLS = [
    ("s3://bucket/contacts.csv", True),
    ("crm/contacts.parquet", True),
    ("/data/contacts.csv", True),
    ("http://127.0.0.1:8080/contacts.csv", True),
    ("https://host/x.csv?keyword=a&monkey=b", True),
    ("simplecache::s3://bucket/x.csv", True),
    ("http://user:password@host/contacts.csv", False),
    ("ftp://user@host/contacts.csv", False),
    ("s3://AKIA1:abc/def@bucket/contacts.csv", False),
    ("simplecache::s3://KEY:SECRET@bucket/x.csv", False),
    ("https://host/x.csv?X-Amz-Signature=abc&part=1", False),
    ("https://acct.blob.core.windows.net/c/x.csv?sv=2022-11-02&sig=abc", False),
    ("https://host/x.csv?part=1&API_KEY=abc#frag", False),
    ("https://host/x.csv?token", False),
]


@pytest.mark.parametrize(("url", "allowed"), URLS)
def test_the_schema_pattern_and_the_check_agree_on_every_url(url, allowed):
    assert (re.search(URL_PATTERN, url) is not None) == allowed
    if allowed:
        check_source_url(url)
    else:
        with pytest.raises(SourceURLError) as refused:
            check_source_url(url)
        for secret in ("password", "abc/def", "SECRET", "=abc"):
            assert secret not in str(refused.value)


def _neutralised_by_regex_alone(values: pa.Array) -> list[str | None]:
    """The reading before the first-byte filter: both regexes on every cell."""
    import pyarrow.compute as pc

    from dial_lists._cells import _FORMULA_START, _INERT

    risky = pc.and_(
        pc.match_substring_regex(values, _FORMULA_START),
        pc.invert(pc.match_substring_regex(values, _INERT)),
    ).to_pylist()
    return [
        ("'" + v if r else v) if v is not None else None
        for v, r in zip(values.to_pylist(), risky, strict=True)
    ]


def test_the_first_byte_filter_changes_no_cell():
    rng = np.random.default_rng(11)
    full_width = ["\uff1d", "\uff0b", "\uff0d", "\uff20", "\uff10"]
    alphabet = [*"=+-@\t\r 0123456789.()eE/aZ|!'\"", *full_width, "é", "🙂"]
    cells = ["".join(rng.choice(alphabet, rng.integers(0, 6))) for _ in range(3000)]
    cells = [
        *(None if i % 17 == 0 else cell for i, cell in enumerate(cells)),
        *(c for c, _ in CELLS),
    ]
    for type_ in (pa.string(), pa.large_string()):
        values = pa.array(cells, type_)
        assert neutralise(values).to_pylist() == _neutralised_by_regex_alone(values)
        sliced = values.slice(5, 2000)  # an array that starts inside its buffers
        assert neutralise(sliced).to_pylist() == _neutralised_by_regex_alone(sliced)
        chunked = pa.chunked_array([values.slice(0, 1000), values.slice(1000)])
        assert neutralise(chunked).to_pylist() == _neutralised_by_regex_alone(values)
    assert neutralise(pa.array(["Ana", "Bo"])).to_pylist() == ["Ana", "Bo"]


def test_the_filter_sets_the_bits_one_at_a_time_would():
    rng = np.random.default_rng(5)
    bits = 1 << 12
    finder = RepeatFinder(bits)
    expected = np.zeros(bits // 64, dtype=np.uint64)
    for _ in range(4):
        keys = rng.integers(1, 1 << 63, 3000, dtype=np.uint64)  # 3,000 keys in 64 words
        keys[::7] = keys[0]  # keys repeated within a chunk
        finder.add(keys)
        word, mask = finder._slots(np.unique(keys))
        np.bitwise_or.at(expected, word, mask)
    assert np.array_equal(finder._words, expected)


def test_every_key_seen_twice_is_kept_whatever_the_filter_size():
    rng = np.random.default_rng(11)
    chunks = [rng.integers(1, 1 << 63, 5000, dtype=np.uint64) for _ in range(6)]
    for chunk in chunks[1:]:
        chunk[:50] = rng.choice(np.concatenate(chunks), 50)  # keys from any chunk, this one too
    every = np.concatenate(chunks)
    values, counts = np.unique(every, return_counts=True)
    repeated = values[counts > 1]
    for bits in (64, 1 << 12, 1 << 16, 1 << 27):
        finder = RepeatFinder(bits)
        for chunk in chunks:
            finder.add(chunk)
        kept = finder.placement().candidates
        assert np.isin(repeated, kept).all(), bits  # never a repeat missed
        assert bits < 1 << 20 or len(kept) - len(repeated) < 10  # few false ones in a big one


def test_instants_are_written_as_formatting_each_one_would():
    import pyarrow.compute as pc

    from dial_lists._build import _csv_ready

    seconds = np.array([1_773_061_200, 1_773_061_200, 0, -86_400 * 400, 1_773_061_259], np.int64)
    for tz in ("UTC", "America/New_York", None):
        type_ = pa.timestamp("us", tz)
        values = pa.array([*(seconds * 1_000_000 + 999).tolist(), None], type_)
        column = pa.chunked_array([values.slice(0, 2), values.slice(2)])
        written = _csv_ready(pa.table({"at": column})).column("at").to_pylist()
        fmt = "%Y-%m-%dT%H:%M:%S" + ("" if tz is None else "%z")
        one_by_one = [
            None
            if v is None
            else re.sub(
                r"\+0000$", "Z", pc.strftime(pa.scalar(v, pa.timestamp("s", tz)), fmt).as_py()
            )
            for v in values.cast(pa.timestamp("s", tz), safe=False).to_pylist()
        ]
        assert written == one_by_one
    assert _csv_ready(pa.table({"at": pa.array([], pa.timestamp("us", "UTC"))})).num_rows == 0


def test_id_keys_tell_ids_apart_and_agree_across_chunks():
    rng = np.random.default_rng(8)
    alphabet = np.array(list("abcXYZ019-_ é🙂"))
    ids = ["".join(rng.choice(alphabet, rng.integers(1, 12))) for _ in range(20000)]
    ids += ["ab", "ba", "c1", "c10", "c01", "C1", "x" * 300, "x" * 299 + "y", "é", "e\u0301"]
    trimmed = [cid.strip() for cid in ids]
    keys = id_keys(pa.array(ids))
    by_key: dict[int, str] = {}
    for key, cid in zip(keys.tolist(), trimmed, strict=True):
        if cid:
            assert by_key.setdefault(key, cid) == cid  # one key, one id
        else:
            assert key == 0
    assert len(by_key) == len({cid for cid in trimmed if cid})
    chunked = pa.chunked_array([pa.array(ids[:700]), pa.array(ids[700:]).slice(0)])
    assert np.array_equal(id_keys(chunked), keys)
    assert np.array_equal(id_keys(pa.array(ids[5:9])), keys[5:9])
    before = id_keys(pa.array(["abc"]))
    id_keys(pa.array(["z" * 5000]))  # longer than any id before: more multipliers drawn
    assert np.array_equal(id_keys(pa.array(["abc"])), before)


def test_the_control_character_look_at_the_bytes_changes_no_answer():
    import pyarrow.compute as pc

    from dial_lists._records import _CONTROL, _has_control

    clean = pa.array(["Ana", "Zoë 🙂", None, "", "Bo Diaz"])
    dirty = pa.array(["Ana", "Jo\nJo", None, "a\x7f", "tab\there", "ok"])
    for field in (clean, dirty, dirty.slice(1, 3), dirty.slice(4), clean.slice(0, 2),
                  pa.chunked_array([clean, dirty]), pa.nulls(3, pa.string())):  # fmt: skip
        regex = pc.fill_null(pc.match_substring_regex(field, _CONTROL), False)
        assert _has_control(field).tolist() == regex.to_pylist()
