"""Where do the server's requests wait while the model writes, and what does a busy core cost?
(issue 18: requests while generating; a writer's busy laptop)

Two measurements through the real server over stdio (`penna serve`), alternating within one run
three ways of running the model: `threads` 2 and 1 held steady (`PENNA_STEADY_THREADS=1`), and 2
with penna's own choice before each evaluation (writing/cpu_share.py: a core left to the editor
while it is talking, and to other programs that keep one busy):

- `requests`: `penna bench`'s server phase on the synthetic 10,000-note vault: link, tag and action
  requests answered while an expand runs, p95 against the same kinds with the model idle;
- `expand`: a 2-bullet expand on the synthetic 160-note vault, end to end, idle and with a CPU hog
  (`while True: pass`) holding one core.

Run from the repository's root: `.venv/bin/python benchmarks/model_threads.py requests WORK` or
`… expand WORK` (WORK keeps the synthetic vaults and indexes between runs).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from penna.bench.figures import p50, p95
from penna.bench.lsp_client import LspClient
from penna.bench.runner import SERVER_SETTINGS
from penna.bench.server_bench import _expand, run_session, wait_ready
from penna.bench.workloads import bullet_text, drafts, find_spots, synthetic

ROUNDS = 3
STEADY = {"PENNA_STEADY_THREADS": "1"}
WAYS = (("2 steady", 2, STEADY), ("1 steady", 1, STEADY), ("2 adaptive", 2, {}))


def requests(work: Path) -> None:
    vault = synthetic(work, 10_000)
    spots = find_spots(vault.path, 40)
    draft = drafts(vault.path, 1)[0]
    for round_number in range(ROUNDS):
        for label, threads, env in WAYS:
            found = asyncio.run(run_session(vault.path, work / f"cache-{threads}", spots, passes=3,
                                            settings={**SERVER_SETTINGS, "threads": threads}, env=env,
                                            stderr_path=work / f"server-{threads}.log", draft=draft, cancel_repeats=2))
            idle = [t for kind in ("link", "tag", "action") for t in found.latencies.get(kind, [])]
            during = found.during_generation
            print(f"round {round_number} {label}: while generating p50 {1000 * p50(during):.1f} "
                  f"p95 {1000 * p95(during):.1f} ms (n={len(during)}); idle p50 {1000 * p50(idle):.1f} "
                  f"p95 {1000 * p95(idle):.1f} ms (n={len(idle)}); p95 ratio {p95(during) / p95(idle):.2f}", flush=True)


async def _expand_seconds(work: Path, threads: int, env: dict[str, str], repeats: int) -> list[float]:
    vault = synthetic(work, 160)
    draft = drafts(vault.path, 1)[0]
    first = next(s for group in find_spots(vault.path, 5).by_kind().values() for s in group)
    client = await LspClient.start(env={**env, "PENNA_CACHE_DIR": str(work / "cache-expand")})
    try:
        await client.initialize(vault.path, {**SERVER_SETTINGS, "maxTokens": 256, "threads": threads})
        await wait_ready(client, first)
        path = vault.path / draft.rel_path
        bullets = bullet_text(draft.bullets[:2])
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + bullets
        uri = client.open(path, text)
        found = []
        for _ in range(repeats + 1):  # the first loads the model
            started = time.perf_counter()
            _request, answer = await _expand(client, uri, text, bullets)
            await asyncio.wait_for(answer, 600)
            found.append(time.perf_counter() - started)
        return found[1:]
    finally:
        await client.close()


def expand(work: Path) -> None:
    for busy in (False, True):
        for label, threads, env in WAYS:
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
            try:
                seconds = asyncio.run(_expand_seconds(work, threads, env, ROUNDS))
            finally:
                if hog is not None:
                    hog.kill()
            print(f"{'one core busy' if busy else 'idle'}, {label}: expand "
                  + " / ".join(f"{s:.1f}" for s in seconds) + f" s (median {p50(seconds):.1f} s)", flush=True)


if __name__ == "__main__":
    {"requests": requests, "expand": expand}[sys.argv[1]](Path(sys.argv[2]))
