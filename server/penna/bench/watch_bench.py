"""Measuring the vault watcher on its own, on a copy of a real vault (a figure for a vault the
benchmark did not generate; `penna bench` times the engine's watcher in index_bench).

- update latency: from the moment a batch is due (the debounce over) to the index being updated,
  for notes modified one at a time; also the delay from the write itself, debounce included;
- burst: how long after the first of N new files is written the index holds them all.

    python -m penna.bench.watch_bench VAULT [--notes 50] [--burst 1000] [--debounce 0.3]

The vault is copied into a temporary folder first; the original is never touched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from penna.bench.figures import percentile
from penna.config import Settings
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer
from penna.knowledge.watcher import BatchReport, VaultWatcher


@dataclass
class WatchFigures:
    notes: int  # notes in the copied vault (empty stubs included)
    sync_seconds: float  # the initial full index of the copy
    modified: int  # notes modified one at a time
    update_p50: float  # seconds, due → index updated (excluding the debounce)
    update_p95: float
    delay_p50: float  # seconds, write → index updated (including the debounce)
    delay_p95: float
    debounce: float
    burst_files: int
    burst_settle: float  # seconds, first write of the burst → the last of it in the index
    burst_batches: int
    burst_complete: bool  # every burst file was in the index afterwards

    def summary(self) -> str:
        return (f"{self.modified} notes modified one at a time in a {self.notes}-note vault: update latency "
                f"(excluding the {self.debounce * 1000:.0f} ms debounce) p50 {self.update_p50 * 1000:.1f} ms, "
                f"p95 {self.update_p95 * 1000:.1f} ms; write to index p50 {self.delay_p50 * 1000:.0f} ms, "
                f"p95 {self.delay_p95 * 1000:.0f} ms\n"
                f"{self.burst_files}-file burst settled {self.burst_settle:.2f} s after its first write "
                f"({self.burst_batches} batches{'' if self.burst_complete else ', INCOMPLETE'})")


def measure_watcher(vault: Path, work: Path, *, notes: int = 50, burst: int = 1000,
                    debounce: float = 0.3) -> WatchFigures:
    copy = work / "vault"
    shutil.copytree(vault, copy, symlinks=True)
    index = Index(work / "index.sqlite", copy)
    indexer = Indexer(index, Settings())
    started = time.perf_counter()
    indexer.sync()
    sync_seconds = time.perf_counter() - started

    applied = threading.Event()
    reports: list[BatchReport] = []

    def on_batch(report: BatchReport) -> None:
        reports.append(report)
        if report.changed:
            applied.set()

    watcher = VaultWatcher(indexer, debounce=debounce, on_batch=on_batch)
    watcher.start()
    try:
        paths = sorted(p for p, (_, size, _) in index.file_states().items() if size > 0)
        chosen = paths[:: max(1, len(paths) // notes)][:notes]
        latencies: list[float] = []
        delays: list[float] = []
        for number, rel in enumerate(chosen):
            applied.clear()
            with open(copy / rel, "a", encoding="utf-8") as handle:
                handle.write(f"\n\nEdited while measuring the watcher ({number}).\n")
            if applied.wait(30):
                changed = [r for r in reports if rel in r.changed]
                if changed:
                    latencies.append(changed[-1].latency)
                    delays.append(changed[-1].delay)
            watcher.settle(30, quiet=0.1)
        batches_before = watcher.batches
        started = time.monotonic()
        for n in range(burst):
            folder = copy / "Burst" / f"{n % 20:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            text = f"# Burst note {n}\n\nLinks to [[Burst note {(n * 7) % burst}]].\n"
            (folder / f"Burst note {n}.md").write_text(text, encoding="utf-8")
        watcher.settle(600)
        burst_settle = watcher.last_applied - started
        in_index = sum(1 for p in index.file_states() if p.startswith("Burst/"))
        return WatchFigures(len(index.file_states()) - in_index, sync_seconds, len(latencies),
                            percentile(latencies, 50), percentile(latencies, 95), percentile(delays, 50),
                            percentile(delays, 95), debounce, burst, burst_settle, watcher.batches - batches_before,
                            in_index == burst)
    finally:
        watcher.stop()
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--debounce", type=float, default=0.3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="penna-watch-") as work:
        figures = measure_watcher(args.vault, Path(work), notes=args.notes, burst=args.burst, debounce=args.debounce)
    print(figures.summary())
    print(json.dumps(asdict(figures)))


if __name__ == "__main__":
    main()
