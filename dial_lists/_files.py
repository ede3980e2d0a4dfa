"""Private, atomic output files and the run marker that says they are whole and current."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pandas as pd

SEGMENT_FILES = ("dialable.csv", "dialable.parquet", "suppressed.csv", "suppressed.parquet")
RUN_MARKER = "run.json"


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path`, with mode 0600, only if the block succeeds.

    The data goes to a private temporary file beside `path` and is renamed over it at the
    end, so a reader never sees half a file and an old file's looser mode is never kept; an
    error inside the block removes the temporary file and leaves `path` as it was.

    Example:
        >>> import stat
        >>> workdir = tempfile.TemporaryDirectory()
        >>> target = Path(workdir.name) / "secret.txt"
        >>> with private_file(target) as handle:
        ...     _ = handle.write(b"555-0142")
        >>> target.read_bytes(), oct(stat.S_IMODE(target.stat().st_mode))
        (b'555-0142', '0o600')
        >>> workdir.cleanup()
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_private(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write a whole frame as CSV or Parquet through `private_file` (mode 0600, atomic)."""
    with private_file(path) as handle:
        if fmt == "csv":
            frame.to_csv(handle, index=False)
        else:
            frame.to_parquet(handle, index=False)


def prepare_output_dir(output_dir: str | os.PathLike) -> Path:
    """Create the output directory (0700) and remove the previous run's outputs and marker.

    Called before a run reads anything: a run that fails then leaves no segment file behind,
    so yesterday's dialable file can never be taken for today's.

    Example:
        >>> workdir = tempfile.TemporaryDirectory()
        >>> directory = Path(workdir.name)
        >>> (directory / "dialable.csv").write_text("yesterday")
        9
        >>> sorted(p.name for p in prepare_output_dir(directory).iterdir())
        []
        >>> workdir.cleanup()
    """
    directory = Path(output_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in (RUN_MARKER, *SEGMENT_FILES):  # the marker first: no moment claims old files
        (directory / name).unlink(missing_ok=True)
    return directory


def write_run_marker(directory: Path, summary: dict) -> Path:
    """Write `run.json`: the run completed, what it was for, what it counted, its files.

    Written after every output is in place; its presence is what says the outputs are whole
    and current. `summary` must be JSON-serialisable; `completed_at` (UTC) is added.
    """
    path = directory / RUN_MARKER
    marker = {**summary, "completed_at": dt.datetime.now(dt.UTC).isoformat()}
    with private_file(path) as handle:
        handle.write(json.dumps(marker, indent=2, sort_keys=True, default=str).encode())
    return path
