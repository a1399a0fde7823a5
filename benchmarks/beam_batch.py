"""Would batching a beam's hypotheses into one llama.cpp call make restoring faster? (issue 18)

The restoring search (`writing/bridge.py`) evaluates each hypothesis of a beam in turn: rewind to
the gap, evaluate its one to three tokens, read the logits. This compares that with one call
holding every hypothesis as a sequence of its own, all sharing the prompt's cells, on the default
model after a 700-token prompt. Needs a context with several sequences and a unified KV cache,
which llama-cpp-python's `Llama` does not expose: the context is made again with them.

    .venv/bin/python benchmarks/beam_batch.py THREADS HYPOTHESES     # e.g. 1 3, then 2 3

Prints the largest logit difference between the two ways, then medians of 15 runs of each,
alternated twice. Measured at 64a4c82 on the 2-core machine, three two-token hypotheses, two runs
each: one thread 80 → 73 ms and 89 → 72 ms, two threads 59 → 46 ms and 55 → 38 ms. The output
layer over the whole vocabulary is computed per hypothesis either way, and the logits differ
between the two ways by up to 0.77 (llama.cpp's results depend on how tokens are batched).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import _internals

from penna.writing.registry import default_model_path

WORDS = [" I start", " we start", " it is", " the big", " then I", " so we"]


def main(threads: int, count: int) -> None:
    llm = llama_cpp.Llama(str(default_model_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                          verbose=False)
    llm.context_params.n_seq_max = 8
    llm.context_params.kv_unified = True
    llm._ctx = _internals.LlamaContext(model=llm._model, params=llm.context_params, verbose=False)
    prompt = llm.tokenize(("The bread was good and the kitchen was cold. " * 60).encode())[:700]
    llm.eval(prompt)
    start = llm.n_tokens
    hypotheses = [llm.tokenize(w.encode(), add_bos=False) for w in WORDS[:count]]
    ctx = llm._ctx.ctx

    def in_turn() -> list[Any]:
        found = []
        for tokens in hypotheses:
            llm._ctx.kv_cache_seq_rm(-1, start, -1)
            llm._batch.set_batch(batch=tokens, n_past=start, logits_all=False)
            llm._ctx.decode(llm._batch)
            found.append(np.ctypeslib.as_array(llm._ctx.get_logits_ith(len(tokens) - 1),
                                               shape=(llm.n_vocab(),)).copy())
        llm._ctx.kv_cache_seq_rm(-1, start, -1)
        return found

    def batched() -> list[Any]:
        memory = llama_cpp.llama_get_memory(ctx)
        for number in range(len(hypotheses)):
            llama_cpp.llama_memory_seq_cp(memory, 0, number + 1, 0, start)  # the prompt's cells, shared
        batch = llama_cpp.llama_batch_init(sum(len(h) for h in hypotheses), 0, len(hypotheses) + 1)
        row, rows = 0, []
        for number, tokens in enumerate(hypotheses):
            for at, token in enumerate(tokens):
                batch.token[row], batch.pos[row], batch.n_seq_id[row] = token, start + at, 1
                batch.seq_id[row][0] = number + 1
                batch.logits[row] = at == len(tokens) - 1
                if at == len(tokens) - 1:
                    rows.append(row)
                row += 1
        batch.n_tokens = row
        if llama_cpp.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        found = [np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, r), shape=(llm.n_vocab(),)).copy()
                 for r in rows]
        for number in range(len(hypotheses)):
            llama_cpp.llama_memory_seq_rm(memory, number + 1, -1, -1)
        llama_cpp.llama_batch_free(batch)
        return found

    difference = max(float(np.abs(a - b).max()) for a, b in zip(in_turn(), batched(), strict=True))
    print(f"largest logit difference between the two ways: {difference:.3f}")
    for name, way in [("in turn", in_turn), ("batched", batched)] * 2:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            way()
            times.append(time.perf_counter() - started)
        print(f"{name:8} threads {threads}, {count} hypotheses: {np.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
