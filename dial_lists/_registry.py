"""Do-Not-Call registry snapshots: the FTC's National DNC Registry, Canada's National DNCL or
a state list, as downloaded, checked for age, and probed without holding them in memory.

A snapshot is a directory: the registry's number files (text or CSV, ".gz" allowed; each
line holds one number, e.g. "2125550101" or "212,5550101": its last ten digits count) and a
`manifest.json` with `downloaded_at` (an ISO date) and `source` (e.g. "FTC National DNC
Registry"). A seller must use a copy obtained no more than 31 days before the call
(16 CFR 310.4(b)(3)(iv)): an older snapshot is refused.

The US registry holds about 250 million numbers. `build_index` turns the files into one
bitmap per area code (10 million bits: 1.25 MB each) in `registry.bits`, with their offsets
in `registry.index.json`; a probe reads only the bitmaps of the area codes it asks about,
one at a time, so memory stays at one bitmap whatever the registry's size.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

MAX_AGE_DAYS = 31
MANIFEST = "manifest.json"
BITS_FILE = "registry.bits"
INDEX_FILE = "registry.index.json"
_LINE_NUMBERS = 1_000_000  # lines parsed at once while building
_BITS = 10**7  # the seven digits after an area code
_BYTES = _BITS // 8


class RegistryError(ValueError):
    """A snapshot that cannot be used (too old, no manifest, no numbers); the message says
    why and names its date."""


def _number_files(directory: Path) -> list[Path]:
    made = {MANIFEST, BITS_FILE, INDEX_FILE}
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and path.name not in made and not path.name.startswith(".")
        and path.suffix.lower() in (".txt", ".csv", ".gz")
    )  # fmt: skip


def _numbers(path: Path) -> Iterator[np.ndarray]:
    """The ten-digit numbers of one file (int64), a million lines at a time."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        reader = pa_csv.open_csv(
            handle,
            read_options=pa_csv.ReadOptions(column_names=["line"], block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(delimiter="\x1f", quote_char=False),
            convert_options=pa_csv.ConvertOptions(column_types={"line": pa.string()}),
        )
        for batch in reader:
            digits = pc.replace_substring_regex(batch.column(0), r"\D", "")
            ten = pc.utf8_slice_codeunits(digits, -10)
            valid = pc.equal(pc.utf8_length(ten), 10)
            yield pc.cast(ten.filter(valid), pa.int64()).to_numpy()


def build_index(directory: str | os.PathLike[str]) -> int:
    """Build the snapshot's bitmaps from its number files; returns the distinct numbers.

    Two passes, so memory stays small: the numbers are first spread into one temporary file
    per area code, then each area code's bitmap is made and appended to `registry.bits`.

    Example:
        >>> workdir = tempfile.TemporaryDirectory()
        >>> folder = Path(workdir.name)
        >>> _ = (folder / "212.txt").write_text("2125550101\\n212,5550102\\n(212) 555-0101\\n")
        >>> build_index(folder)
        2
        >>> workdir.cleanup()
    """
    folder = Path(directory)
    files = _number_files(folder)
    if not files:
        raise RegistryError(f"the registry snapshot {folder} has no number files (.txt, .csv)")
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        buckets: dict[int, BinaryIO] = {}
        try:
            for path in files:
                for numbers in _numbers(path):
                    npa, rest = np.divmod(numbers, _BITS)
                    order = np.argsort(npa, kind="stable")
                    npa, rest = npa[order], rest[order].astype(np.uint32)
                    cuts = np.flatnonzero(np.diff(npa)) + 1
                    for part_npa, part in zip(
                        npa[np.r_[0, cuts]], np.split(rest, cuts), strict=True
                    ):
                        if int(part_npa) not in buckets:
                            buckets[int(part_npa)] = open(Path(scratch) / f"{part_npa}.u32", "wb")  # noqa: SIM115
                        buckets[int(part_npa)].write(part.tobytes())
        finally:
            for handle in buckets.values():
                handle.close()
        index: dict[str, int] = {}
        total = 0
        bits = folder / f".{BITS_FILE}.building"
        with open(bits, "wb") as out:
            for offset, area in enumerate(sorted(buckets)):
                rest = np.fromfile(Path(scratch) / f"{area}.u32", dtype=np.uint32)
                present = np.zeros(_BITS, dtype=bool)
                present[rest] = True
                total += int(present.sum())
                out.write(np.packbits(present).tobytes())
                index[str(area)] = offset
        os.replace(bits, folder / BITS_FILE)
    (folder / INDEX_FILE).write_text(json.dumps({"area_codes": index, "numbers": total}))
    return total


