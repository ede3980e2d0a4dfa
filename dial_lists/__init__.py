"""Contact files for dial lists: read a source, judge it as a list, write the segment files.

No Prefect here: `tasks.dial_lists` wraps the evaluation as a task, and the daily sync
(`flows.dial_list`) and the export (`flows.export`) run on this package.

- `open_source` opens a CSV or Parquet file (a local path or any URL `fsspec` can open, never
  one carrying credentials) or an in-memory table, and checks its header and the type of its
  phone column before any data is read. CSV is read line-strict: every line is a contact, a
  blank line or an `UnreadableLine`.
- `build_dial_files` reads the source twice: first for what is true of a number or a person
  anywhere in it, then to judge each chunk with `compliance.evaluate` or `evaluate_day`, find
  the records the platform cannot take and place each contact id and number once, writing
  `dialable`, `suppressed` (CSV and Parquet) and `unreadable.csv` as it goes: memory holds
  one chunk, whatever the file's size.
- `upload_parts` reads the dialable file back as CSV files within the platform's per-file
  limits.

Outputs are private (mode 0600, in a 0700 directory the flow owns) and atomic: every file is
written beside its target and renamed into place only when the whole source has been read.
A run first removes the previous run's outputs and its marker `run.json`, and writes a new
marker last: after a failed run the directory holds no segment file at all, never
yesterday's. CSV files people open never hold a cell a spreadsheet would run as a formula.
"""

from ._build import DialFiles, Progress, build_dial_files
from ._cells import neutralise, neutralise_table
from ._csv import UnreadableLine
from ._days import ForDay, campaign_day, iana_zone, utc_now
from ._files import (
    DEFAULT_DIRS,
    OUTPUT_FILES,
    OWNER_MARKER,
    RUN_MARKER,
    SEGMENT_FILES,
    UNREADABLE_FILE,
    OutputDirError,
    Owner,
    check_output_dir,
    prepare_output_dir,
    private_file,
    write_private,
    write_run_marker,
)
from ._outside import NO, NO_DATA, YES, Reassigned, pair_keys
from ._parts import MAX_PART_BYTES, MAX_PART_RECORDS, UploadPart, upload_parts
from ._records import MAX_RECORD_CHARS, UPLOAD_COLUMNS, invalid_records, upload_fields
from ._registry import MAX_AGE_DAYS, RegistryError, RegistrySnapshot, build_index
from ._sources import (
    CHUNK_ROWS,
    Chunk,
    ContactSource,
    MissingColumnsError,
    ReadTally,
    SourceNotFoundError,
    SourceTypeError,
    open_source,
)
from ._text import repair_text
from ._urls import SourceLocation, SourceURLError, check_source_url, redact_url

__all__ = [
    "CHUNK_ROWS",
    "DEFAULT_DIRS",
    "MAX_AGE_DAYS",
    "MAX_PART_BYTES",
    "MAX_PART_RECORDS",
    "MAX_RECORD_CHARS",
    "NO",
    "NO_DATA",
    "OUTPUT_FILES",
    "OWNER_MARKER",
    "RUN_MARKER",
    "SEGMENT_FILES",
    "UNREADABLE_FILE",
    "UPLOAD_COLUMNS",
    "YES",
    "Chunk",
    "ContactSource",
    "DialFiles",
    "ForDay",
    "MissingColumnsError",
    "OutputDirError",
    "Owner",
    "Progress",
    "ReadTally",
    "Reassigned",
    "RegistryError",
    "RegistrySnapshot",
    "SourceLocation",
    "SourceNotFoundError",
    "SourceTypeError",
    "SourceURLError",
    "UnreadableLine",
    "UploadPart",
    "build_dial_files",
    "build_index",
    "campaign_day",
    "check_output_dir",
    "check_source_url",
    "iana_zone",
    "invalid_records",
    "neutralise",
    "neutralise_table",
    "open_source",
    "pair_keys",
    "prepare_output_dir",
    "private_file",
    "redact_url",
    "repair_text",
    "upload_fields",
    "upload_parts",
    "utc_now",
    "write_private",
    "write_run_marker",
]
