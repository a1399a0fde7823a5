"""Time to first token through a model server: cold, then a second request on the same note.

    .venv/bin/python models/remote_ttft.py [--url http://host:port] [--vault DIR] [--runs 3]

Without --url it starts `python -m llama_cpp.server` with the default model on a free loopback
port (and stops it after). The prompts are penna's own, built by the engine from the vault
(default: examples/sample-vault) for two notes: each run first evaluates the other note's prompt
(evicting the cache), then times note A cold, then note A with other bullets (same prefix, new
tail: the request's own passages and task), then that prompt once more (all but a token cached).
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from penna.config import Settings
from penna.engine import Engine
from penna.writing.model import GenerationStats
from penna.writing.registry import resolve_model
from penna.writing.remote import RemoteModel

ROOT = Path(__file__).resolve().parent.parent
NOTES = [("Drafts/Winter loaf.md", "- cold kitchen, everything slow\n- start the levain the night before\n"),
         ("Notes/Scoring.md", "- shallow angle for an ear\n- one confident stroke\n")]
OTHER_BULLETS = "- bake in a covered pot for steam\n- let it cool before cutting\n"


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(Path(tempfile.gettempdir()) / "penna-remote-ttft.log", "wb")  # noqa: SIM115 - lives with the process
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_model("default").path),
                                "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"], stdout=log, stderr=log)
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v1/models")
            if conn.getresponse().status == 200:
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("llama_cpp.server did not start")


def ttft(model: RemoteModel, prompt: str) -> float:
    stats = GenerationStats()
    for _ in model.stream(prompt, max_tokens=2, temperature=0.0, seed=1, stop=[], stats=stats):
        pass
    return stats.first_token_seconds or float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--vault", type=Path, default=ROOT / "examples" / "sample-vault")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    process, url = start_server() if not args.url else (None, args.url)
    try:
        engine = Engine(args.vault, Settings(remote_url=url))
        engine.sync()
        model = engine.model()
        assert isinstance(model, RemoteModel)
        (note_a, bullets_a), (note_b, bullets_b) = NOTES
        prompt_a = engine.context(note_a, "expand", bullets_a).prompt
        prompt_a2 = engine.context(note_a, "expand", OTHER_BULLETS).prompt
        prompt_b = engine.context(note_b, "expand", bullets_b).prompt
        cold, second, again = [], [], []
        for _ in range(args.runs):
            ttft(model, prompt_b)  # another note's prompt: the server's cache no longer holds note A
            cold.append(ttft(model, prompt_a))
            second.append(ttft(model, prompt_a2))
            again.append(ttft(model, prompt_a2 + " "))  # the same prompt again: only the cache
        print(f"server {url} ({model.name}), tokens counted with {model.tokenizer or 'tiktoken'}")
        print(f"prompt: {model.count(prompt_a)} tokens; shared prefix with the second request: "
              f"{model.count(_common(prompt_a, prompt_a2))} tokens")
        print(f"first token, cold:                 median {statistics.median(cold):.2f} s  {[round(x, 2) for x in cold]}")
        print(f"first token, second request (same note, new bullets): median {statistics.median(second):.2f} s  "
              f"{[round(x, 2) for x in second]}")
        print(f"first token, the same prompt again: median {statistics.median(again):.2f} s  {[round(x, 2) for x in again]}")
        engine.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
    return 0


def _common(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


if __name__ == "__main__":
    raise SystemExit(main())
