"""Contact files for dial lists: read a source in chunks, evaluate it, write the segment files.

No Prefect here: `tasks.dial_lists` wraps the evaluation as a task, and the daily sync
(`flows.dial_list`) and the export (`flows.export`) run on this package.

- `open_source` opens a CSV or Parquet file (a local path or any URL `fsspec` can open) and
  checks its header before any data is read.
- `build_dial_files` evaluates the source chunk by chunk with `compliance.evaluate` or
  `evaluate_day`, writing `dialable.csv`, `dialable.parquet`, `suppressed.csv` and
  `suppressed.parquet` as it goes: memory holds one chunk, whatever the file's size.
- `upload_parts` reads the dialable file back as CSV files within the platform's per-file
  limits.

Outputs are private (mode 0600, in a 0700 directory) and atomic: every file is written beside
its target and renamed into place only when the whole source has been read. A run first
removes the previous run's outputs and its marker `run.json`, and writes a new marker last:
after a failed run the directory holds no segment file at all, never yesterday's.
"""

from ._build import DialFiles, Progress, build_dial_files
from ._days import ForDay, campaign_day
from ._files import (
    RUN_MARKER,
    SEGMENT_FILES,
    prepare_output_dir,
    private_file,
    write_private,
    write_run_marker,
)
from ._parts import MAX_PART_BYTES, MAX_PART_RECORDS, UPLOAD_COLUMNS, UploadPart, upload_parts
from ._sources import CHUNK_ROWS, Chunk, ContactSource, MissingColumnsError, open_source
from ._text import repair_text

__all__ = [
    "CHUNK_ROWS",
    "MAX_PART_BYTES",
    "MAX_PART_RECORDS",
    "RUN_MARKER",
    "SEGMENT_FILES",
    "UPLOAD_COLUMNS",
    "Chunk",
    "ContactSource",
    "DialFiles",
    "ForDay",
    "MissingColumnsError",
    "Progress",
    "UploadPart",
    "build_dial_files",
    "campaign_day",
    "open_source",
    "prepare_output_dir",
    "private_file",
    "repair_text",
    "upload_parts",
    "write_private",
    "write_run_marker",
]
