"""Does a grammar parse stop the server's other threads? (issue 18: requests while generating)

A generation parses its candidate sentences with Link Grammar on the worker thread while the
server's main thread answers the editor. This prints how late a thread that wakes every
millisecond gets to run, idle and while another thread parses long sentences without pause
(medians and 95th percentiles from one run), so a parse that holds Python's lock shows as a
late wake-up. Run from the repository's root: `.venv/bin/python benchmarks/grammar_threads.py`.
"""

from __future__ import annotations

import statistics
import threading
import time

from penna.writing import grammar

SENTENCES = (
    "Abundant problem tender omit midst Khilafat agitation Hindus doing help Musalmans Muslims do not forget "
    "compared Hindus are low inferior race BR Ambedkar said that Kaffir",
    "In the midst of the Khilafat agitation, when Hindus were doing so much to help the Musalmans, Muslims did "
    "not forget that as compared with them, Hindus were low and inferior race.",
    "They blow up compile times and code size, they're noisy, and in practice they make debug builds much slower, "
    "because no optimization is done to clean up their mess.",
)
SECONDS = 4.0


def wake_ups(seconds: float) -> list[float]:
    """How long each 1 ms sleep of this thread really took, in ms."""
    found = []
    last = time.perf_counter()
    end = last + seconds
    while last < end:
        time.sleep(0.001)
        now = time.perf_counter()
        found.append(1000 * (now - last))
        last = now
    return found


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    if not grammar.available():
        raise SystemExit("Link Grammar is not installed (make install)")
    parse = grammar.unattached.__wrapped__  # not the cache: every call parses
    parse("Warm the dictionary up.")
    idle = wake_ups(SECONDS)
    stop = threading.Event()
    parses: list[float] = []

    def parse_without_pause() -> None:
        number = 0
        while not stop.is_set():
            started = time.perf_counter()
            parse(SENTENCES[number % len(SENTENCES)] + " again" * (number // len(SENTENCES) % 3))
            parses.append(1000 * (time.perf_counter() - started))
            number += 1

    worker = threading.Thread(target=parse_without_pause)
    worker.start()
    busy = wake_ups(SECONDS)
    stop.set()
    worker.join()
    print(f"parses on the other thread: {len(parses)}, each p50 {statistics.median(parses):.1f} ms, "
          f"max {max(parses):.1f} ms")
    print(f"1 ms sleep, idle:          p50 {statistics.median(idle):.2f} ms, p95 {p95(idle):.2f} ms")
    print(f"1 ms sleep, while parsing: p50 {statistics.median(busy):.2f} ms, p95 {p95(busy):.2f} ms "
          f"({p95(busy) / p95(idle):.2f}x idle at p95)")


if __name__ == "__main__":
    main()
