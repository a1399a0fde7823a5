"""llama.cpp decode calls, tokens, logits rows and seconds of one expand, by the phase that asked
for them (whole-sentence scoring, the restoring search's gaps, prefill): E31's cost, measured on
`make demo`'s bullets. Run from the repository's root with the project's Python, optionally with
another tree's code first on PYTHONPATH:

    .venv/bin/python docs/voice-sheets/e31/decode_counts.py examples/sample-vault "Drafts/Winter loaf.md" \
        examples/winter-bullets.md
"""
import sys, time, collections, traceback
from pathlib import Path
from penna.engine import Engine
from penna.config import settings_from_dict

PHASES = ("sentence_scores", "_gap", "prefill", "_free", "commit", "total")
counts = collections.defaultdict(collections.Counter)
def wrap_ctx(llm):
    ctx = llm._ctx
    inner = ctx.decode
    def decode(batch):
        names = [f.name for f in traceback.extract_stack(limit=40)]
        phase = next((p for p in PHASES if p in names), "other")
        n = batch.batch.n_tokens
        c = counts[phase]
        c["calls"] += 1; c["tokens"] += n
        c["rows"] += sum(1 for i in range(n) if batch.batch.logits[i])
        t = time.perf_counter(); r = inner(batch); c["ms"] += 1000 * (time.perf_counter() - t)
        return r
    ctx.decode = decode

vault = Path(sys.argv[1]); note = sys.argv[2]; bullets = Path(sys.argv[3]).read_text()
settings, _ = settings_from_dict({})
engine = Engine(vault, settings); engine.sync()
model = engine.model(); wrap_ctx(model.llm)
engine.generate("expand", note, "- once only\n", seed=1)
counts.clear()
t = time.perf_counter()
res = engine.generate("expand", note, bullets, seed=1)
total = time.perf_counter() - t
for k, v in sorted(counts.items()):
    print(f"{k:16s} calls {v['calls']:4d} tokens {v['tokens']:5d} rows {v['rows']:4d} ms {v['ms']:7.0f}")
print(f"total {total:.1f}s")
print(res.texts[0])
