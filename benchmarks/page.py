"""The benchmark page: one Markdown table of every figure against its target, and the plots.

`write_page` takes what each benchmark wrote with `--json` (see `benchmarks._report`) and
writes, into a directory:

- `BENCHMARKS.md`: one table (benchmark, figure, measured, target, pass);
- `fleet.png`: a fleet run's seconds against its pairs, the first run (which fails over 5%)
  and the next one, with the 15 s target (series `fleet_first`, `fleet_next`);
- `storm.png`: per platform, the storm's failover latencies, a histogram and the cumulative
  share, with p50, p90 and p99 marked and the 3 s target (series `storm_<platform>`).

A plot whose series no benchmark gave is not drawn; the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI
import matplotlib.pyplot as plt

from benchmarks._report import percentile

FLEET_TARGET_SECONDS = 15.0
STORM_TARGET_P99 = 3.0
STORM_PREFIX = "storm_"


@dataclass
class Result:
    """One benchmark's run: its JSON (figures and series), or why there is none."""

    name: str
    figures: list[dict[str, Any]] = field(default_factory=list)
    series: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float | None = None

    @classmethod
    def of(cls, name: str, data: dict[str, Any], seconds: float | None = None) -> Result:
        return cls(name, list(data.get("figures", [])), dict(data.get("series", {})), None, seconds)


def _verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "-"}[passed]


def table(results: list[Result], size: str) -> str:
    """The Markdown page: a heading, one table of every figure, and the plots."""
    lines = [
        f"# Benchmarks ({size})",
        "",
        "| benchmark | figure | measured | target | pass |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        if result.error is not None:
            lines.append(f"| {result.name} | did not finish | {result.error} | | MISS |")
            continue
        for row in result.figures:
            cells = [result.name, row["name"], row["measured"], row["target"] or ""]
            cells.append(_verdict(row["passed"]))
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines.append("")
    return "\n".join(lines)


def series(results: list[Result]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for result in results:
        merged.update(result.series)
    return merged


def plot_fleet(data: dict[str, Any], path: Path) -> bool:
    """Fleet growth: seconds a run against pairs; False (nothing written) without the series."""
    runs = {label: data.get(key) for key, label in
            (("fleet_first", "first run (fails over 5%)"), ("fleet_next", "next run"))}  # fmt: skip
    if not any(runs.values()):
        return False
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for label, points in runs.items():
        if points:
            sizes, seconds = zip(*sorted(points), strict=True)
            axes.plot(sizes, seconds, marker="o", label=label)
    axes.axhline(FLEET_TARGET_SECONDS, color="red", linestyle="--", label="target (2,000 pairs)")
    axes.set(xlabel="pairs", ylabel="seconds a run", title="monitor_fleet as the fleet grows")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def plot_storm(data: dict[str, Any], path: Path) -> bool:
    """The storm's latencies per platform; False (nothing written) without the series."""
    platforms = sorted(key for key in data if key.startswith(STORM_PREFIX) and data[key])
    if not platforms:
        return False
    figure, panels = plt.subplots(1, len(platforms), figsize=(6.5 * len(platforms), 4.5))
    for axes, key in zip(panels if len(platforms) > 1 else [panels], platforms, strict=True):
        latencies = sorted(float(value) for value in data[key])
        axes.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#8cb4d9")
        axes.set(
            xlabel="seconds from the low reading to the backup confirmed",
            ylabel="failovers",
            title=f"{key.removeprefix(STORM_PREFIX)}: {len(latencies)} failovers",
        )
        share = axes.twinx()
        share.plot(latencies, [(n + 1) / len(latencies) for n in range(len(latencies))],
                   color="#1f4e79", label="cumulative share")  # fmt: skip
        share.set_ylim(0, 1.02)
        share.set_ylabel("share done")
        for name, quantile, style in (("p50", 0.5, ":"), ("p90", 0.9, "-."), ("p99", 0.99, "--")):
            value = percentile(latencies, quantile)
            axes.axvline(value, color="black", linestyle=style, label=f"{name} {value:.2f} s")
        axes.axvline(STORM_TARGET_P99, color="red", label=f"target p99 {STORM_TARGET_P99:.0f} s")
        axes.legend(loc="center right", fontsize="small")
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def write_page(results: list[Result], out: Path, size: str) -> Path:
    """Write BENCHMARKS.md and the plots into `out`; returns the page's path."""
    out.mkdir(parents=True, exist_ok=True)
    data = series(results)
    page = table(results, size)
    for name, plot, what in (
        ("fleet.png", plot_fleet, "Fleet growth"),
        ("storm.png", plot_storm, "Failover storm latencies"),
    ):
        if plot(data, out / name):
            page += f"\n![{what}]({name})\n"
        else:
            (out / name).unlink(missing_ok=True)  # never leave an older run's plot beside it
            page += f"\n{what}: no series measured in this run.\n"
    path = out / "BENCHMARKS.md"
    path.write_text(page)
    return path
