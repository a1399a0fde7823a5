"""The watcher's own measurement runs end to end
on a copy of the sample vault and reports plausible numbers; the original vault is untouched."""

from __future__ import annotations

import math
from pathlib import Path

from penna.bench.watch_bench import measure_watcher


def test_measure_watcher_on_a_copy_of_the_sample_vault(sample_vault: Path, tmp_path: Path) -> None:
    before = sorted((p.relative_to(sample_vault), p.read_bytes()) for p in sample_vault.rglob("*") if p.is_file())
    figures = measure_watcher(sample_vault, tmp_path / "work", notes=3, burst=60, debounce=0.1)
    assert figures.modified == 3 and figures.burst_complete
    # Every figure was measured and is coherent; how fast is the benchmark's business, not this test's.
    assert math.isfinite(figures.update_p95) and 0 <= figures.update_p50 <= figures.update_p95
    assert figures.delay_p50 >= figures.debounce  # the delay includes the debounce, the latency does not
    assert math.isfinite(figures.burst_settle) and figures.burst_settle > 0 and figures.burst_batches >= 1
    after = sorted((p.relative_to(sample_vault), p.read_bytes()) for p in sample_vault.rglob("*") if p.is_file())
    assert after == before
