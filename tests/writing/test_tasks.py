"""Specification of task inputs: bullets, notes for rephrasing, and the prompt tail."""

from __future__ import annotations

from penna.knowledge.items import notes_from_sentence
from penna.writing.tasks import join_sentences, keep_paragraphs, note_sentences, notes_for, parse_bullets, task_tail


def test_nested_bullets_fold_into_their_parent() -> None:
    text = "- first point\n  - detail a\n  - detail b\n- second point\n* third\n1. fourth"
    assert parse_bullets(text) == ["first point; detail a; detail b", "second point", "third", "fourth"]


def test_plain_lines_count_as_bullets() -> None:
    assert parse_bullets("one idea\nanother idea\n") == ["one idea", "another idea"]


def test_rephrase_works_on_the_writers_own_sentences() -> None:
    notes = notes_for("rephrase", "The oven was not hot enough. I waited 20 minutes.")
    assert notes == ["The oven was not hot enough.", "I waited 20 minutes."]
    assert notes_from_sentence("Emacs is never the answer") == "emacs never answer"


def test_tail_shows_written_sentences_then_the_next_note() -> None:
    tail = task_tail("expand", "Post", ["a b", "c d", "e f"], ["Wrote A."], demo="Notes: x\nText: X.")
    assert tail.endswith("Notes: a b\nText: Wrote A.\nNotes: c d\nText:")
    assert tail.index("Notes: x") < tail.index("## Post")


def test_sentences_join_into_capitalised_paragraphs() -> None:
    assert join_sentences(["it rose", "Then it fell."], None) == "It rose. Then it fell."


def test_a_rephrase_keeps_the_writers_paragraphs() -> None:
    original = "The oven was cold. I waited.\n\nThen it rose. It fell. It rose again."
    edited = ["The oven was cold.", "I waited a while.", "Then it rose.", "It fell.", "It rose again."]
    assert keep_paragraphs(original, edited) == ("The oven was cold. I waited a while.\n\n"
                                                 "Then it rose. It fell. It rose again.")
    long_one = " ".join(f"Sentence {n} is here." for n in range(12))  # one paragraph stays one paragraph
    assert keep_paragraphs(long_one, [f"Sentence {n} is here." for n in range(12)]) == long_one
    assert keep_paragraphs(original, edited[:3]) is None  # sentences that do not line up: not guessed


# --- choosing among candidates -----------------------------------------------------------------
# The property under test is which candidate wins, so the "model" below answers from a script:
# the real model cannot be made to produce a chosen set of candidates on demand. The real model
# writes through the same code in tests/e2e and tests/eval.
import random  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from penna.knowledge.style import StyleProfile, WordProfile, counts_for_text  # noqa: E402
from penna.vault.text import words  # noqa: E402
from penna.writing import grammar  # noqa: E402
from penna.writing.drafting import voice_score  # noqa: E402
from penna.writing.tasks import DEFAULT_CANDIDATES, TaskRequest, TaskResult, _SentenceWriter, run_sentences  # noqa: E402

AUTHOR_SENTENCES = [
    "I think the dough is ready when it jiggles.", "I don't trust the clock; I trust my hands.",
    "I bake on Saturdays because I'm slow.", "It's the only day I can wait for the levain.",
    "My oven runs hot, so I lower it.", "I've burnt enough loaves to know.", "It's never the same twice.",
    "I like the wait, and I don't mind the cold.", "The crust tells me when it's done.",
]
# Six notes of the author's, each the sentences above in a different seeded order and mix.
AUTHOR_NOTES = [" ".join(random.Random(n).choices(AUTHOR_SENTENCES, k=45)) for n in range(6)]
needs_grammar = pytest.mark.skipif(not grammar.available(), reason="Link Grammar is not installed")


