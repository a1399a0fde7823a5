"""Where the in-process second action's time goes (issue 18): the bench's first-token figures on
vaultofknowledge (`bench.model_bench.measure_ttft`: per repeat a cold action, a second with other
bullets, a listed one, a warmed one), with cProfile around the second actions only.

    .venv/bin/python benchmarks/second_action_profile.py [REPEATS] [DATA]

Prints the cold and second-action seconds, each second action's uncached prompt tokens, and the
profile's top entries. Measured at 2f41426 on the 2-core machine, four repeats: of the second
actions' 2.73 s, the prefill of 90–102 uncached tokens took 1.19 s and the first gap's search
1.49 s (28 feeds, about 22 ms each, and 26 lookahead scorings, about 33 ms each).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import penna.bench.model_bench as model_bench
from penna.bench.workloads import drafts
from penna.config import settings_from_dict
from penna.engine import Engine


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[2] / "shared" / "data"
    vault = data / "vaults" / "vaultofknowledge"
    settings, _problems = settings_from_dict({})
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine(vault, settings, db_path=Path(folder) / "index.db")
        engine.sync()
        found = drafts(vault, 2 * repeats + 2)
        engine.model()
        profile = cProfile.Profile()
        first_token = model_bench.first_token
        calls = [0]

        def profiled(*args: Any) -> Any:
            calls[0] += 1
            if calls[0] % 4 != 2:  # measure_ttft's order per repeat: cold, second, listed, warm
                return first_token(*args)
            profile.enable()
            try:
                return first_token(*args)
            finally:
                profile.disable()

        model_bench.first_token = profiled  # type: ignore[assignment]  # instrumentation
        results = model_bench.ModelResults()
        model_bench.measure_ttft(engine, found, repeats, results)
        engine.close()
    cold = [t.seconds for t in results.cold]
    second = [t.seconds for t in results.second]
    print("cold", [round(s, 2) for s in cold], "second", [round(s, 3) for s in second])
    print("uncached tokens", [t.prompt_tokens - t.reused_tokens for t in results.second])
    print(f"second / cold, medians: {statistics.median(second) / statistics.median(cold):.3f}")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(30)
    print(text.getvalue())


if __name__ == "__main__":
    main()
