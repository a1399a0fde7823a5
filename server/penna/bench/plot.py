"""A small PNG of the latency distributions: one box-and-points row per distribution, on a log
scale in milliseconds, so a 5 ms request and a 9 s cold start fit on one readable figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed (it comes with the test extra: pip install -e '.[test]')."""


def plot_latencies(distributions: Mapping[str, Sequence[float]], path: Path, title: str) -> Path:
    """`distributions`: name → samples in seconds. Empty ones are left out."""
    try:
        import matplotlib as mpl

        mpl.use("Agg")  # no display here, and none wanted
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise PlotUnavailable(
            "matplotlib is not installed: pip install matplotlib (it is in the test extra)") from error

    rows = [(name, [s * 1000 for s in samples]) for name, samples in distributions.items() if samples]
    if not rows:
        raise ValueError("nothing to plot: no latency samples")
    rows.reverse()  # first row at the top
    height = 1.2 + 0.38 * len(rows)
    figure, axes = plt.subplots(figsize=(8, height), dpi=100)
    axes.boxplot([values for _, values in rows], vert=False, whis=(5, 95), showfliers=False, widths=0.6,
                 medianprops={"color": "#c0392b"})
    for number, (_, values) in enumerate(rows, start=1):
        jitter = [number + ((i * 0.37) % 0.5 - 0.25) * 0.6 for i in range(len(values))]
        axes.scatter(values, jitter, s=6, alpha=0.45, color="#2c3e50", linewidths=0)
    axes.set_yticks(range(1, len(rows) + 1), [name for name, _ in rows], fontsize=8)
    axes.set_xscale("log")
    axes.set_xlabel("milliseconds (log scale; boxes: quartiles, whiskers: p5–p95)", fontsize=8)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", which="both", alpha=0.25)
    axes.set_title(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path
