"""Private, atomic output files, the directory that owns them, and the run marker that says
they are whole and current."""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pandas as pd

SEGMENT_FILES = ("dialable.csv", "dialable.parquet", "suppressed.csv", "suppressed.parquet")
UNREADABLE_FILE = "unreadable.csv"
RUN_MARKER = "run.json"
# Written once, when a flow first takes a directory; never removed. It names the flow that
# owns the directory and the files it may replace there: nothing else is ever deleted.
OWNER_MARKER = ".output-owner.json"
OUTPUT_FILES = (*SEGMENT_FILES, UNREADABLE_FILE, RUN_MARKER)

Owner = Literal["dial-list", "export", "outcomes"]
# Each flow's own default directory: the sync never writes where the export does.
DEFAULT_DIRS: dict[Owner, str] = {
    "dial-list": "dial-lists",
    "export": "exports",
    "outcomes": "outcomes",
}


class OutputDirError(ValueError):
    """An output directory this product must not write into (the message says why)."""


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


@cache
def _home_directories() -> frozenset[Path]:
    homes = {Path.home()}
    homes.update(Path(entry.pw_dir) for entry in pwd.getpwall() if entry.pw_dir)
    return frozenset(path.resolve() for path in homes)


def _refusal(directory: Path, owner: Owner) -> str | None:
    """Why `directory` (resolved) must not be used by `owner`, or None."""
    if directory == Path(directory.anchor):
        return "it is the root of the file system"
    if directory in _home_directories():
        return "it is a home directory"
    if directory.exists() and not directory.is_dir():
        return "it is not a directory"
    marker = directory / OWNER_MARKER
    if marker.is_file():
        try:
            found = json.loads(marker.read_text("utf-8")).get("owner")
        except (ValueError, AttributeError, OSError):
            found = None
        if found != owner:
            return f"it holds the files of another flow ({found or 'unknown'}, says {OWNER_MARKER})"
        return None
    if directory.is_dir() and any(directory.iterdir()):
        return f"it is not empty and has no {OWNER_MARKER} saying this flow made it"
    return None


def check_output_dir(output_dir: str | os.PathLike[str], owner: Owner) -> Path:
    """The output directory, resolved, after checking that `owner` may write into it.

    A flow writes only into a directory it made (its owner marker says so) or an empty or
    new one; never the file system's root, a home directory, another flow's directory, or a
    directory holding files of its own. Nothing is created or removed here.

    Raises:
        OutputDirError: The directory must not be used; the message names it and why.

    Example:
        >>> workdir = tempfile.TemporaryDirectory()
        >>> check_output_dir(Path(workdir.name) / "new", "dial-list").name
        'new'
        >>> check_output_dir("/", "dial-list")
        Traceback (most recent call last):
        ...
        dial_lists...OutputDirError: output_dir '/' cannot be used: it is the root of ...
        >>> workdir.cleanup()
    """
    directory = Path(output_dir).expanduser().resolve()
    why = _refusal(directory, owner)
    if why:
        raise OutputDirError(
            f"output_dir {os.fspath(output_dir)!r} cannot be used: {why}; give this flow a "
            f"directory of its own (the default is {DEFAULT_DIRS[owner]!r})"
        )
    return directory


def prepare_output_dir(output_dir: str | os.PathLike[str], owner: Owner = "dial-list") -> Path:
    """Take the output directory for `owner` and remove the previous run's outputs.

    Checks the directory (`check_output_dir`), creates it with mode 0700 (an existing one is
    made 0700), writes the owner marker the first time, then removes `run.json` and the files
    of `OUTPUT_FILES`, with any temporary file a killed run left beside them. Nothing else
    is removed. Called before a run reads anything: a run that fails then leaves no output
    file behind, so yesterday's dialable file can never be taken for today's.

    Raises:
        OutputDirError: See `check_output_dir`.

    Example:
        >>> workdir = tempfile.TemporaryDirectory()
        >>> directory = Path(workdir.name) / "out"
        >>> _ = prepare_output_dir(directory)
        >>> (directory / "dialable.csv").write_text("yesterday")
        9
        >>> (directory / "notes.txt").write_text("mine")
        4
        >>> sorted(p.name for p in prepare_output_dir(directory).iterdir())
        ['.output-owner.json', 'notes.txt']
        >>> workdir.cleanup()
    """
    directory = check_output_dir(output_dir, owner)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    marker = directory / OWNER_MARKER
    if not marker.exists():
        record = {
            "owner": owner,
            "files": list(OUTPUT_FILES),
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        with private_file(marker) as handle:
            handle.write(json.dumps(record, indent=2).encode())
    (directory / RUN_MARKER).unlink(missing_ok=True)  # no moment claims old files
    for name in OUTPUT_FILES:
        (directory / name).unlink(missing_ok=True)
        for leftover in directory.glob(f".{name}.*"):  # a killed run's temporary file
            leftover.unlink(missing_ok=True)
    return directory


def write_run_marker(directory: Path, summary: dict[str, Any]) -> Path:
    """Write `run.json`: the run completed, what it was for, what it counted, its files.

    Written after every output is in place; its presence is what says the outputs are whole
    and current. `summary` must be JSON-serialisable; `completed_at` (UTC) is added.
    """
    path = directory / RUN_MARKER
    marker = {**summary, "completed_at": dt.datetime.now(dt.UTC).isoformat()}
    with private_file(path) as handle:
        handle.write(json.dumps(marker, indent=2, sort_keys=True, default=str).encode())
    return path
