"""The bench's output: a table of figures with ratios, a JSON record and a PNG plot.

Each cell is the median over the runs of that server, with the range when there
were several; the ratio is LoginGuard's median over the baseline's.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
Run = dict[str, Any]

#: (label, how to read the figure from a run, unit scale, unit)
FIGURES: list[tuple[str, Callable[[Run], float | None], float, str]] = [
    ("sockets held", lambda r: r["sockets"], 1, ""),
    ("RSS per socket", lambda r: r["rss_per_socket"], 1 / 1024, "KiB"),
    ("kick p50", lambda r: r["kick_p50"], 1000, "ms"),
    ("kick p99", lambda r: r["kick_p99"], 1000, "ms"),
    ("kicks delivered", lambda r: r["kicks_delivered"] / max(1, r["kicks_due"]), 100, "%"),
    ("server CPU per kick", lambda r: r["cpu_per_kick"], 1000, "ms"),
    ("worst /healthz while kicking", lambda r: r["healthz_worst_by_phase"]["kick"], 1000, "ms"),
    ("worst /healthz, whole run (stall)", lambda r: r["healthz_worst"], 1000, "ms"),
    ("full GCs", lambda r: r["gc_full_count"], 1, ""),
    ("full GC pause, mean", lambda r: r["gc_full_mean"] or None, 1000, "ms"),
    ("full GC pause, max (LG: bucket bound)", lambda r: r["gc_full_max"] or None, 1000, "ms"),
    ("full GC pauses over 50 ms", lambda r: r["gc_full_over_50ms"], 1, ""),
    ("/api/auth/me req/s", lambda r: r["me"] and r["me"]["rps"], 1, ""),
    ("/api/auth/me p50", lambda r: r["me"] and r["me"]["p50"], 1000, "ms"),
    ("/api/auth/me p99", lambda r: r["me"] and r["me"]["p99"], 1000, "ms"),
    ("storm logins/s", lambda r: r["storm_logins_per_s"], 1, ""),
    ("storm push p99", lambda r: r["storm_push_p99"], 1000, "ms"),
    ("storm pushes delivered", lambda r: r["storm_delivered"] / max(1, r["storm_due"]), 100, "%"),
]
SERVERS = ("baseline", "loginguard")


def _values(runs: list[Run], server: str, read: Callable[[Run], float | None]) -> list[float]:
    found = (read(r) for r in runs if r["server"] == server)
    return [float(v) for v in found if v is not None]


def _cell(values: list[float], scale: float) -> str:
    if not values:
        return "—"
    shown = [v * scale for v in values]
    whole = all(v == int(v) for v in shown)
    digits = 0 if whole or max(shown) >= 100 else 1 if max(shown) >= 10 else 2
    median = f"{statistics.median(shown):.{digits}f}"
    if len(shown) == 1 or min(shown) == max(shown):
        return median
    return f"{median} ({min(shown):.{digits}f}..{max(shown):.{digits}f})"


def summary(runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    for label, read, scale, unit in FIGURES:
        base, ours = (_values(runs, s, read) for s in SERVERS)
        ratio = None
        if base and ours and statistics.median(base):
            ratio = statistics.median(ours) / statistics.median(base)
        rows.append(
            {
                "figure": label + (f", {unit}" if unit else ""),
                "baseline": _cell(base, scale),
                "loginguard": _cell(ours, scale),
                "ratio": ratio,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| figure | baseline | LoginGuard | ratio |", "|---|---|---|---|"]
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        lines.append(f"| {row['figure']} | {row['baseline']} | {row['loginguard']} | {ratio} |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def save(runs: list[Run], config: dict[str, Any], directory: Path = RESULTS) -> tuple[Path, Path]:
    """Write ``<date>.json`` and ``<date>.png`` (``<date>-<n>workers.*``) there; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    workers = int(config.get("workers", 1))
    suffix = f"-{workers}workers" if workers > 1 else ""
    stem = directory / (time.strftime("%Y-%m-%d", time.gmtime()) + suffix)
    record: dict[str, Any] = {
        "machine": machine(),
        "config": config,
        "summary": summary(runs),
        "runs": runs,
    }
    json_path, png_path = stem.with_suffix(".json"), stem.with_suffix(".png")
    json_path.write_text(json.dumps(record, indent=1) + "\n")
    plot(runs, png_path, record["machine"])
    return json_path, png_path


def plot(runs: list[Run], path: Path, facts: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"baseline": "tab:blue", "loginguard": "tab:orange"}
    fig, (cdf, stall) = plt.subplots(1, 2, figsize=(12, 4.5))
    labelled: set[str] = set()
    for r in runs:
        lat = [v * 1000 for v in r["kick_latencies"]]
        if not lat:
            continue
        label = None if r["server"] in labelled else r["server"]
        labelled.add(r["server"])
        ys = [(i + 1) / len(lat) for i in range(len(lat))]
        cdf.step(lat, ys, where="post", color=colors[r["server"]], alpha=0.8, label=label)
    cdf.set(xscale="log", xlabel="login request → old socket gets displaced, ms", ylabel="CDF")
    cdf.set_title("Kick latency")
    cdf.legend()
    labelled.clear()
    for r in runs:
        ts = [t for t, _ in r["timeline"]]
        lat = [v for _, v in r["timeline"]]
        label = None if r["server"] in labelled else r["server"]
        labelled.add(r["server"])
        stall.plot(ts, [v * 1000 for v in lat], color=colors[r["server"]], alpha=0.7, label=label)
    stall.axhline(50, color="grey", linestyle="--", linewidth=0.8)  # issue 8's stall goal
    stall.set(yscale="log", xlabel="seconds into the run", ylabel="worst /healthz per 100 ms, ms")
    stall.set_title("Stalls (/healthz every 10 ms)")
    stall.legend()
    sockets = max((r["sockets"] for r in runs), default=0)
    fig.suptitle(
        f"LoginGuard vs bare-Sanic baseline · {sockets} sockets · {facts['cores']} cores "
        f"{facts['cpu']} · {facts['date']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
