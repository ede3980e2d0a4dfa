"""What a benchmark hands `python -m benchmarks`: its figures against their targets, and the
series the page plots, as JSON (`--json PATH`).

    {"figures": [{"name", "measured", "target", "passed"}], "series": {name: [...]}}

`passed` is None for a figure without a target.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of them at or below.

    Example:
        >>> percentile([float(n) for n in range(1, 11)], 0.9)
        9.0
    """
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="also write the figures and series here")


def figure(name: str, measured: str, target: str = "", passed: bool | None = None) -> dict:
    """One row of the page: what was measured, against which target, and whether it met it."""
    return {"name": name, "measured": measured, "target": target, "passed": passed}


def write(
    path: Path | None, figures: list[dict], series: dict[str, Any] | None = None, **details: Any
) -> None:
    """Write the benchmark's figures and series (and any `details`, which the page does not
    show) to `path`; nothing when it is None."""
    if path is not None:
        page = {"figures": figures, "series": series or {}, **details}
        path.write_text(json.dumps(page, indent=1, default=str))
