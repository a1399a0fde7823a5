"""Specification of the draft order: what a local model writes first for a note, as its trial decided.

The model here is the real default, watched: every call goes to it and is recorded. Where a test
needs a fluent model (a 4B or 8B one that writes keepable sentences by itself, which cannot be
downloaded or run in this sandbox), its free sentences are scripted and everything else, restoring
included, stays the real model's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from penna.writing import grammar
from penna.writing.backend import CancelToken, GenerationStats
from penna.writing.bridge import bridge_for
from penna.writing.calibration import TrialNote, model_key
from penna.writing.model import LlamaModel
from penna.writing.tasks import TaskRequest, run_sentences, run_trial

pytestmark = pytest.mark.model
PREFIX = ("## Notes I turned into prose\nNotes: cold kitchen, everything slow\n"
          "Text: My kitchen was cold, and everything was slow.\n\n## Winter loaf\n\n")


class WatchedModel:
    """The real model, with its calls recorded ("free" for a sentence streamed, "restore" for a
    hand-driven decode: restoring, or scoring a restoration's variants); `fluent` answers stand in
    for a larger model's own sentences."""

    decodes_tokens = True

    def __init__(self, real: LlamaModel, fluent: Sequence[str] = ()) -> None:
        self.real = real
        self.fluent = list(fluent)
        self.calls: list[str] = []
        self.name, self.path, self.n_ctx, self.chat_stop = real.name, real.path, real.n_ctx, real.chat_stop

    @property
    def is_chat(self) -> bool:
        return False

    @property
    def exact_count(self) -> bool:
        return True

    def chat_prompt(self, system: str, user: str) -> str:
        return self.real.chat_prompt(system, user)

    def count(self, text: str) -> int:
        return self.real.count(text)

    def estimate(self, text: str) -> int:
        return self.real.estimate(text)

    def estimate_reason(self) -> str:
        return ""

    def warm(self, prompt: str, cancel: CancelToken | None = None, *, remember: bool = True) -> GenerationStats:
        return self.real.warm(prompt, cancel, remember=remember)

    def tokenize(self, text: str, *, bos: bool = True) -> list[int]:
        return self.real.tokenize(text, bos=bos)

    def decoding(self, prompt: str, *, cancel: CancelToken | None = None,
                 stats: GenerationStats | None = None) -> AbstractContextManager[tuple[Any, Any]]:
        self.calls.append("restore")
        return self.real.decoding(prompt, cancel=cancel, stats=stats)

    def stream(self, prompt: str, **options: Any) -> Iterator[str]:
        self.calls.append("free")
        if self.fluent:
            yield self.fluent.pop(0)
            return
        yield from self.real.stream(prompt, **options)


NOTE = "start levain night before"


def _expand(model: WatchedModel, order: str) -> str:
    request = TaskRequest("expand", f"- {NOTE}", "Winter loaf", seed=1, candidates=1, order=order)  # type: ignore[arg-type]
    return run_sentences(model, PREFIX, request, [NOTE], profile=None, exemplars=[], cancel=None,
                         on_text=None).text


def test_by_default_a_local_model_restores_the_note_first(default_model: LlamaModel) -> None:
    model = WatchedModel(default_model)
    assert bridge_for(model) is not None  # it can restore
    text = _expand(model, "restore")
    assert model.calls[0] == "restore"
    assert {"levain", "night", "before"} <= set(text.lower().replace(".", "").split())


@pytest.mark.skipif(not grammar.available(), reason="Link Grammar is not installed")
def test_a_fluent_model_writes_its_own_sentence_first_and_restoring_is_never_run(default_model: LlamaModel) -> None:
    model = WatchedModel(default_model, fluent=["I start the levain the night before."])
    assert _expand(model, "free") == "I start the levain the night before."
    assert model.calls == ["free"]  # kept at once: no restoration was decoded


def test_when_a_fluent_models_sentence_drops_the_note_restoring_follows(default_model: LlamaModel) -> None:
    model = WatchedModel(default_model, fluent=["The weather was lovely that winter."] * 3)
    text = _expand(model, "free")
    assert model.calls[:2] == ["free", "restore"]
    assert "weather" not in text.lower() and "levain" in text.lower()


def test_the_trial_writes_and_judges_both_drafts_with_the_real_model(default_model: LlamaModel,
                                                                     tmp_path: Path) -> None:
    model = WatchedModel(default_model)
    note = TrialNote("I started the levain the night before because the kitchen was cold.",
                     "started levain night before because kitchen cold", ("Winter is slow here.",))
    request = TaskRequest("expand", "", "Winter loaf", seed=1, candidates=0)
    [trial] = run_trial(model, PREFIX, request, [note], profile=None, exemplars=[], cancel=None)
    # One sentence of the model's own, then one restoration; a decode after it reads the
    # restoration's variants as whole sentences (`drafting.likelier`), never a second free sentence.
    assert model.calls[:2] == ["free", "restore"] and set(model.calls[2:]) <= {"restore"}
    assert trial.free and trial.restored and trial.restored_keepable is not None
    restored_words = trial.restored.lower().replace(".", "").replace(",", "").split()
    assert all(word in restored_words for word in note.note.split())  # restoring keeps every note word
    assert model_key(model).startswith(default_model.name)  # type: ignore[arg-type]


def test_a_model_fluent_enough_is_spared_the_restoring_half_of_the_trial(default_model: LlamaModel) -> None:
    sentences = ["I started the levain the night before because the kitchen was cold.",
                 "I watch the dough, not the clock."]
    model = WatchedModel(default_model, fluent=sentences)
    notes = [TrialNote(sentences[0], "started levain night before because kitchen cold", ()),
             TrialNote(sentences[1], "watch dough, not clock", ())]
    request = TaskRequest("expand", "", "Winter loaf", seed=1, candidates=0)
    trials = run_trial(model, PREFIX, request, notes, profile=None, exemplars=[], cancel=None)
    assert [t.free_keepable for t in trials] == [True, True]
    assert model.calls == ["free", "free"] and all(t.restored is None for t in trials)


def test_every_trial_note_gets_the_whole_answer_budget(default_model: LlamaModel) -> None:
    """The trial's notes are separate requests: the tokens one free sentence used are not taken
    from the next one's budget (a cut-off sentence would count against the model)."""
    budgets: list[int] = []

    class Counting(WatchedModel):
        def stream(self, prompt: str, **options: Any) -> Iterator[str]:
            budgets.append(int(options["max_tokens"]))
            options["stats"].generated_tokens = 30  # as a real answer of 30 tokens reports
            yield "I watch the dough, not the clock, and it takes a long time in my cold kitchen."

    model = Counting(default_model)
    notes = [TrialNote(f"Sentence {i}.", "watch dough, not clock", ()) for i in range(4)]
    request = TaskRequest("expand", "", "Winter loaf", seed=1, candidates=0, max_tokens=40)
    run_trial(model, PREFIX, request, notes, profile=None, exemplars=[], cancel=None)
    assert len(set(budgets[:4])) == 1 and budgets[0] > 16, budgets

