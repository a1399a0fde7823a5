"""Figures: one measured quantity, its target, and its ratio to a reference from the same run.

The machines this runs on are shared and noisy, so a figure keeps all its samples and reports
the median and p95; the ratio to a reference measured in the same process and minutes is what
to compare across runs, more than the absolute value.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Check = Literal["max", "min", "ratio_max", "ratio_min", "report"]
Status = Literal["pass", "miss", "report", "skipped"]


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), like numpy's default; NaN samples are left out."""
    ordered = sorted(s for s in samples if not math.isnan(s))
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else math.nan


def p95(samples: Sequence[float]) -> float:
    return percentile(samples, 95)


@dataclass
class Figure:
    """One row of the table.

    `check` says how `target` applies: "max" (value ≤ target), "min" (value ≥ target),
    "ratio_max" / "ratio_min" (value / reference against target), "report" (no target).
    """

    key: str
    name: str
    unit: str
    check: Check
    target: float | None = None
    target_text: str = ""
    value: float | None = None
    statistic: str = "p50"  # which statistic `value` is: p50, p95, single, rate
    samples: list[float] = field(default_factory=list)
    reference: str = ""
    reference_value: float | None = None
    reference_samples: list[float] = field(default_factory=list)
    workload: str = ""
    note: str = ""
    skipped: str = ""  # the reason, when not measured

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference_value:
            return None
        return self.value / self.reference_value

    @property
    def status(self) -> Status:
        if self.skipped or self.value is None:
            return "skipped"
        if self.check == "report" or self.target is None:
            return "report"
        measured = self.ratio if self.check.startswith("ratio") else self.value
        if measured is None:
            return "skipped"
        if self.check in ("max", "ratio_max"):
            return "pass" if measured <= self.target else "miss"
        return "pass" if measured >= self.target else "miss"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["status"] = self.status
        data["p50"] = p50(self.samples) if self.samples else None
        data["p95"] = p95(self.samples) if self.samples else None
        data["n"] = len(self.samples)
        cleaned: dict[str, Any] = finite(data)
        return cleaned


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "tok/s":
        return f"{value:.1f} tok/s"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:.3g} {unit}".strip()


def table(figures: Sequence[Figure]) -> str:
    """A fixed-width table for stdout (and Markdown-compatible, for the README)."""
    header = ["figure", "measured", "target", "reference (same run)", "ratio", "status"]
    rows = []
    for f in figures:
        measured = f"skipped: {f.skipped}" if f.skipped else (
            f"{fmt(f.value, f.unit)} ({f.statistic}" + (f", n={len(f.samples)})" if len(f.samples) > 1 else ")"))
        reference = f"{f.reference} {fmt(f.reference_value, f.unit)}".strip() if f.reference else ""
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        rows.append([f.name, measured, f.target_text or "report", reference, ratio, f.status])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)
