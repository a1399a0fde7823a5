"""How many threads the local model runs on, chosen again before every model call.

llama.cpp's threads spin while they wait for each other, so a thread that loses its core to
someone else holds up all of them: on 2 cores with another program keeping one busy, a 2-thread
expand took 2.7× as long as idle, a 1-thread one no longer (README, Performance). And a request the
server answers while the model holds every core waits for one. So the model gives up a core

- while the editor is talking to the server (a message arrived within `CLIENT_QUIET` seconds):
  the writer's typing, hovers and completions get a core of their own; a request for penna's
  writing ends that (the writer now waits for it) until the editor's next message;
- for every core other programs kept busy over the last look at /proc/stat (a browser, a sync
  client, a build, and penna's own helper processes while they index a large vault): threads
  that would only spin are not started.

It never goes below one thread. Decisions are cheap: /proc is read at most every `SAMPLE_EVERY`
seconds, and llama.cpp takes a new thread count at the next evaluation.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

CLIENT_QUIET = 1.5  # seconds after the editor's last message before the model takes every core again
SAMPLE_EVERY = 0.5  # seconds between looks at the CPUs' load
BUSY_CORE = 0.5  # a core other programs keep at least this busy is left to them


@dataclass(frozen=True)
class CpuTimes:
    """Clock ticks since boot: busy on the CPUs penna may use, and in penna's own process."""
    busy: int
    total: int
    own: int
    cpus: int


def read_cpu_times(cpus: frozenset[int] | None = None) -> CpuTimes | None:
    """From /proc/stat and /proc/self/stat; None where there is no /proc (not Linux) or it reads
    otherwise than expected. Where no CPU line matches `cpus` (a container that numbers its
    CPUs afresh), every CPU listed counts."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            lines = stat.read().splitlines()
        with open("/proc/self/stat", encoding="ascii") as own_stat:
            fields = own_stat.read().rsplit(")", 1)[1].split()
        own = int(fields[11]) + int(fields[12])  # utime + stime, every thread of the process
        per_cpu = [(int(name[3:]), [int(value) for value in rest.split()[:8]])
                   for name, _, rest in (line.partition(" ") for line in lines)
                   if name.startswith("cpu") and name != "cpu"]
    except (OSError, IndexError, ValueError):
        return None
    chosen = [ticks for number, ticks in per_cpu if cpus is None or number in cpus] or [t for _, t in per_cpu]
    if not chosen or any(len(ticks) < 5 for ticks in chosen):
        return None
    # user nice system idle iowait irq softirq steal: idle and iowait are free time
    total = sum(sum(ticks) for ticks in chosen)
    busy = total - sum(ticks[3] + ticks[4] for ticks in chosen)
    return CpuTimes(busy=busy, total=total, own=own, cpus=len(chosen))


def busy_elsewhere(before: CpuTimes, after: CpuTimes) -> float:
    """Cores other processes kept busy between two readings (0 when the clock did not move)."""
    if after.cpus != before.cpus or after.total <= before.total:
        return 0.0
    per_core = (after.total - before.total) / after.cpus  # ticks of wall time
    others = (after.busy - before.busy) - (after.own - before.own)
    return max(0.0, others / per_core)


def _affinity() -> frozenset[int] | None:
    try:
        return frozenset(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


class CpuShare:
    """The model's share of the CPUs, for one process: the server tells it when the editor
    speaks (`client_active`), the model asks it how many threads to use (`threads`)."""

    def __init__(self, *, adapt: bool = True, clock: Callable[[], float] = time.monotonic,
                 reader: Callable[[], CpuTimes | None] | None = None) -> None:
        self.adapt = adapt
        self._clock = clock
        cpus = _affinity()
        self._read = reader if reader is not None else (lambda: read_cpu_times(cpus))
        self._lock = threading.Lock()
        self._client_at = float("-inf")
        self._sampled_at = float("-inf")
        self._last: CpuTimes | None = None
        self._elsewhere = 0.0

    def client_active(self) -> None:
        """The editor sent a message: leave it a core for the next `CLIENT_QUIET` seconds."""
        self._client_at = self._clock()

    def writer_waits(self) -> None:
        """The writer asked for the model's writing: what the editor said before (the keystrokes
        of the bullets, the list of actions) is answered, and the writer now waits for the
        first words, so the model takes every core until the editor speaks again."""
        self._client_at = float("-inf")

    def busy_elsewhere(self) -> float:
        """Cores other programs kept busy lately (sampled at most every `SAMPLE_EVERY` s)."""
        now = self._clock()
        with self._lock:
            if now - self._sampled_at >= SAMPLE_EVERY:
                reading = self._read()
                # A reading from before a quiet spell would average minutes: start afresh.
                fresh = now - self._sampled_at <= 2 * SAMPLE_EVERY
                self._elsewhere = (busy_elsewhere(self._last, reading)
                                   if fresh and reading is not None and self._last is not None else 0.0)
                self._last, self._sampled_at = reading, now
            return self._elsewhere

    def threads(self, most: int) -> int:
        """Threads for the next model call, at most `most` (the `threads` setting), at least 1."""
        if not self.adapt or most <= 1:
            return max(1, most)
        free = most - int(self.busy_elsewhere() + (1 - BUSY_CORE))  # a core counts from BUSY_CORE
        if self._clock() - self._client_at < CLIENT_QUIET:
            free -= 1
        return max(1, min(most, free))


# One per process: the CPUs are the process's. `PENNA_STEADY_THREADS=1` keeps the `threads`
# setting as it is (for comparing in benchmarks).
SHARE = CpuShare(adapt=os.environ.get("PENNA_STEADY_THREADS", "") != "1")
