"""make bench at toy size, so the harness cannot rot between real runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks import report
from benchmarks.run import Plan, run


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.timeout(300)
async def test_bench_runs_both_servers_and_reports_every_figure(tmp_path: Path) -> None:
    """Both servers hold 50 seeded sockets, push every kick and takeover, and report."""
    plan = Plan(sockets=50, kicks=20, me_seconds=1)
    runs = [await run(kind, plan, log=lambda _: None) for kind in report.SERVERS]
    for result in runs:
        assert result["sockets"] == 50, result["server"]
        assert result["failures"] == {}
        assert result["refused"] == {}
        assert result["kicks_delivered"] == result["kicks_due"] == 20
        assert result["storm_delivered"] == result["storm_due"] == 30
        assert result["cpu_per_kick"] > 0
        assert result["rss_per_socket"] != 0
        assert result["healthz_polls"] > 10
        assert result["healthz_worst"] > 0
    baseline, loginguard = runs
    assert baseline["me"] is None
    assert loginguard["me"]["rps"] > 0
    assert loginguard["me"]["errors"] == {}
    rows = {row["figure"]: row for row in report.summary(runs)}
    assert rows["kick p99, ms"]["ratio"] is not None
    assert "| kick p50, ms |" in report.table(report.summary(runs))
    if importlib.util.find_spec("matplotlib") is None:
        return  # the plot needs the bench extra (make bench installs it)
    json_path, png_path = report.save(runs, {"sockets_per_worker": 50}, tmp_path)
    assert json.loads(json_path.read_text())["machine"]["cores"]
    assert png_path.stat().st_size > 10_000
