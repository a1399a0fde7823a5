"""The local model's prefill for a hand-driven decode: the prompt's last token is evaluated with
the last slice, not in a model call of its own, and the logits after the prompt are the same."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from penna.config import usable_cpus
from penna.writing.backend import GenerationStats
from penna.writing.bridge import log_softmax
from penna.writing.model import LlamaModel

pytestmark = pytest.mark.model

PROMPT = "# My notebook\n\n## How I write\n- short sentences\n\n## Winter loaf\n\nText: The kitchen is cold, and"


@pytest.fixture
def model(default_model: LlamaModel) -> LlamaModel:
    return default_model  # shared with the other in-process tests (tests/conftest.py)


def _counting_evals(model: LlamaModel, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    llm: Any = model.llm
    real = llm.eval

    def counted(tokens: list[int]) -> None:
        calls.append(len(tokens))
        real(tokens)

    monkeypatch.setattr(llm, "eval", counted)
    return calls


def test_decoding_evaluates_the_prompt_in_its_slices_only(model: LlamaModel, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = model.tokenize(PROMPT)
    model.llm.reset()
    model.prefill(tokens)  # the old way: all but the last token, then the last one alone
    model.llm.eval(tokens[-1:])
    expected = np.ctypeslib.as_array(model.llm._ctx.get_logits(), shape=(model.llm.n_vocab(),)).copy()

    model.llm.reset()
    calls = _counting_evals(model, monkeypatch)
    stats = GenerationStats()
    with model.decoding(PROMPT, stats=stats) as (decoder, logits):
        assert decoder.position == len(tokens)
        assert sum(calls) == len(tokens) and len(calls) == -(-len(tokens) // 32)  # no call for the last token
        assert int(np.argmax(logits)) == int(np.argmax(expected))
        assert np.allclose(logits, expected, atol=1e-2 * float(np.abs(expected).max()))
    assert stats.prompt_tokens == len(tokens) and stats.reused_tokens == 0

    calls.clear()
    with model.decoding(PROMPT + " the", stats=(again := GenerationStats())) as (decoder, _logits):
        assert again.reused_tokens == len(tokens) - 1 or again.reused_tokens == len(tokens)
        assert sum(calls) == len(model.tokenize(PROMPT + " the")) - again.reused_tokens  # only the new tail


def _logit_calls(model: LlamaModel, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each model call, and whether it asked for logits."""
    calls: list[bool] = []
    llm: Any = model.llm
    context = llm._ctx
    real = context.decode

    def counted(batch: Any) -> None:
        calls.append(any(batch.batch.logits[i] for i in range(batch.batch.n_tokens)))
        real(batch)

    monkeypatch.setattr(context, "decode", counted)
    return calls


def test_a_repeated_evaluation_gives_the_same_logits_without_the_output_layer(
        model: LlamaModel, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = (model.tokenize(word, bos=False) for word in (" the", " a cold", " kitchen"))
    model.llm.reset()
    with model.decoding(PROMPT) as (decoder, _logits):
        start = decoder.position
        first = decoder.feed(a)
        decoder.rewind(start)
        decoder.feed(b)  # another filling tried
        calls = _logit_calls(model, monkeypatch)
        decoder.rewind(start)
        again = decoder.feed(a)  # the chosen one committed
        assert calls == [False]  # its KV cells only
        assert np.array_equal(again, first)
        assert not again.flags.writeable  # the decoder keeps it: nobody may change it
        after = decoder.feed(c)  # evaluated on the rebuilt cells …
        assert decoder.position == start + len(a) + len(c)
        decoder.rewind(start)
        model.llm.eval(a)
        model.llm.eval(c)
        assert np.array_equal(after, decoder.logits())  # … exactly as on cells evaluated with logits

        decoder.rewind(start)
        decoder.feed(a + c)
        decoder.rewind(start + len(a))
        calls.clear()
        decoder.feed(c)  # after `a` as part of a longer batch (llama.cpp's results may differ): evaluated
        assert calls == [True]


def test_score_sums_each_tokens_log_probability_in_one_call_and_keeps_the_logits_after_a_prefix(
        model: LlamaModel, monkeypatch: pytest.MonkeyPatch) -> None:
    filling, following = model.tokenize(" a cold", bos=False), model.tokenize(" kitchen today", bos=False)
    tokens = filling + following
    model.llm.reset()
    with model.decoding(PROMPT) as (decoder, prompt_logits):
        start = decoder.position
        calls = _logit_calls(model, monkeypatch)
        total, kept = decoder.score(tokens, 1, len(filling))
        assert calls == [True]  # one model call for the whole continuation
        assert decoder.position == start + len(tokens)
        assert not kept.flags.writeable

        decoder.rewind(start)  # the same figures, token by token
        expected, logits, after_filling = 0.0, prompt_logits, None
        for number, token in enumerate(tokens):
            if number >= 1:
                expected += float(log_softmax(logits)[token])
            logits = decoder.feed([token])
            if number + 1 == len(filling):
                after_filling = logits
        assert total < 0 and abs(total - expected) < 0.05 * len(tokens)  # batched and one by one differ in float
        assert after_filling is not None and int(np.argmax(kept)) == int(np.argmax(after_filling))
        likeliest = np.argsort(after_filling)[-10:]  # the tokens a search would try next, within float noise
        assert np.abs(log_softmax(kept)[likeliest] - log_softmax(after_filling)[likeliest]).max() < 0.3
        with pytest.raises(ValueError):
            decoder.score(tokens, 0, 1)  # the first token's probability is not in this call's logits


def test_each_evaluation_runs_on_the_threads_the_cpu_share_gives_it(
        model: LlamaModel, monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp

    from penna.writing.cpu_share import CpuShare

    now = [0.0]
    share = CpuShare(clock=lambda: now[0], reader=lambda: None)
    monkeypatch.setattr(model, "share", share)
    monkeypatch.setattr(model, "most_threads", 2)  # as on a 2-core machine, whatever this worker has
    context = model.llm._ctx.ctx
    seen: list[int] = []
    real = model.llm.eval

    def recorded(tokens: list[int]) -> None:
        seen.append(llama_cpp.llama_n_threads(context))
        real(tokens)

    monkeypatch.setattr(model.llm, "eval", recorded)
    try:
        model.llm.reset()
        with model.decoding(PROMPT) as (decoder, _logits):
            decoder.feed(model.tokenize(" quiet", bos=False))
            share.client_active()  # the editor asks for a hover
            decoder.feed(model.tokenize(" then", bos=False))
            now[0] += 10  # … and has been quiet since
            decoder.feed(model.tokenize(" busy", bos=False))
        assert seen[-3:] == [2, 1, 2]
        share.client_active()  # a completion request while the model writes freely
        pieces = list(model.stream(PROMPT, max_tokens=3, temperature=0, seed=1, stop=[]))
        assert pieces and llama_cpp.llama_n_threads(context) == 1
    finally:  # back to the shared model's own count (tests/conftest.py)
        llama_cpp.llama_set_n_threads(context, usable_cpus(), usable_cpus())
        model.threads_now = usable_cpus()
