"""The local model's prefill for a hand-driven decode: the prompt's last token is evaluated with
the last slice, not in a model call of its own, and the logits after the prompt are the same."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from penna.writing.backend import GenerationStats
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
