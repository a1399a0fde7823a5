"""The model's share of the CPUs: every core while nobody else needs one, one fewer while the
editor is talking to the server, one fewer for each core other programs keep busy, never none.

The clock and the CPU readings are given to `CpuShare` for the rules; the readings themselves are
checked against this machine's real /proc with a real busy process (that penna's own time is
left out is checked on given readings: on a shared machine a real one cannot tell it apart)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from penna.writing.cpu_share import CLIENT_QUIET, SAMPLE_EVERY, CpuShare, CpuTimes, busy_elsewhere, read_cpu_times


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Readings:
    """CPU readings of 2 cores where others use `others` cores and penna `own` cores."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.others = 0.0
        self.own = 0.0
        self._at = clock.now
        self._busy = self._own = 0.0

    def __call__(self) -> CpuTimes:
        elapsed = (self.clock.now - self._at) * 100  # ticks per core
        self._busy += (self.others + self.own) * elapsed
        self._own += self.own * elapsed
        self._at = self.clock.now
        return CpuTimes(busy=int(self._busy), total=int(self.clock.now * 200), own=int(self._own), cpus=2)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_model_takes_every_core_it_may_while_nobody_else_needs_one(clock: Clock) -> None:
    readings = Readings(clock)
    readings.own = 2.0  # penna itself keeping both cores busy is no reason to give one up
    share = CpuShare(clock=clock, reader=readings)
    for _ in range(3):
        assert share.threads(2) == 2
        clock.now += SAMPLE_EVERY


def test_while_the_editor_talks_the_model_leaves_it_a_core_then_takes_it_back(clock: Clock) -> None:
    share = CpuShare(clock=clock, reader=Readings(clock))
    share.client_active()
    assert share.threads(2) == 1
    assert share.threads(4) == 3
    clock.now += CLIENT_QUIET - 0.1
    assert share.threads(2) == 1
    clock.now += 0.2
    assert share.threads(2) == 2


def test_asking_for_penna_writing_gives_the_model_back_the_core_the_typing_held(clock: Clock) -> None:
    share = CpuShare(clock=clock, reader=Readings(clock))
    share.client_active()  # the last keystroke of the bullets
    clock.now += 0.2
    share.writer_waits()  # … and at once the expand: the writer waits for its first words
    assert share.threads(2) == 2
    share.client_active()  # typing again while it writes
    assert share.threads(2) == 1


def test_a_core_another_program_keeps_busy_is_left_to_it(clock: Clock) -> None:
    readings = Readings(clock)
    share = CpuShare(clock=clock, reader=readings)
    share.threads(2)
    readings.others = 0.9  # a browser tab spinning
    clock.now += SAMPLE_EVERY
    assert share.threads(2) == 1
    readings.others = 0.2  # a sync client now and then: not worth a thread
    clock.now += SAMPLE_EVERY
    assert share.threads(2) == 2


def test_a_reading_from_before_a_quiet_spell_is_not_averaged_over_it(clock: Clock) -> None:
    readings = Readings(clock)
    share = CpuShare(clock=clock, reader=readings)
    share.threads(2)
    readings.others = 1.0  # a build that ran for a minute while penna was idle, and ended
    clock.now += 60
    readings()  # (its ticks are counted up to now)
    readings.others = 0.0
    clock.now += 0.01
    assert share.threads(2) == 2  # the minute is not blamed on now
    readings.others = 1.0  # a program busy now is seen at the next look
    clock.now += SAMPLE_EVERY
    assert share.threads(2) == 1


def test_never_fewer_than_one_thread(clock: Clock) -> None:
    readings = Readings(clock)
    share = CpuShare(clock=clock, reader=readings)
    share.threads(2)
    readings.others = 2.0
    share.client_active()
    clock.now += SAMPLE_EVERY
    assert share.threads(2) == 1
    assert share.threads(1) == 1


def test_held_steady_it_is_the_setting_whatever_happens(clock: Clock) -> None:
    readings = Readings(clock)
    share = CpuShare(adapt=False, clock=clock, reader=readings)
    readings.others = 2.0
    share.client_active()
    clock.now += SAMPLE_EVERY
    assert share.threads(2) == 2


def test_without_proc_only_the_editor_counts(clock: Clock) -> None:
    share = CpuShare(clock=clock, reader=lambda: None)
    assert share.threads(2) == 2
    share.client_active()
    assert share.threads(2) == 1


def test_busy_elsewhere_is_the_cpus_busy_time_less_penna_s_own_per_core_of_wall_time() -> None:
    before = CpuTimes(busy=1000, total=10_000, own=500, cpus=2)
    after = CpuTimes(busy=1000 + 150, total=10_000 + 200, own=500 + 50, cpus=2)  # 1 s of 2 cores at 100 Hz
    assert busy_elsewhere(before, after) == pytest.approx(1.0)
    assert busy_elsewhere(after, before) == 0.0  # the clock went back: nothing known


def _own_cpu() -> frozenset[int]:
    return frozenset({sorted(os.sched_getaffinity(0))[0]})


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads Linux's /proc")
def test_a_real_busy_process_on_penna_s_cpu_counts_as_busy_elsewhere() -> None:
    cpus = _own_cpu()
    spin = f"import os\nos.sched_setaffinity(0, {{{next(iter(cpus))}}})\nwhile True: pass\n"
    hog = subprocess.Popen([sys.executable, "-c", spin])
    try:
        time.sleep(0.3)  # started and pinned
        before = read_cpu_times(cpus)
        time.sleep(1.0)
        after = read_cpu_times(cpus)
    finally:
        hog.kill()
        hog.wait()
    assert before is not None and after is not None
    assert busy_elsewhere(before, after) > 0.5