@dataclass(frozen=True)
class RegistrySnapshot:
    """A registry snapshot checked for age, with its index (see the module docstring).

    Attributes:
        path: The snapshot's directory.
        source: Where it came from (the manifest's `source`).
        downloaded_at: When it was downloaded.
        numbers: Distinct numbers it holds.
    """

    path: Path
    source: str
    downloaded_at: dt.date
    numbers: int
    _area_codes: dict[int, int]

    @staticmethod
    def check(directory: str | os.PathLike[str], today: dt.date) -> tuple[str, dt.date]:
        """The snapshot's source and download date, after checking its manifest and age
        (nothing is read but the manifest).

        Raises:
            RegistryError: No manifest, no date, or a date older than 31 days before
                `today` (named in the message).
        """
        folder = Path(directory)
        try:
            manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
            downloaded = dt.date.fromisoformat(str(manifest["downloaded_at"])[:10])
            source = str(manifest["source"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RegistryError(
                f"the registry snapshot {folder} needs a {MANIFEST} with downloaded_at (an ISO "
                f"date) and source ({type(exc).__name__}: {exc})"
            ) from None
        age = (today - downloaded).days
        if age > MAX_AGE_DAYS:
            raise RegistryError(
                f"the registry snapshot {folder} ({source}) was downloaded on "
                f"{downloaded.isoformat()}, {age} days ago: a copy must be no more than "
                f"{MAX_AGE_DAYS} days old (16 CFR 310.4(b)(3)(iv)); download a new one"
            )
        return source, downloaded

    @classmethod
    def open(cls, directory: str | os.PathLike[str], today: dt.date) -> RegistrySnapshot:
        """Check the snapshot (`check`) and open it, building its index when missing or older
        than its number files.

        Raises:
            RegistryError: See `check`; or the snapshot has no number files.
        """
        folder = Path(directory)
        source, downloaded = cls.check(folder, today)
        index_path = folder / INDEX_FILE
        stale = not index_path.exists() or not (folder / BITS_FILE).exists() or any(
            path.stat().st_mtime > index_path.stat().st_mtime for path in _number_files(folder)
        )  # fmt: skip
        if stale:
            build_index(folder)
        index = json.loads(index_path.read_text("utf-8"))
        area_codes = {int(npa): offset for npa, offset in index["area_codes"].items()}
        return cls(folder, source, downloaded, int(index["numbers"]), area_codes)

    def expires_on(self) -> dt.date:
        """The last day a call may rely on this snapshot."""
        return self.downloaded_at + dt.timedelta(days=MAX_AGE_DAYS)

    def contains(self, numbers: np.ndarray) -> np.ndarray:
        """Which of the ten-digit numbers (int64; 0 for none) the registry holds.

        Reads one area code's bitmap at a time, only those asked about.
        """
        numbers = np.asarray(numbers, dtype=np.int64)
        found = np.zeros(len(numbers), dtype=bool)
        npa, rest = np.divmod(numbers, _BITS)
        wanted = np.unique(npa[(numbers > 0) & np.isin(npa, list(self._area_codes))])
        if not len(wanted):
            return found
        buffer = bytearray(_BYTES)
        with open(self.path / BITS_FILE, "rb") as bits:
            for code in wanted:
                bits.seek(self._area_codes[int(code)] * _BYTES)
                bits.readinto(buffer)
                bitmap = np.frombuffer(buffer, dtype=np.uint8)
                rows = np.flatnonzero(npa == code)
                at = rest[rows]
                found[rows] = (bitmap[at >> 3] >> (7 - (at & 7))) & 1 == 1
        return found
