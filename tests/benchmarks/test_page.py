"""The benchmark page from canned figures: the table and valid PNG plots (not the benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import run_one
from benchmarks.page import Result, write_page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

STORM = {
    "figures": [
        {"name": "described: p99", "measured": "2.10 s", "target": "<= 3 s", "passed": True},
        {"name": "described: all done", "measured": "6.40 s", "target": "<= 5 s", "passed": False},
        {"name": "described: p50", "measured": "1.20 s", "target": "", "passed": None},
    ],
    "series": {
        "storm_described": [0.4 + n * 0.04 for n in range(50)],
        "storm_nice": [0.9 + n * 0.05 for n in range(50)],
    },
}
FLEET = {
    "figures": [{"name": "500 pairs", "measured": "13.9 s", "target": "<= 15 s", "passed": True}],
    "series": {"fleet_first": [[50, 1.3], [500, 13.9]], "fleet_next": [[50, 0.4], [500, 6.8]]},
}


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (which a valid PNG has first)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_page_has_one_row_per_figure_and_both_plots(tmp_path):
    results = [Result.of("storm", STORM), Result.of("fleet", FLEET)]
    page = write_page(results, tmp_path, "full")

    text = page.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| benchmark | figure | measured | target | pass |"
    assert rows[1:] == [
        "| storm | described: p99 | 2.10 s | <= 3 s | PASS |",
        "| storm | described: all done | 6.40 s | <= 5 s | MISS |",
        "| storm | described: p50 | 1.20 s |  | - |",
        "| fleet | 500 pairs | 13.9 s | <= 15 s | PASS |",
    ]
    assert "![Fleet growth](fleet.png)" in text and "![Failover storm latencies](storm.png)" in text
    fleet_width, _ = png_size(tmp_path / "fleet.png")
    storm_width, _ = png_size(tmp_path / "storm.png")
    assert storm_width > fleet_width  # one panel per platform, side by side


def test_a_plot_without_its_series_is_not_drawn_and_an_old_one_is_removed(tmp_path):
    (tmp_path / "storm.png").write_bytes(b"an older run's plot")
    page = write_page([Result.of("fleet", FLEET)], tmp_path, "small")
    assert not (tmp_path / "storm.png").exists()
    assert "Failover storm latencies: no series measured" in page.read_text()
    png_size(tmp_path / "fleet.png")


def test_a_benchmark_that_wrote_no_figures_is_a_missed_row(tmp_path):
    page = write_page([Result("ledger", error="exit 1, no figures")], tmp_path, "small")
    assert "| ledger | did not finish | exit 1, no figures | | MISS |" in page.read_text()


def test_reuse_reads_an_earlier_runs_figures_without_running_it(tmp_path):
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "storm.json").write_text(json.dumps(STORM))
    result = run_one("storm", "full", tmp_path, reuse=True)
    assert result.error is None and result.series == STORM["series"]
    assert result.figures == STORM["figures"]
