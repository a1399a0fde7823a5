"""Index and context figures, in-process on the engine: cold index, reopen, one-note update
through the watcher, and context assembly per request."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from penna.bench.workloads import Draft, bullet_text
from penna.config import Settings
from penna.engine import Engine
from penna.vault.files import scan_vault


@dataclass
class IndexTimes:
    notes: int = 0
    read_seconds: float = 0.0  # scanning and reading every file: the floor under indexing
    cold_seconds: float = 0.0
    cold_cpu: float = 0.0  # CPU seconds of this process for the cold index: less sensitive to other load
    profile_seconds: float = 0.0  # the style profile, built after indexing (off the request path)
    reopen_seconds: list[float] = field(default_factory=list)


def read_floor(vault: Path) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    for file in scan_vault(vault, ()):
        file.abs_path.read_bytes()
        count += 1
    return count, time.perf_counter() - started


def index_vault(vault: Path, db_path: Path, settings: Settings, *, reopen: int = 3) -> tuple[Engine, IndexTimes]:
    """Cold index into a fresh database, then `reopen` unchanged reopens (new Engine, same db).
    Returns the last engine, open, for the figures that need an index."""
    times = IndexTimes()
    for leftover in db_path.parent.glob(db_path.name + "*"):
        leftover.unlink()
    times.notes, times.read_seconds = read_floor(vault)  # also warms the page cache for both
    started, cpu = time.perf_counter(), time.process_time()
    engine = Engine(vault, settings, db_path=db_path)
    engine.sync()
    times.cold_seconds = time.perf_counter() - started
    times.cold_cpu = time.process_time() - cpu
    started = time.perf_counter()
    engine.profile()
    times.profile_seconds = time.perf_counter() - started
    for _ in range(reopen):
        engine.close()
        started = time.perf_counter()
        engine = Engine(vault, settings, db_path=db_path)
        engine.sync()
        times.reopen_seconds.append(time.perf_counter() - started)
    return engine, times


@dataclass
class ContextTimes:
    first: list[float] = field(default_factory=list)  # first request on a note: its stable part is built
    per_request: list[float] = field(default_factory=list)  # later requests on the same note
    prompt_tokens: list[int] = field(default_factory=list)


def measure_context(engine: Engine, drafts: list[Draft], per_note: int) -> ContextTimes:
    times = ContextTimes()
    if not drafts:
        return times
    engine.context(drafts[0].rel_path, "expand", bullet_text(drafts[0].bullets))  # loads the tokenizer
    for number, draft in enumerate(drafts):
        engine.refresh(draft.rel_path)
        for attempt in range(per_note + 1):
            other = drafts[(number + attempt) % len(drafts)]
            started = time.perf_counter()
            context = engine.context(draft.rel_path, "expand", bullet_text(other.bullets))
            (times.first if attempt == 0 else times.per_request).append(time.perf_counter() - started)
            times.prompt_tokens.append(context.tokens)
    return times


@dataclass
class UpdateTimes:
    watcher: list[float] = field(default_factory=list)  # the watcher's own figure: due → indexed
    wall: list[float] = field(default_factory=list)  # write → indexed, minus the debounce
    direct: list[float] = field(default_factory=list)  # Indexer.index_file alone (reference)
    error: str = ""


def measure_updates(engine: Engine, vault: Path, count: int, debounce: float = 0.3) -> UpdateTimes:
    """Edit notes on disk (then put them back) and time each until the index has it. Only for
    vaults the benchmark generated itself: real vaults are never written to."""
    times = UpdateTimes()
    done = threading.Event()
    seen: list[str] = []

    def on_indexed(paths: list[str]) -> None:
        seen.extend(paths)
        done.set()

    # The engine wires its watcher as the editor and `penna index --watch` do (the index is synced).
    watcher = engine.start_watching(debounce=debounce, sync=False, background=False,
                                    on_batch=lambda report: on_indexed(report.changed) if report.changed else None)
    try:
        watcher.settle(timeout=30)
        files = sorted((f for f in scan_vault(vault, ()) if f.size > 200), key=lambda f: f.rel_path)
        step = max(1, len(files) // max(1, count))
        for number, file in enumerate(files[::step][:count]):
            original = file.abs_path.read_bytes()
            for content in (original + f"\n\nA late thought, number {number}, on #benchmarks.\n".encode(), original):
                done.clear()
                seen.clear()
                before = len(watcher.latencies)
                written = time.perf_counter()
                file.abs_path.write_bytes(content)
                if not done.wait(10) or file.rel_path not in seen:
                    watcher.settle(timeout=10)
                indexed = time.perf_counter()
                if len(watcher.latencies) > before:
                    times.watcher.append(watcher.latencies[-1])
                    times.wall.append(max(0.0, indexed - written - debounce))
            # The reference: the same change indexed directly, without the watcher.
            file.abs_path.write_bytes(original + b"\n\nDirect.\n")
            started = time.perf_counter()
            engine.indexer.index_file(file.rel_path)
            times.direct.append(time.perf_counter() - started)
            file.abs_path.write_bytes(original)
            engine.indexer.index_file(file.rel_path)
            watcher.settle(timeout=10)
    finally:
        engine.stop_watching()
    return times
