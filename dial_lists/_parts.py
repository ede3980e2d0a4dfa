"""The dialable file read back as upload-sized CSV parts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._memory import release_memory
from ._records import UPLOAD_COLUMNS, upload_fields
from ._sources import CHUNK_ROWS, _parquet, open_source

# The platform's per-file limits for a calling-list upload.
MAX_PART_RECORDS = 500_000
MAX_PART_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class UploadPart:
    """One CSV file for a calling-list upload: a header and at most the per-file limits.

    Attributes:
        number: 1 for the first part, which is uploaded with overwrite (it replaces the
            list's records); later parts are appended.
        records: Records in it (the header not counted).
        data: UTF-8 CSV with the header `UPLOAD_COLUMNS`, lines ending "\\r\\n".
    """

    number: int
    records: int
    data: bytes

    @property
    def overwrite(self) -> bool:
        return self.number == 1


def _csv_fields(text: pa.Array) -> pa.Array:
    """Text cells as CSV fields: quoted (quotes doubled) when they hold a quote, comma or line
    break; nulls empty."""
    text = pc.fill_null(text, "")
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(text, '[",\r\n]'), quoted, text)


def _upload_lines(batch: pa.Table) -> pa.Array:
    """One CSV line ("...\\r\\n") per dialable row, in `UPLOAD_COLUMNS` order."""
    columns = {name: batch.column(name) for name in batch.column_names}
    fields = [_csv_fields(field) for field in upload_fields(columns, batch.num_rows)]
    line = pc.binary_join_element_wise(*fields, ",")
    lines = pc.binary_join_element_wise(line, "", "\r\n")
    return lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines


def upload_parts(
    dialable_path: str | os.PathLike[str],
    *,
    max_records: int = MAX_PART_RECORDS,
    max_bytes: int = MAX_PART_BYTES,
    batch_rows: int = CHUNK_ROWS,
) -> Iterator[UploadPart]:
    """Read a dialable file back as upload-sized CSV parts, in file order.

    Each part holds the header and at most `max_records` records and `max_bytes` bytes, with
    the columns `UPLOAD_COLUMNS` only: `contact_id`, `phone` (the ten digits of
    `phone_e164`, not the source's cell), `state`, `postal_code` (as they came; empty when
    the source had none), `time_zone` (the platform's name of the contact's zone, e.g.
    "Eastern Standard Time"), `call_request_time`, `first_name` and `last_name` (as they
    came; empty when the source had none). These are the default `cxone.CallingListColumns`.
    Upload the first part with overwrite (`part.overwrite`) and append the others, so the
    list ends up holding exactly the dialable contacts; an empty dialable file still gives
    one part (the header alone), which empties the list.

    Args:
        dialable_path: `dialable.parquet` or `dialable.csv` from `build_dial_files` (the
            Parquet file reads faster).
        max_records: Records per part, at most (the platform's limit: 500,000).
        max_bytes: Bytes per part, header included (the platform's limit: 256 MB).
        batch_rows: Rows read at once.

    Yields:
        The parts, numbered from 1.

    Raises:
        ValueError: One record alone is longer than `max_bytes` allows.

    Example:
        >>> import datetime as dt, tempfile
        >>> from pathlib import Path
        >>> from dial_lists import build_dial_files
        >>> workdir = tempfile.TemporaryDirectory()
        >>> path = Path(workdir.name) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,consent_call\\n"
        ...                     "c1,(212) 736-5000,true\\nc2,(212) 736-5001,true\\n")
        >>> run = build_dial_files(path, path.parent / "out", for_day=dt.date(2026, 3, 9))
        >>> parts = list(upload_parts(run.dialable_parquet_path, max_records=1))
        >>> [(p.number, p.overwrite, p.records) for p in parts]
        [(1, True, 1), (2, False, 1)]
        >>> print(*parts[1].data.decode().splitlines(), sep="\\n")
        contact_id,phone,state,postal_code,time_zone,call_request_time,first_name,last_name
        c2,2127365001,,,Eastern Standard Time,2026-03-09 08:00:00,,
        >>> workdir.cleanup()
    """
    header = (",".join(UPLOAD_COLUMNS) + "\r\n").encode()
    if max_records < 1 or max_bytes <= len(header):
        raise ValueError("a part must have room for the header and at least one record")
    pieces: list[bytes] = []
    records = size = 0
    number = 0

    def part() -> UploadPart:
        # Starts the next part too: the pieces are freed before the caller sends this one.
        nonlocal number, pieces, records, size
        number += 1
        made = UploadPart(number, records, b"".join([header, *pieces]))
        pieces, records, size = [], 0, 0
        return made

    for batch in _dialable_batches(Path(dialable_path), batch_rows):
        lines = _upload_lines(batch)
        release_memory()  # the batch's intermediate columns, while the part grows
        _, offsets, data = lines.buffers()
        offsets = np.frombuffer(offsets, np.int32)[lines.offset : lines.offset + len(lines) + 1]
        base, ends = int(offsets[0]), offsets[1:] - offsets[0]  # byte offset after each line
        start = 0
        while start < len(lines):
            before = ends[start - 1] if start else 0
            room = max_bytes - len(header) - size
            fit = int(np.searchsorted(ends[start:] - before, room, side="right"))
            take = min(fit, max_records - records, len(lines) - start)
            if take == 0:
                if not records:
                    raise ValueError(f"record {number + 1} alone is longer than {max_bytes} bytes")
                yield part()
                continue
            end = ends[start + take - 1]
            pieces.append(data[base + int(before) : base + int(end)].to_pybytes())
            records, size, start = records + take, size + int(end - before), start + take
            if records == max_records:
                yield part()
    if records or not number:
        yield part()


def _dialable_batches(path: Path, rows: int) -> Iterator[pa.Table]:
    wanted = [*UPLOAD_COLUMNS, "phone_e164"]
    if path.suffix == ".parquet":
        parquet = _parquet(path)
        columns = [name for name in wanted if name in parquet.schema_arrow.names]
        for batch in parquet.iter_batches(batch_size=rows, columns=columns):
            yield pa.Table.from_batches([batch])
    else:
        source = open_source(path, format="csv")
        columns = [name for name in wanted if name in source.columns]
        for chunk in source.chunks(rows, columns):
            yield chunk.table
