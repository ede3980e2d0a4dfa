"""Who is already in the list: a contact id or a number is placed once, the first row stands.

A day's list must hold each contact id and each phone number once. Finding the later rows
exactly, without holding every id and number of a file of millions in memory, takes two
passes over the file:

1. `RepeatFinder` (first pass) sees every row's id and number keys and keeps the keys that
   may occur more than once: a fixed-size Bloom filter remembers the keys seen so far, and
   a key it may have seen before is kept exactly. Keys the filter wrongly thinks it has seen
   are kept too; that costs a few bytes and never changes an answer, because a key kept by
   mistake still occurs once.
2. `Placement` (second pass) remembers, for the kept keys only, the line of the row that
   was placed first; a later row with the same id or number is a duplicate. Rows whose keys
   were not kept occur once in the file and are placed without a lookup.

Keys are 64-bit: a number key is its ten digits, mixed; an id key is a hash of the id's
text, trimmed. Two different ids with one hash would make the later a duplicate: a contact
suppressed, never one dialled twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance import string_buffers

_BLOOM_BITS = 1 << 27  # 16 MiB, whatever the file's size (see RepeatFinder)
_PROBES = np.array(  # odd multipliers (multiply-shift hashing): number keys, word, bits
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64
)
# A key's four bits, as bit numbers 0-63 read from these places of a second hash.
_BIT_FIELDS = tuple(np.uint64(shift) for shift in (58, 52, 46, 40))
_SIX_BITS = np.uint64(63)
_NUMBER_TAG = np.uint64(0x5BD1E9955BD1E995)  # keeps number keys apart from id keys
NO_KEY = np.uint64(0)


def number_keys(numbers: np.ndarray) -> np.ndarray:
    """Keys of ten-digit national numbers (int64; 0 for no number gives key 0).

    Example:
        >>> keys = number_keys(np.array([2127365000, 0, 2127365000]))
        >>> keys[0] == keys[2] != 0, keys[1]
        (np.True_, np.uint64(0))
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    with np.errstate(over="ignore"):
        keys = (numbers.astype(np.uint64) * _PROBES[0]) ^ _NUMBER_TAG
    keys[keys == NO_KEY] = 1
    return np.where(numbers > 0, keys, NO_KEY)


