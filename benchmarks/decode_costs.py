"""What one llama.cpp decode call costs on the default model, by its tokens and its logits rows
(issue 18: the second action's floor, E31's scoring cost).

A context of 2,048 with 1,000 tokens already evaluated; each case decodes a few tokens after them
(the cells removed again before the next), asking for logits on the last `rows` tokens. Medians of
15 runs. Measured at 2f41426 on the 2-core machine, two threads: 1 token without logits 7.4 ms,
with 14.2 ms; 8 tokens with 1 row 29.1 ms, with 8 rows 52.3 ms; 32 tokens with 1 row 81.3 ms, with
32 rows 151.6 ms. So a call costs about 5–7 ms before any work, a token about 2 ms, and a logits
row over Gemma 3's 262k-token vocabulary 3–7 ms. Flash attention changed nothing measurable.

    .venv/bin/python benchmarks/decode_costs.py [THREADS]
"""

from __future__ import annotations

import statistics
import sys
import time

import llama_cpp

from penna.writing.registry import default_model_path

CASES = ((1, 0), (1, 1), (2, 1), (4, 1), (8, 1), (8, 8), (16, 1), (16, 16), (32, 1), (32, 32))


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    llm = llama_cpp.Llama(str(default_model_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                          verbose=False)
    prompt = llm.tokenize(("The bulk ferment can take nine hours in a cold kitchen. " * 80).encode(), add_bos=True)
    llm.eval(prompt[:1000])
    base = llm.n_tokens
    following = prompt[1:33]

    def decode(tokens: list[int], rows: int) -> float:
        times = []
        for _ in range(15):
            llm._ctx.kv_cache_seq_rm(-1, base, -1)
            llm._batch.set_batch(batch=tokens, n_past=base, logits_all=False)
            for index in range(len(tokens)):
                llm._batch.batch.logits[index] = index >= len(tokens) - rows
            started = time.perf_counter()
            llm._ctx.decode(llm._batch)
            times.append(1000 * (time.perf_counter() - started))
        return statistics.median(times)

    for count, rows in CASES:
        print(f"threads {threads}, {count:2d} tokens, {rows:2d} logits rows: {decode(following[:count], rows):6.1f} ms")


if __name__ == "__main__":
    main()
