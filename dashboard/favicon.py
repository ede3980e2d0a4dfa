"""The page's icon, drawn here as a 16x16 ICO: a white trend line on a blue tile."""

from __future__ import annotations

import struct

# One character a pixel, top row first: "#" tile, "o" line, "." transparent.
ROWS = (
    "................",
    ".##############.",
    ".##############.",
    ".############o#.",
    ".###########oo#.",
    ".##########o#o#.",
    ".##o######o##o#.",
    ".#o#o####o###o#.",
    ".#o##o##o####o#.",
    ".o####oo######o.",
    ".##############.",
    ".##############.",
    ".##############.",
    ".##############.",
    ".##############.",
    "................",
)
COLOURS = {"#": (0x2E, 0x5A, 0xAC, 0xFF), "o": (0xFF, 0xFF, 0xFF, 0xFF), ".": (0, 0, 0, 0)}


def ico(rows: tuple[str, ...] = ROWS) -> bytes:
    """A square 32-bit ICO of `rows` (RGBA by `COLOURS`).

    Example:
        >>> icon = ico()
        >>> icon[:4], len(icon)
        (b'\\x00\\x00\\x01\\x00', 1150)
    """
    size = len(rows)
    # BMP rows run bottom-up, pixels as BGRA; the alpha channel makes the AND mask unused.
    pixels = b"".join(
        bytes((blue, green, red, alpha))
        for row in reversed(rows)
        for red, green, blue, alpha in (COLOURS[char] for char in row)
    )
    mask = bytes(((size + 31) // 32) * 4 * size)
    header = struct.pack("<IiiHHIIiiII", 40, size, 2 * size, 1, 32, 0, 0, 0, 0, 0, 0)
    image = header + pixels + mask
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image


FAVICON = ico()