def id_keys(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Keys of contact ids (text, trimmed); blank or null ids give key 0.

    The key is a 64-bit hash of the id's bytes, computed on Arrow's buffers (no Python string
    per id): each byte times a fixed random odd multiplier of its position, summed, with the
    length, then mixed. Two ids differing in one byte never share a key (an odd multiplier
    times a difference under 256 is never 0 modulo 2**64); other pairs do with a chance of
    about 2**-56.

    Example:
        >>> keys = id_keys(pa.array(["C007", " C007 ", None, "", "C008"]))
        >>> keys[0] == keys[1] != keys[4], keys[2], keys[3]
        (np.True_, np.uint64(0), np.uint64(0))
    """
    text = pc.utf8_trim_whitespace(ids.cast(pa.large_string()))
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    offsets, content = string_buffers(text)
    starts, lengths = offsets[:-1], np.diff(offsets)
    longest = int(lengths.max()) if len(lengths) else 0
    with np.errstate(over="ignore"):
        spread = np.zeros(len(lengths), dtype=np.uint64)
        if len(content):
            position = np.arange(len(content), dtype=np.int64) - np.repeat(starts, lengths)
            weighted = content.astype(np.uint64) * _position_multipliers(longest)[position]
            # A running sum read at each id's end: sums of empty ids come out 0 as well.
            running = np.concatenate([np.zeros(1, np.uint64), np.cumsum(weighted, dtype=np.uint64)])
            spread = running[starts + lengths] - running[starts]
        hashed = _mix(spread ^ (lengths.astype(np.uint64) * _LENGTH_TAG))
    blank = lengths == 0
    if text.null_count:
        blank |= ~text.is_valid().to_numpy(zero_copy_only=False)
    hashed[hashed == NO_KEY] = 1
    return np.where(blank, NO_KEY, hashed)


_LENGTH_TAG = np.uint64(0x9FB21C651E98DF25)


def _position_multipliers(length: int) -> np.ndarray:
    """Odd 64-bit multipliers for byte positions 0 .. length - 1 (fixed: one seed)."""
    global _MULTIPLIERS
    if len(_MULTIPLIERS) < length:
        size = max(length, 2 * len(_MULTIPLIERS))
        drawn = np.random.default_rng(0x1D5).integers(0, 1 << 64, size, dtype=np.uint64)
        _MULTIPLIERS = drawn | np.uint64(1)
    return _MULTIPLIERS


_MULTIPLIERS = np.zeros(0, dtype=np.uint64)


def _mix(keys: np.ndarray) -> np.ndarray:
    """A bijection of 64-bit keys that spreads every input bit (the murmur3 finaliser)."""
    with np.errstate(over="ignore"):
        keys = keys ^ (keys >> np.uint64(33))
        keys = keys * np.uint64(0xFF51AFD7ED558CCD)
        keys = keys ^ (keys >> np.uint64(33))
        keys = keys * np.uint64(0xC4CEB9FE1A85EC53)
        mixed: np.ndarray = keys ^ (keys >> np.uint64(33))
    return mixed


class RepeatFinder:
    """The first pass: the keys that may occur more than once in the file.

    A blocked Bloom filter: each key sets four bits of one 64-bit word of the filter, so a
    key costs one read and one write of memory where four probes anywhere cost four of each
    (the filter is larger than the processor's caches, and random reads dominated: a 1M
    list's filter work took 0.34-0.40 s, now 0.15-0.22 s, measured). With the default 16 MiB,
    keys wrongly thought seen (measured with random keys): 1 in 6,800 after 2M keys (a 1M
    list's ids and numbers), 1 in 117 after 10M, 1 in 19 after 20M; each costs a few bytes in
    the second pass, never an answer.

    Example:
        >>> finder = RepeatFinder()
        >>> finder.add(np.array([5, 6, 7], dtype=np.uint64))
        >>> finder.add(np.array([7, 8, 8], dtype=np.uint64))
        >>> finder.placement().candidates.tolist()
        [7, 8]
    """

    def __init__(self, bits: int = _BLOOM_BITS) -> None:
        log_words = max(bits // 64, 1).bit_length() - 1  # a power of two words
        self._shift = np.uint64(64 - log_words)
        self._words = np.zeros(1 << log_words, dtype=np.uint64)
        self._kept: list[np.ndarray] = []

    def _slots(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each key's word of the filter, and the mask of its four bits there."""
        with np.errstate(over="ignore"):
            word = ((keys * _PROBES[1]) >> self._shift).astype(np.intp)
            bits = keys * _PROBES[2]
        mask = np.zeros(len(keys), dtype=np.uint64)
        for field_at in _BIT_FIELDS:
            mask |= np.left_shift(np.uint64(1), (bits >> field_at) & _SIX_BITS)
        return word, mask

    def add(self, keys: np.ndarray) -> None:
        """Count the keys of one chunk (0 is no key and is ignored)."""
        keys, counts = np.unique(keys[keys != NO_KEY], return_counts=True)
        if not len(keys):
            return
        word, mask = self._slots(keys)
        before = self._words[word]  # one pass over the filter's memory (random reads are slow)
        seen = (before & mask) == mask
        # A word listed twice keeps only one of its writes: the lost bits are written again.
        self._words[word] = before | mask
        while len(word):
            lost = (self._words[word] & mask) != mask
            word, mask = word[lost], mask[lost]
            self._words[word] |= mask
        self._kept.append(keys[seen | (counts > 1)])

    def placement(self) -> Placement:
        """The second pass's tracker for the kept keys; the filter's memory is let go."""
        self._words = np.zeros(0, dtype=np.uint64)
        kept = np.unique(np.concatenate(self._kept)) if self._kept else np.zeros(0, np.uint64)
        self._kept = []
        return Placement(kept)


@dataclass
class Placement:
    """The second pass: the line each kept key was first placed on (0: not yet placed).

    Attributes:
        candidates: The keys that may repeat, sorted.
    """

    candidates: np.ndarray
    first_line: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.first_line = np.zeros(len(self.candidates), dtype=np.int64)

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        """Index of each key among the candidates, -1 when it is none of them."""
        if not len(self.candidates):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.candidates, keys), len(self.candidates) - 1)
        return np.where((self.candidates[at] == keys) & (keys != NO_KEY), at, -1)

    def place(
        self, wanted: np.ndarray, ids: np.ndarray, numbers: np.ndarray, lines: np.ndarray
    ) -> tuple[np.ndarray, list[str]]:
        """Place the `wanted` rows of one chunk in file order; the later rows of an id or a
        number already placed are duplicates.

        Args:
            wanted: Rows that would go in the list (bool).
            ids, numbers: Each row's id and number keys.
            lines: Each row's line in the source (named in the details).

        Returns:
            The duplicate rows (bool), and a detail per duplicate row in row order.

        Example:
            >>> tracker = RepeatFinder()
            >>> ids = np.array([1, 2, 1, 3], dtype=np.uint64)
            >>> numbers = np.array([10, 20, 30, 20], dtype=np.uint64)
            >>> tracker.add(ids); tracker.add(numbers)
            >>> placement = tracker.placement()
            >>> duplicate, details = placement.place(
            ...     np.ones(4, bool), ids, numbers, np.arange(2, 6))
            >>> duplicate.tolist()
            [False, False, True, True]
            >>> print(*details, sep="\\n")
            contact id already in the list (line 2)
            number already in the list (line 3)
        """
        id_slot, number_slot = self._slots(ids), self._slots(numbers)
        duplicate = np.zeros(len(wanted), dtype=bool)
        details: list[str] = []
        # Rows whose keys occur once in the file are placed as they are; only the others
        # are walked, in file order (the first one stands).
        for row in np.flatnonzero(wanted & ((id_slot >= 0) | (number_slot >= 0))):
            by_id, by_number = int(id_slot[row]), int(number_slot[row])
            if by_id >= 0 and self.first_line[by_id]:
                duplicate[row] = True
                details.append(f"contact id already in the list (line {self.first_line[by_id]})")
            elif by_number >= 0 and self.first_line[by_number]:
                duplicate[row] = True
                details.append(f"number already in the list (line {self.first_line[by_number]})")
            else:
                for slot in (by_id, by_number):
                    if slot >= 0:
                        self.first_line[slot] = lines[row]
        return duplicate, details
