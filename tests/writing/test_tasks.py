"""Specification of task inputs: bullets, notes for rephrasing, and the prompt tail."""

from __future__ import annotations

from penna.knowledge.items import notes_from_sentence
from penna.writing.tasks import join_sentences, notes_for, parse_bullets, task_tail


def test_nested_bullets_fold_into_their_parent() -> None:
    text = "- first point\n  - detail a\n  - detail b\n- second point\n* third\n1. fourth"
    assert parse_bullets(text) == ["first point; detail a; detail b", "second point", "third", "fourth"]


def test_plain_lines_count_as_bullets() -> None:
    assert parse_bullets("one idea\nanother idea\n") == ["one idea", "another idea"]


def test_rephrase_reduces_sentences_to_their_content_words() -> None:
    notes = notes_for("rephrase", "The oven was not hot enough. I waited 20 minutes.")
    assert notes == ["oven not hot", "waited 20 minutes"]
    assert notes_from_sentence("Emacs is never the answer") == "emacs never answer"


def test_tail_shows_written_sentences_then_the_next_note() -> None:
    tail = task_tail("expand", "Post", ["a b", "c d", "e f"], ["Wrote A."], demo="Notes: x\nText: X.")
    assert tail.endswith("Notes: a b\nText: Wrote A.\nNotes: c d\nText:")
    assert tail.index("Notes: x") < tail.index("## Post")


def test_sentences_join_into_capitalised_paragraphs() -> None:
    assert join_sentences(["it rose", "Then it fell."], None) == "It rose. Then it fell."


# --- choosing among candidates -----------------------------------------------------------------
# The property under test is which candidate wins, so the "model" below answers from a script:
# the real model cannot be made to produce a chosen set of candidates on demand.
import random  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402

from penna.knowledge.style import StyleProfile, WordProfile, counts_for_text  # noqa: E402
from penna.writing.tasks import RETRY_LIMIT, TaskRequest, run_sentences, score_sentence  # noqa: E402
from penna.vault.text import words  # noqa: E402

AUTHOR_SENTENCES = [
    "I think the dough is ready when it jiggles.", "I don't trust the clock; I trust my hands.",
    "I bake on Saturdays because I'm slow.", "It's the only day I can wait for the levain.",
    "My oven runs hot, so I lower it.", "I've burnt enough loaves to know.", "It's never the same twice.",
    "I like the wait, and I don't mind the cold.", "The crust tells me when it's done.",
]
# Six notes of the author's, each the sentences above in a different seeded order and mix.
AUTHOR_NOTES = [" ".join(random.Random(n).choices(AUTHOR_SENTENCES, k=45)) for n in range(6)]


class ScriptedModel:
    def __init__(self, answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def stream(self, prompt: str, **_options: object) -> Iterator[str]:
        self.prompts.append(prompt)
        yield self.answers.pop(0) if self.answers else ""


def _profile() -> StyleProfile:
    return StyleProfile(counts_for_text("\n\n".join(AUTHOR_NOTES)), WordProfile.fit([words(t) for t in AUTHOR_NOTES]))


def test_the_author_s_small_words_win_among_candidates_that_keep_the_note() -> None:
    profile = _profile()
    note = "dough ready jiggles"
    mine = "I think the dough is ready when it jiggles."
    theirs = "Furthermore, readiness of dough is indicated by jiggles."
    assert score_sentence(mine, note, profile, []) > score_sentence(theirs, note, profile, [])
    assert profile.mfw.distance(mine) < profile.mfw.distance(theirs)


def test_repeating_the_paragraph_or_pasting_the_prompt_loses() -> None:
    profile = _profile()
    note = "oven runs hot"
    before = ["My oven runs hot, so I lower it every time."]
    fresh = "The oven runs hot here."
    assert score_sentence(fresh, note, profile, [], before=before) > score_sentence(before[0], note, profile, [],
                                                                                    before=before)


def test_a_pasted_candidate_is_replaced_by_the_note_itself() -> None:
    prefix = "## Notes I turned into prose\nText: I keep my starter on top of the fridge in winter because it is warm.\n"
    model = ScriptedModel(["I keep my starter on top of the fridge in winter because it is warm."] * RETRY_LIMIT)
    request = TaskRequest("expand", "- starter lives fridge", "Draft", seed=1, candidates=1)
    result = run_sentences(model, prefix, request, ["starter lives fridge"], profile=None, exemplars=[],
                           cancel=None, on_text=None)
    assert result.pieces == ["starter lives fridge"] and len(model.prompts) == RETRY_LIMIT  # tries, then the note


def test_best_of_n_keeps_the_candidate_that_carries_the_note() -> None:
    model = ScriptedModel(["The weather was nice.", "I lower the oven because it runs hot.", "Ovens exist."])
    request = TaskRequest("expand", "- lower oven runs hot", "Draft", seed=1, candidates=3)
    result = run_sentences(model, "", request, ["lower oven runs hot"], profile=_profile(), exemplars=[],
                           cancel=None, on_text=None)
    assert result.pieces == ["I lower the oven because it runs hot."] and len(model.prompts) == 3


def test_a_retry_runs_hotter() -> None:
    model = ScriptedModel(["Ovens exist.", "My oven runs hot, so I lower it."])
    temperatures: list[float] = []
    stream = model.stream

    def spy(prompt: str, **options: object) -> Iterator[str]:
        temperatures.append(float(options["temperature"]))  # type: ignore[arg-type]
        return stream(prompt, **options)

    model.stream = spy  # type: ignore[method-assign]
    request = TaskRequest("expand", "- oven runs hot lower", "Draft", seed=1, temperature=0.7)
    result = run_sentences(model, "", request, ["oven runs hot lower"], profile=None, exemplars=[], cancel=None,
                           on_text=None)
    assert result.pieces == ["My oven runs hot, so I lower it."]  # the first dropped the note's content
    assert temperatures[0] == 0.7 and temperatures[1] > 0.7


def test_a_sentence_that_carries_none_of_its_note_is_replaced_by_the_note() -> None:
    # The small model's usual failure: it writes the previous note's sentence again.
    model = ScriptedModel(["A cold kitchen, 17°C."] * RETRY_LIMIT)
    request = TaskRequest("expand", "- start the levain the night before", "Draft", seed=1)
    result = run_sentences(model, "", request, ["start the levain the night before"], profile=None, exemplars=[],
                           cancel=None, on_text=None)
    assert result.pieces == ["start the levain the night before"]
    assert result.text == "Start the levain the night before."
