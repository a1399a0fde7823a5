"""Small helpers for tests (importable as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEvent, FileSystemEventHandler

if TYPE_CHECKING:
    from penna.knowledge.watcher import VaultWatcher


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def unprivileged(argv: list[str]) -> list[str]:
    """`argv` run as an unprivileged user. Root ignores permission bits, so permission tests
    drop to `nobody` with setpriv; a normal user runs the command as is."""
    import shutil
    import sys

    import pytest

    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits would not be enforced")
    for needed in (Path(__file__).resolve().parent, Path(sys.prefix).resolve()):
        closed = next((p for p in (needed, *needed.parents) if not p.stat().st_mode & 0o001), None)
        if closed is not None:  # e.g. a checkout inside a `mktemp -d` folder (mode 0700)
            pytest.skip(f"{closed} is closed to other users, so `nobody` could not start penna from it")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]


def settle(watcher: VaultWatcher, timeout: float = 60.0) -> bool:
    """Wait until `watcher` has applied every change made to its vault so far.

    `VaultWatcher.settle()` alone cannot know whether an event is still on its way from the
    kernel, so it waits for a quiet period (SETTLE_QUIET). Here the test knows when it is done
    changing the vault: it drops a fence file (not a note, so the watcher ignores it) and waits for
    watchdog to deliver the fence's event. inotify keeps the order of events on one descriptor,
    watchdog's move grouper keeps its queue in order (a held half of a move holds what follows it)
    and one thread hands each event to every handler in turn, so once the fence has come through,
    every earlier event has reached the watcher; settle() then needs no quiet period, only the
    pending batch applied. Without a running observer (the vault could not be watched), it falls
    back to the quiet period."""
    observer = watcher._observer
    emitters = list(observer.emitters) if observer is not None else []
    if not emitters or not watcher.root.is_dir():
        return watcher.settle(timeout)
    deadline = time.monotonic() + timeout
    fence = watcher.root / f".penna-test-fence-{os.getpid()}-{next(_fences)}"
    seen = _FenceHandler(str(fence))
    watch = emitters[0].watch
    observer.add_handler_for_watch(seen, watch)
    try:
        fence.write_bytes(b"")
        fence.unlink()
        if not seen.arrived.wait(max(0.0, deadline - time.monotonic())):
            return False
    finally:
        observer.remove_handler_for_watch(seen, watch)
    return watcher.settle(max(0.0, deadline - time.monotonic()), quiet=0.0)


class _FenceHandler(FileSystemEventHandler):
    def __init__(self, path: str) -> None:
        self.path = path
        self.arrived = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if os.fsdecode(event.src_path) == self.path:
            self.arrived.set()


_fences = itertools.count()
