"""A calling-list record as it is uploaded, and the records the platform cannot take.

The platform takes a record of at most 512 characters (its fields joined by commas) in
UTF-8, and the stand-in refuses control characters in a field, as a strict reading; one
such record makes the whole upload file fail. A record that breaks a rule is found before
the upload and suppressed as `invalid_record` with the column named, so it never stops the
others.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxone import CallingListColumns, time_zone_name

from ._cells import neutralise

# The upload file's columns, in the platform's field order: `cxone.CallingListColumns`.
UPLOAD_COLUMNS = tuple(CallingListColumns().model_dump().values())
MAX_RECORD_CHARS = 512
_CONTROL = "[\\x00-\\x1f\\x7f]"
_TEXT = pa.string()


def _zone_names(zones: pa.Array | pa.ChunkedArray) -> pa.Array:
    """IANA zones as the platform names them (`cxone.time_zone_name`); a list has few."""
    text = zones.cast(_TEXT)
    unique = pc.unique(text).drop_null()
    names = pa.array([time_zone_name(zone) for zone in unique.to_pylist()], _TEXT)
    return pc.take(names, pc.index_in(text, value_set=unique))


def upload_fields(columns: Mapping[str, pa.Array | pa.ChunkedArray], rows: int) -> list[pa.Array]:
    """The uploaded value of each `UPLOAD_COLUMNS` column, as text, for `rows` records.

    `columns` holds the dialable rows' cells by name: the source's (`contact_id`, `state`,
    `postal_code`, `first_name`, `last_name`: as they came, formulas made inert), and
    `phone_e164` (uploaded as its ten digits), `time_zone` (an IANA zone, uploaded as the
    platform names it) and `call_request_time`. An absent column uploads empty.

    Example:
        >>> fields = upload_fields({"contact_id": pa.array(["=c1"]),
        ...                         "phone_e164": pa.array(["+12127365000"]),
        ...                         "time_zone": pa.array(["America/Chicago"])}, 1)
        >>> [field[0].as_py() for field in fields]
        ["'=c1", '2127365000', None, None, 'Central Standard Time', None, None, None]
    """

    def column(name: str) -> pa.Array:
        values = columns.get(name)
        if values is None:
            return pa.nulls(rows, _TEXT)
        values = values.cast(_TEXT)
        return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values

    made = {
        "phone": pc.utf8_slice_codeunits(column("phone_e164"), 2),
        "time_zone": _zone_names(column("time_zone")),
        "call_request_time": column("call_request_time"),
    }
    return [made.get(name) or neutralise(column(name)) for name in UPLOAD_COLUMNS]


def _has_control(field: pa.Array) -> np.ndarray:
    """Per cell: whether it holds a control character (False for null). Most columns hold
    none in any cell: one look at their bytes says so, without a regex per cell."""
    if isinstance(field, pa.ChunkedArray):
        field = field.combine_chunks()
    text = field.buffers()[2] if len(field.buffers()) > 2 else None
    if text is not None and not field.offset:  # a whole array: its bytes are its cells'
        data = np.frombuffer(text, dtype=np.uint8)
        if not ((data < 0x20) | (data == 0x7F)).any():
            return np.zeros(len(field), dtype=bool)
    found: np.ndarray = pc.fill_null(pc.match_substring_regex(field, _CONTROL), False).to_numpy(
        zero_copy_only=False
    )
    return found


def invalid_records(fields: list[pa.Array]) -> tuple[np.ndarray, list[str]]:
    """The records the platform cannot take, and why (one detail per such record, in order).

    A record is invalid when its external id is blank, a field holds a control character
    (a line break or tab included), or it is longer than `MAX_RECORD_CHARS` characters.

    Example:
        >>> fields = upload_fields({"contact_id": pa.array(["c1", "c2", " ", "c4"]),
        ...                         "first_name": pa.array(["Ana", "A" * 600, "Bo", "Jo\\nJo"]),
        ...                         "phone_e164": pa.array(["+12127365000"] * 4),
        ...                         "time_zone": pa.array(["America/New_York"] * 4)}, 4)
        >>> invalid, details = invalid_records(fields)
        >>> invalid.tolist()
        [False, True, True, True]
        >>> print(*details, sep="\\n")
        the record is 640 characters, over the platform's 512: first_name has 600
        no contact_id: the platform needs an external id
        a control character in first_name
    """
    rows = len(fields[0]) if fields else 0
    lengths = (
        np.column_stack(
            [
                pc.fill_null(pc.utf8_length(field), 0).to_numpy(zero_copy_only=False)
                for field in fields
            ]
        )
        if rows
        else np.zeros((0, len(fields)), dtype=np.int64)
    )
    record = lengths.sum(axis=1) + max(len(fields) - 1, 0)
    control = (
        np.column_stack([_has_control(field) for field in fields])
        if rows
        else np.zeros((0, len(fields)), dtype=bool)
    )
    external = fields[UPLOAD_COLUMNS.index(CallingListColumns().external_id)] if rows else None
    blank_id = (
        pc.fill_null(pc.equal(pc.utf8_trim_whitespace(external), ""), True).to_numpy(
            zero_copy_only=False
        )
        if external is not None
        else np.zeros(0, dtype=bool)
    )
    too_long = record > MAX_RECORD_CHARS
    invalid = blank_id | control.any(axis=1) | too_long
    details = []
    for row in np.flatnonzero(invalid):
        if blank_id[row]:
            details.append("no contact_id: the platform needs an external id")
        elif control[row].any():
            details.append(f"a control character in {UPLOAD_COLUMNS[int(control[row].argmax())]}")
        else:
            longest = int(lengths[row].argmax())
            details.append(
                f"the record is {record[row]} characters, over the platform's "
                f"{MAX_RECORD_CHARS}: {UPLOAD_COLUMNS[longest]} has {lengths[row, longest]}"
            )
    return invalid, details
