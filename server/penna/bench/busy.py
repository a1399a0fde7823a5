"""A busy laptop for `penna bench --busy`: a process that keeps one core fully busy (a browser
tab spinning, a sync client hashing) for the whole run.

The hog is a plain Python busy loop at normal priority, pinned to the last core where the OS
lets a process choose, so the benchmark competes for the CPU the way it would on a writer's
machine. Every reference is taken under the same load, so ratios stay comparable to an idle run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

SPIN = "while True:\n    pass\n"


@dataclass
class HogReport:
    core: int | None  # the core it was pinned to, None where pinning is not possible
    seconds: float  # wall time it ran
    cpu_seconds: float  # CPU time it got: close to `seconds` when it really held a core

    @property
    def share(self) -> float:
        return self.cpu_seconds / self.seconds if self.seconds else 0.0


class CpuHog:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.core: int | None = None
        self.started = 0.0

    def start(self) -> CpuHog:
        self.process = subprocess.Popen([sys.executable, "-c", SPIN], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started = time.perf_counter()
        if hasattr(os, "sched_setaffinity"):
            cores = sorted(os.sched_getaffinity(0))
            try:
                os.sched_setaffinity(self.process.pid, {cores[-1]})
                self.core = cores[-1]
            except OSError:
                self.core = None
        return self

    def cpu_seconds(self) -> float:
        """The hog's CPU time so far, from /proc (0 where there is no /proc)."""
        if self.process is None:
            return 0.0
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def stop(self) -> HogReport:
        if self.process is None:
            return HogReport(None, 0.0, 0.0)
        cpu = self.cpu_seconds()
        seconds = time.perf_counter() - self.started
        self.process.kill()
        self.process.wait()
        self.process = None
        return HogReport(self.core, seconds, cpu)

    def __enter__(self) -> CpuHog:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.stop()