class ScriptedModel:
    def __init__(self, answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.temperatures: list[float] = []

    def stream(self, prompt: str, **options: object) -> Iterator[str]:
        self.prompts.append(prompt)
        self.temperatures.append(float(options["temperature"]))  # type: ignore[arg-type]
        yield self.answers.pop(0) if self.answers else ""


def _profile() -> StyleProfile:
    return StyleProfile(counts_for_text("\n\n".join(AUTHOR_NOTES)), WordProfile.fit([words(t) for t in AUTHOR_NOTES]))


def _expand(model: ScriptedModel, note: str, prefix: str = "", **options: object) -> list[str]:
    request = TaskRequest("expand", f"- {note}", "Draft", seed=1, **options)  # type: ignore[arg-type]
    return run_sentences(model, prefix, request, [note], profile=_profile(), exemplars=[], cancel=None,
                         on_text=None).pieces


def test_the_authors_small_words_sound_more_like_them() -> None:
    profile = _profile()
    mine = "I think the dough is ready when it jiggles."
    theirs = "Furthermore, readiness of dough is indicated by jiggles."
    assert voice_score(mine, profile, []) > voice_score(theirs, profile, [])


@needs_grammar
def test_a_first_draft_a_writer_would_keep_is_taken_at_once() -> None:
    model = ScriptedModel(["I start the levain the night before.", "Never asked for."])
    assert _expand(model, "start the levain the night before") == ["I start the levain the night before."]
    assert len(model.prompts) == 1 and model.temperatures == [0.0]  # the model's most likely sentence first


def test_a_pasted_candidate_loses_to_the_note_itself() -> None:
    prefix = ("## Notes I turned into prose\n"
              "Text: I keep my starter on top of the fridge in winter because it is warm.\n")
    pasted = "I keep my starter on top of the fridge in winter because it is warm."
    model = ScriptedModel([pasted] * 5)
    assert _expand(model, "starter lives fridge", prefix) == ["Starter lives fridge."]
    assert len(model.prompts) == 1 + DEFAULT_CANDIDATES  # the first draft, then the extra candidates


@needs_grammar
def test_a_later_candidate_that_keeps_the_note_wins_and_runs_hotter() -> None:
    model = ScriptedModel(["The weather was nice.", "I lower the oven because it runs hot.", "Ovens exist."])
    assert _expand(model, "lower oven, runs hot", temperature=0.7) == ["I lower the oven because it runs hot."]
    assert model.temperatures[0] == 0.0 and model.temperatures[1] > 0.7


def test_a_sentence_that_adds_a_claim_loses_to_the_note() -> None:
    model = ScriptedModel(["A bulk ferment can take nine or more hours.", "You must bake nine hours.", ""])
    assert _expand(model, "bulk ferment can take nine hours") == ["Bulk ferment can take nine hours."]


def test_a_sentence_that_carries_none_of_its_note_is_replaced_by_the_note() -> None:
    # The small model's usual failure: it writes the previous note's sentence again.
    model = ScriptedModel(["A cold kitchen, 17°C."] * 5)
    request = TaskRequest("expand", "- start the levain the night before", "Draft", seed=1)
    result = run_sentences(model, "", request, ["start the levain the night before"], profile=None, exemplars=[],
                           cancel=None, on_text=None)
    assert result.pieces == ["Start the levain the night before."]
    assert result.text == "Start the levain the night before."


# --- rephrasing edits the writer's sentences -------------------------------------------------------
def _rephrase(model: ScriptedModel, text: str, profile: StyleProfile | None = None) -> str:
    request = TaskRequest("rephrase", text, "Draft", seed=1)
    from penna.writing.tasks import notes_for

    return run_sentences(model, "", request, notes_for("rephrase", text), profile=profile or _profile(),
                         exemplars=[], cancel=None, on_text=None).text


def test_rephrase_makes_generic_phrases_plain_and_keeps_the_claim() -> None:
    model = ScriptedModel(["Today's is a very fast-paced world important to me note bread baking."])
    text = "In today's fast-paced world, it is important to note that bread baking requires patience."
    assert _rephrase(model, text) == "Bread baking requires patience."


def test_rephrase_keeps_a_generic_phrase_the_author_writes() -> None:
    notes = [*AUTHOR_NOTES, "The starter is robust now. A robust crumb needs a hot oven."]
    robust_author = StyleProfile(counts_for_text("\n\n".join(notes)), WordProfile.fit([words(t) for t in notes]))
    text = "It is important to note that a robust starter needs a hot oven."
    model = ScriptedModel(["A robust starter needs a hot oven."])
    assert _rephrase(model, text, robust_author) == "A robust starter needs a hot oven."
    assert _rephrase(ScriptedModel(["A solid starter needs a hot oven."]), text) == "A solid starter needs a hot oven."


def test_rephrase_never_takes_a_version_that_changes_the_meaning() -> None:
    model = ScriptedModel(["My oven never runs hot, so I lower it."])
    assert _rephrase(model, "My oven runs hot, so I lower it.") == "My oven runs hot, so I lower it."


def test_a_bullet_of_two_sentences_becomes_two_sentences() -> None:
    """The writer's stop inside a bullet stays a stop: each part is written on its own."""
    bullet = ("after investigating deeper, learned ancient SDL bug made it all way into SDL3. "
              "-Wconversion warns about it, accidentally squelched in 2009")
    assert notes_for("expand", f"- {bullet}\n- bake in a covered pot") == [
        "after investigating deeper, learned ancient SDL bug made it all way into SDL3.",
        "-Wconversion warns about it, accidentally squelched in 2009", "bake in a covered pot"]
    assert note_sentences("GGUF model: foo-GGUF. bartowski one of prolific quantizers") == [
        "GGUF model: foo-GGUF.", "bartowski one of prolific quantizers"]
    # Not a sentence's end: an abbreviation, an initial, a version number, a stop at the end.
    for whole in ("they make debug builds i.e. -O0 much slower", "as J. Smith said", "since v3.27 in July",
                  "bulk ferment nine hours."):
        assert note_sentences(whole) == [whole]
    # An ellipsis ends a sentence only where a capital follows it.
    assert note_sentences("so abundant that problem what to omit … In midst of agitation, BR Ambedkar said") == [
        "so abundant that problem what to omit …", "In midst of agitation, BR Ambedkar said"]
    assert note_sentences("tools to mitigate it … slightly") == ["tools to mitigate it … slightly"]
    # A capital pronoun inside a bullet is no stop: in writers' notes it is mostly a divine pronoun
    # ("Allah and that He has no partner") or a title ("finished reading It last night").
    for whole in ("Volgin in possession of Legacy He fired warhead", "the Lord promised He would return",
                  "finished reading It last night"):
        assert note_sentences(whole) == [whole]


@pytest.mark.model
def test_a_restored_negation_is_spelt_as_the_author_spells_it(default_model: Any) -> None:
    """The author writes "don't" (their frequent words say so): a note's "not" restored with its
    "do" comes out as "don't", not as "do not". The real default model restores the note."""
    prefix = ("## Notes I turned into prose\nNotes: trust hands, not clock\n"
              "Text: I don't trust the clock; I trust my hands.\n\n## Winter loaf\n\n")
    request = TaskRequest("expand", "- not trust the clock", "Winter loaf", seed=1, candidates=0)
    text = run_sentences(default_model, prefix, request, ["not trust the clock"], profile=_profile(), exemplars=[],
                         cancel=None, on_text=None).text
    assert "don't trust the clock" in text and "do not" not in text, text


@pytest.mark.model
def test_a_growing_sentence_is_spelt_as_the_finished_one_will_be(default_model: Any) -> None:
    """The editor's preview of a restored sentence as it grows says "don't" where the finished
    sentence will, so the words the writer is reading do not change when it is replaced."""
    prefix = ("## Notes I turned into prose\nNotes: trust hands, not clock\n"
              "Text: I don't trust the clock; I trust my hands.\n\n## Winter loaf\n\n")
    request = TaskRequest("expand", "- not trust the clock", "Winter loaf", seed=1, candidates=0)
    shown: list[str] = []
    text = run_sentences(default_model, prefix, request, ["not trust the clock"], profile=_profile(), exemplars=[],
                         cancel=None, on_text=shown.append, growing=True).text
    assert "don't trust the clock" in text, text
    growing = [partial for partial in shown[:-1] if "trust" in partial]
    assert growing, shown  # the sentence was shown while it grew, not only when finished
    assert not any("do not" in partial for partial in shown), shown


@pytest.mark.model
def test_a_notes_comma_after_its_opening_noun_phrase_may_become_is(default_model: Any) -> None:
    """A writer's "wet dough, more like paste than bread" has a comma for the sentence's verb: the
    real default model, reading the whole sentence, prefers "is" there (`drafting.comma_put_backs`)."""
    text = _bread_sentence(default_model, "wet dough, more like paste than bread", "Rye")
    assert "dough is more like a paste than bread" in text, text


@pytest.mark.model
def test_an_added_auxiliary_is_put_in_the_past_where_the_note_tells_of_the_past(default_model: Any) -> None:
    """The search puts "is" before "too pale" with only the next note word ahead; read whole with
    "last week", the real default model prefers "was" (`drafting.past_tense_offers`)."""
    text = _bread_sentence(default_model, "crust too pale last week, oven not hot enough", "Winter loaf")
    assert "crust was too pale last week" in text, text


def _bread_sentence(model: Any, note: str, title: str) -> str:
    """One note expanded by `model` under a note titled `title`, after one baker's notes→text pair."""
    prefix = ("## Notes I turned into prose\nNotes: shape loaf, proof in fridge overnight\n"
              f"Text: I shape the loaf and proof it in the fridge overnight.\n\n## {title}\n\n")
    request = TaskRequest("expand", f"- {note}", title, seed=1, candidates=0)
    return run_sentences(model, prefix, request, [note], profile=_profile(), exemplars=[], cancel=None,
                         on_text=None).text


@pytest.mark.model
def test_a_restoration_is_spelt_only_with_the_words_the_author_writes(default_model: Any) -> None:
    """An author who writes "we" and never "I" gets no "I" put back (`drafting.subject_put_backs`
    asks the restoration's words): a function word at rate 0 is not theirs."""
    texts = [" ".join(random.Random(n).choices(["We bake on Saturdays.", "We don't trust the clock.",
                                                "Our oven runs hot, so we lower it."], k=40)) for n in range(4)]
    profile = StyleProfile(counts_for_text("\n\n".join(texts)), WordProfile.fit([words(t) for t in texts]))
    request = TaskRequest("expand", "- not trust the clock", "Winter loaf", seed=1, candidates=0)
    writer = _SentenceWriter(default_model, "## Winter loaf\n\n", request, profile, [], (), None, TaskResult(""))
    found = writer._restored(0, "not trust the clock", [], steering=False)
    assert found is not None
    assert "we" in found.author_words and "i" not in found.author_words
