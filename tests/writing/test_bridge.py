"""Specification of bridging: a note's words, in order, joined by small words the model chooses.

The sentence tests run the real default model (a base model primed with notes→text pairs)."""

from __future__ import annotations

import re

import pytest

from penna.writing.backend import Cancelled, CancelToken, GenerationStats, ModelError
from penna.writing.bridge import (
    AFTER_NEGATION,
    ALTERNATIVE_MARGIN,
    ALTERNATIVES_PER_GAP,
    AUXILIARIES,
    COORDINATORS,
    ENDINGS,
    NEVER_ADDED,
    OPENING_SUBJECTS,
    PREPOSITIONS,
    STEER,
    SUBJECTS,
    Bridge,
    GapChoice,
    Ledger,
    Restoration,
    _following,
    _options,
    _steering,
    bridge_for,
    contract,
    fits,
    glue_words,
    is_name,
    log_softmax,
    note_parts,
    note_words,
)
from penna.writing.model import LlamaModel

PROMPT = ("## Notes I turned into prose\n\n"
          "Notes: oven cold morning bread rose slowly\n"
          "Text: The oven was cold this morning, so the bread rose slowly.\n"
          "Notes: started levain night before\n"
          "Text: I started the levain the night before.\n"
          "Notes: crumb open crust thin\n"
          "Text: The crumb was open and the crust was thin.\n\n"
          "## Baking\n\n")
NOTES = ["kitchen cold winter dough needs longer proof, 78% hydration",
         "shaped loaves fridge overnight",
         "baked dutch oven lid first twenty minutes"]


def words_of(text: str) -> list[str]:
    return [chunk.strip(",.;:!?") for chunk in text.split() if chunk.strip(",.;:!?")]


def added_words(sentence: str, note: str) -> list[str]:
    """The sentence's words that are not the note's, checking the note's words come in order."""
    required = [w.lower() for w in note_words(note) or []]
    added = []
    for word in words_of(sentence):
        if required and word.lower() == required[0]:
            required.pop(0)
        else:
            added.append(word.lower())
    assert not required, f"note words missing or out of order in {sentence!r}: {required}"
    return added


def test_note_words_are_the_notes_own_words_verbatim_and_in_order() -> None:
    assert note_words("pack size, array together: one allocation") == ["pack", "size", "array", "together", "one",
                                                                     "allocation"]
    assert note_words("x86-64 isn't GCC's default") == ["x86-64", "isn't", "GCC's", "default"]
    assert note_words("cold kitchen; slow rise – long proof.") == ["cold", "kitchen", "slow", "rise", "long", "proof"]
    # Signs that mean something stay, whole: nothing of the writer's note is lost between the words.
    assert note_words("cold kitchen, 17°C, hydration 70% → slow") == ["cold", "kitchen", "17°C", "hydration", "70%",
                                                                       "→", "slow"]


def test_the_notes_own_commas_and_dashes_are_kept_with_the_word_before_them() -> None:
    assert note_parts("cold kitchen, 17°C; everything slow.") == [("cold", ""), ("kitchen", ","), ("17°C", ";"),
                                                                   ("everything", ""), ("slow", "")]
    assert note_parts("nine hours — watch the dough") == [("nine", ""), ("hours", " —"), ("watch", ""),
                                                          ("the", ""), ("dough", "")]
    assert note_parts("ends with a comma,")[-1] == ("comma", "")  # the sentence's end is the sentence's
    assert note_parts("see `code`, then") is None


@pytest.mark.parametrize("note", ["call `free()` once", "see https://example.com", "[[Other note]] idea",
                                  "a * b = c", "path/to/file", "f(x) grows"])
def test_code_links_and_markup_are_not_bridged(note: str) -> None:
    assert note_words(note) is None


def test_small_words_never_add_a_negation_a_number_or_a_claim() -> None:
    glue = set(glue_words())
    assert {"the", "of", "it", "was", "to", "and", "but"} <= glue
    assert not glue & NEVER_ADDED
    assert {"not", "no", "never", "without", "two", "use", "make", "thing", "well"} <= NEVER_ADDED
    # Nor a word that changes a claim's scope or force: "nine hours" never becomes "nine or more hours".
    assert {"or", "more", "all", "only", "some", "always", "can", "must", "should"} <= NEVER_ADDED


def test_an_author_who_contracts_gets_contractions_but_never_an_added_negation() -> None:
    frequent = ["the", "i've", "that's", "don't", "gcc's"]
    glue = glue_words(frequent)
    assert {"i've", "that's"} <= set(glue)
    assert "don't" not in glue and "gcc's" not in glue  # a negation; a name's possessive is not a small word
    assert "i've" not in glue_words(["the"])  # an author who does not write it does not get it
    # A note's own "not" is spelt the author's way, only where their frequent words say so.
    assert contract("Do not guess. It is not free.", frequent) == "Don't guess. It is not free."
    assert contract("Do not guess.", ["the"]) == "Do not guess."


def test_days_and_months_a_note_jots_in_lower_case_are_spelt_as_names() -> None:
    assert contract("The kitchen hit 28°C on tuesday, and ice in july.", []) == (
        "The kitchen hit 28°C on Tuesday, and ice in July.")
    # "may" and "march" are as often a modal and a verb; a word that only contains a name is none.
    assert contract("It may rise if I march it to the mondayish oven.", []) == (
        "It may rise if I march it to the mondayish oven.")


def test_one_determiner_at_a_time_and_a_or_an_by_the_next_letter() -> None:
    assert not fits("the", "an") and not fits("this", "the")
    assert fits("a", "cold") and not fits("a", "oven") and fits("an", "oven") and not fits("an", "cold")
    assert fits("it", "is")


def test_steering_credits_words_the_author_uses_more_and_charges_repeats() -> None:
    steer = _steering(["the", "of", "thus"], {"the": 0.06, "of": 0.03}, {"the": 0, "of": 9, "thus": 2}, words=100)
    assert steer["the"] > 0  # the author would have written ~6 by now: owed
    assert steer["of"] < 0  # 9 written where the author writes ~3
    assert steer["thus"] < 0  # never in the author's rates, already used twice
    assert all(-3 * STEER <= v <= 2 * STEER for v in steer.values())  # bounded: never overrules the model


def test_the_ledger_remembers_recent_words_and_forgets_old_ones() -> None:
    ledger = Ledger(memory_words=100)
    ledger.observe("So the oven was cold, so I waited.")
    assert ledger.counts["so"] == 2 and ledger.words == 8
    for _ in range(20):
        ledger.observe("The dough rose in the tin overnight and then it was baked.")
    assert ledger.counts.get("so", 0.0) < 0.2  # faded after ~240 more words
    assert 80 < ledger.words < 140  # about its memory, not everything ever written
    assert ledger.openings == ["the", "the"]  # what the last two sentences opened with


# --- with the real model -----------------------------------------------------------------------


@pytest.fixture
def model(default_model: LlamaModel) -> LlamaModel:
    return default_model  # shared with the other in-process tests (tests/conftest.py)


@pytest.mark.model
@pytest.mark.parametrize("note", NOTES)
def test_a_bridged_sentence_keeps_every_note_word_in_order_and_adds_only_small_words(model: LlamaModel,
                                                                                       note: str) -> None:
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {note}\nText:", note, glue_ratio=1.0)
    assert sentence is not None and sentence.endswith(".")
    assert sentence[0].isupper()
    added = added_words(sentence, note)
    glue = set(glue_words())
    assert all(w in glue for w in added), f"{sentence!r} adds {[w for w in added if w not in glue]}"
    last = words_of(sentence)[-1].lower()
    assert last == words_of(note)[-1].lower() or last in ENDINGS  # never "… the." or "… is a."


@pytest.mark.model
def test_the_model_adds_small_words_at_about_the_authors_density(model: LlamaModel) -> None:
    note = NOTES[0]
    bridge = Bridge(model)
    sparse = bridge.sentence(PROMPT + f"Notes: {note}\nText:", note, glue_ratio=0.0)
    dense = bridge.sentence(PROMPT + f"Notes: {note}\nText:", note, glue_ratio=1.5)
    assert sparse is not None and dense is not None
    assert len(added_words(dense, note)) > len(added_words(sparse, note)), (sparse, dense)
    assert len(added_words(dense, note)) >= len(words_of(note)) // 2  # prose, not the note given back


@pytest.mark.model
def test_a_note_written_as_prose_already_gets_few_additions(model: LlamaModel) -> None:
    """The author's density counts the whole sentence, the note's own small words too: a note at
    that density is nearly a sentence already, and the model may not pad it."""
    note = "start the levain the night before"  # three small words to three others
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {note}\nText:", note, glue_ratio=1.0)
    assert sentence is not None and len(added_words(sentence, note)) <= 2, sentence
    telegraphic = "start levain night"  # the same note without its small words is filled in
    assert len(added_words(Bridge(model).sentence(PROMPT + f"Notes: {telegraphic}\nText:", telegraphic,
                                                  glue_ratio=1.0) or "", telegraphic)) >= 2


@pytest.mark.model
def test_the_notes_own_punctuation_stays_where_the_note_has_it(model: LlamaModel) -> None:
    note = "cold kitchen, 17°C, everything slow"
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {note}\nText:", note)
    assert sentence is not None and "kitchen, " in sentence and "17°C, " in sentence, sentence
    assert ", ," not in sentence and ",," not in sentence
    dashed = "nine hours — watch the dough"
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {dashed}\nText:", dashed)
    assert sentence is not None and "hours — " in sentence, sentence


def test_a_restoration_switches_gaps_to_the_models_next_best_fillings() -> None:
    restoration = Restoration((
        GapChoice((" It", " does"), (((" It", " is", " does"), 2.5),)),
        GapChoice((" all",)),
        GapChoice((" heavy",), (((" the", " heavy"), 0.5), ((" a", " heavy"), 1.0))),
        GapChoice((" lifting",)),
        GapChoice((".",), ((("?",), 1.5),)),
    ))
    assert restoration.text == "It does all heavy lifting."
    first = restoration.variants()
    assert [v.text for v in first] == ["It does all the heavy lifting.", "It does all a heavy lifting.",
                                       "It does all heavy lifting?", "It is does all heavy lifting."]
    assert [v.loss for v in first] == [0.5, 1.0, 1.5, 2.5]  # least costly first
    second = restoration.variants(first[0].switches)  # a second switch, never in the same gap again
    assert all(len(v.switches) == 2 and v.switches[0] == (2, 0) for v in second)
    assert [v.text for v in second] == ["It does all the heavy lifting?", "It is does all the heavy lifting."]
    assert [v.loss for v in second] == [2.0, 3.0]


@pytest.mark.model
def test_restoring_with_alternatives_writes_the_same_sentence_and_keeps_the_note(model: LlamaModel) -> None:
    note = "kitchen cold, dough needs longer proof"
    prompt = PROMPT + "It was winter."
    bridge = Bridge(model)
    plain = bridge.sentence(prompt, note, credit=0.0, steering=False, prepositions=False)
    found = bridge.restore(prompt, note, credit=0.0, steering=False, prepositions=False, alternatives=True)
    assert found is not None and found.text == plain  # keeping alternatives does not change the choice
    offered = [loss for gap in found.gaps for _words, loss in gap.others]
    assert offered, "no gap had a next-best filling within the margin"
    assert all(0.0 <= loss <= ALTERNATIVE_MARGIN for loss in offered)  # the chosen filling is the model's best
    assert all(len(gap.others) <= ALTERNATIVES_PER_GAP for gap in found.gaps)
    for variant in found.variants():
        added_words(variant.text, note)  # every variant keeps the note's words in order
        assert variant.text != found.text


@pytest.mark.model
def test_bridging_is_deterministic_and_leaves_the_model_usable(model: LlamaModel) -> None:
    prompt = PROMPT + f"Notes: {NOTES[1]}\nText:"
    bridge = bridge_for(model)
    assert bridge is not None and bridge_for(model) is bridge  # one token table per model
    first = bridge.sentence(prompt, NOTES[1])
    stats = GenerationStats()
    assert bridge.sentence(prompt, NOTES[1], stats=stats) == first
    assert stats.reused_tokens > 0 and stats.generated_tokens > 0  # the prompt's prefix came from the cache
    text = "".join(model.stream(prompt, max_tokens=12, temperature=0.0, seed=1, stop=["\n"]))
    assert text.strip()  # free generation after a bridged one still works


@pytest.mark.model
def test_a_note_that_breaks_the_grammar_rules_still_comes_out_whole(model: LlamaModel) -> None:
    note = "a apple the an oven"  # the writer's words win: every one is kept, in order
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {note}\nText:", note)
    assert sentence is not None
    added_words(sentence, note)


@pytest.mark.model
def test_a_notes_negation_keeps_its_scope(model: LlamaModel) -> None:
    note = "watch dough not clock"
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {note}\nText:", note)
    assert sentence is not None
    words = [w.lower() for w in words_of(sentence)]
    at = words.index("not")
    assert words[at - 1] == "dough" or words[at - 1] in AUXILIARIES, sentence  # "the dough is not"
    assert words[at + 1] == "clock" or words[at + 1] in AFTER_NEGATION, sentence  # "not the clock"
    assert at - 1 <= words.index("dough") + 1 and words.index("clock") <= at + 2, sentence


@pytest.mark.model
def test_a_question_stays_a_question(model: LlamaModel) -> None:
    note = "why crumb dense?"
    sentence = Bridge(model).sentence(PROMPT + f"Notes: {note}\nText:", note)
    assert sentence is not None and sentence.endswith("?") and "dense" in sentence


@pytest.mark.model
def test_a_cancel_stops_bridging(model: LlamaModel) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        Bridge(model).sentence(PROMPT + f"Notes: {NOTES[2]}\nText:", NOTES[2], cancel=cancel)


def test_a_model_server_cannot_bridge() -> None:
    class Streaming:  # a remote backend only streams text: no token-level access
        def stream(self) -> None: ...

    assert bridge_for(Streaming()) is None


# --- restoring: no credit, no steering, the paragraph so far as the context --------------------
PROSE = ("## Baking\n\nText: The oven was cold this morning, so the bread rose slowly. I started the levain the "
         "night before.")
JOTTED = ["tried it", "crumb was open and crust thin", "bulk ferment can take nine hours"]


@pytest.mark.model
@pytest.mark.parametrize("note", JOTTED)
def test_a_restored_note_gets_back_small_words_and_nothing_else(model: LlamaModel, note: str) -> None:
    sentence = Bridge(model).sentence(PROSE, note, credit=0.0, steering=False, prepositions=False)
    assert sentence is not None and sentence.endswith(".") and sentence[0].isupper()
    added = added_words(sentence, note)
    glue = set(glue_words())
    assert all(w in glue for w in added), f"{sentence!r} adds {[w for w in added if w not in glue]}"
    assert not set(added) & (NEVER_ADDED | PREPOSITIONS), sentence


@pytest.mark.model
def test_restoring_puts_back_what_a_note_leaves_out(model: LlamaModel) -> None:
    bridge = Bridge(model)
    assert bridge.sentence(PROSE, "tried it", credit=0.0, steering=False) == "I tried it."
    sentence = bridge.sentence(PROSE, "crumb was open and crust thin", credit=0.0, steering=False)
    assert sentence is not None and len(added_words(sentence, "crumb was open and crust thin")) >= 1, sentence


@pytest.mark.model
def test_the_restoring_search_stops_early_without_changing_its_answer(model: LlamaModel,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With no credit and no steering every added word lowers the score, so a gap stops growing
    once no longer filling can win: it gives the same sentence as the full search."""
    pruned = [Bridge(model).sentence(PROSE, note, credit=0.0, steering=False) for note in JOTTED]
    search = Bridge._gap
    monkeypatch.setattr(Bridge, "_gap",
                        lambda self, *args, **options: search(self, *args, **{**options, "prune": False}))
    assert [Bridge(model).sentence(PROSE, note, credit=0.0, steering=False) for note in JOTTED] == pruned


def test_a_coordinator_is_offered_only_where_the_note_has_a_mark_or_at_the_opening() -> None:
    steer = dict.fromkeys(["and", "but", "so", "yet", "the", "is"], 0.0)

    def offered(join: bool, capital: bool = False) -> set[str]:
        return {w.strip().lower() for w in _options(steer, "debug", capital=capital, negation=False, negated=False,
                                                    last=False, join=join)}

    assert not offered(join=False) & COORDINATORS
    assert {"the", "is"} <= offered(join=False)
    assert offered(join=True) >= COORDINATORS
    assert offered(join=True, capital=True) >= COORDINATORS


def test_no_subject_is_offered_at_the_opening_of_a_note_that_opens_with_a_name() -> None:
    steer = dict.fromkeys(["he", "they", "it", "the", "was"], 0.0)

    def offered(subject: bool) -> set[str]:
        return {w.strip().lower() for w in _options(steer, "", capital=True, negation=False, negated=False,
                                                    last=False, subject=subject)}

    assert offered(subject=True) >= {"he", "they", "it"}
    assert offered(subject=False) == {"the", "was"}
    assert not offered(subject=False) & SUBJECTS


def test_a_name_is_a_word_the_notes_capitalise_mid_sentence_or_write_in_capitals() -> None:
    notes = "Notes: boy named John recruited by Boss, together they fought\nBoss sent on mission\nStart the levain"
    assert is_name("Boss", notes) and is_name("John", notes)
    assert is_name("EVA", notes)  # in capitals
    assert not is_name("Start", notes)  # a bullet's capital is not a name
    assert not is_name("It", "so It goes") and not is_name("I", "and I went")  # pronouns are subjects themselves


@pytest.mark.model
@pytest.mark.parametrize("note", [
    "Boss told Snake that she had vision of world without borders shortly before they fought",
    "that why country ruled by Kaffir Dar-ul-Harb to Musalman",
    "they make debug builds much slower"])
def test_restoring_adds_no_coordinator_between_words_the_note_runs_together(model: LlamaModel, note: str) -> None:
    sentence = Bridge(model).sentence(PROSE, note, credit=0.0, steering=False, prepositions=False)
    assert sentence is not None
    assert not set(added_words(sentence, note)) & COORDINATORS, sentence


def test_a_lone_ellipsis_is_kept_after_the_word_before_it_and_ends_a_note_as_a_stop_does() -> None:
    assert note_parts("mitigate it … slightly") == [("mitigate", ""), ("it", " …"), ("slightly", "")]
    assert note_words("what to tender and what to omit …") == ["what", "to", "tender", "and", "what", "to", "omit"]


@pytest.mark.model
def test_a_note_ending_in_an_ellipsis_ends_with_one(model: LlamaModel) -> None:
    sentence = Bridge(model).sentence(PROSE, "so abundant that problem what to omit …", credit=0.0, steering=False,
                                      prepositions=False)
    assert sentence is not None and sentence.endswith("omit…") and "…" not in sentence[:-1], sentence


def test_what_follows_a_note_word_is_its_next_words_up_to_its_own_mark_or_the_end() -> None:
    parts = note_parts("cold kitchen, 17°C — everything slow")
    assert parts is not None
    assert [_following(parts, gap, ".") for gap in range(len(parts))] == [
        " kitchen", ",", " —", " slow", "."]
    assert [_following(parts, gap, ".", words=2) for gap in range(len(parts))] == [
        " kitchen,", ",", " —", " slow.", "."]
    parts = note_parts("concat does all heavy lifting in place")
    assert parts is not None
    assert _following(parts, 2, ".", words=2) == " heavy lifting"


@pytest.mark.model
@pytest.mark.parametrize(("note", "verb"), [("in my real case, I not need anything this sophisticated", "need"),
                                            ("feelings of deference not exist", "exist")])
def test_the_auxiliary_put_before_a_notes_not_is_the_one_its_verb_takes(model: LlamaModel, note: str,
                                                                          verb: str) -> None:
    """Each filling is scored up to the note's next word, so the verb after "not" picks the
    auxiliary: "I did not need", never "I was not need" or the bare "I not need"."""
    sentence = Bridge(model).sentence(PROSE, note, credit=0.0, steering=False, prepositions=False)
    assert sentence is not None
    found = words_of(sentence)
    before = found[found.index("not") - 1]
    assert before in {"do", "does", "did"}, sentence
    assert found[found.index("not") + 1] == verb, sentence


@pytest.mark.model
def test_a_restored_noun_gets_its_article_when_the_next_word_needs_it(model: LlamaModel) -> None:
    """"in error" is likelier than "in an error" until "message" follows: scored with the next
    word, the article comes back."""
    sentence = Bridge(model).sentence(PROSE, "you've likely seen symbol in error message", credit=0.0,
                                      steering=False, prepositions=False)
    assert sentence is not None
    assert re.search(r"\b(an|the|this|that|my) error message\b", sentence), sentence


@pytest.mark.model
def test_a_note_without_an_end_mark_ends_as_the_model_reads_it_a_question_or_a_statement(model: LlamaModel) -> None:
    bridge = Bridge(model)
    question = bridge.sentence(PROSE, "why not repent like Jews do", credit=0.0, steering=False, prepositions=False)
    assert question is not None and question.endswith("?"), question
    statement = bridge.sentence(PROSE, "tried it", credit=0.0, steering=False, prepositions=False)
    assert statement is not None and statement.endswith("."), statement


def test_only_a_model_that_decodes_token_by_token_gets_a_bridge() -> None:
    class TextOnly:  # what a model server offers: text, not tokens (the real one is tested in test_remote)
        decodes_tokens = False

    assert bridge_for(TextOnly()) is None
    assert bridge_for(object()) is None


@pytest.mark.model
def test_a_note_opening_with_not_gets_a_subject_not_a_bare_auxiliary(model: LlamaModel) -> None:
    """Before a note's "not" only an auxiliary may come ("I did not need"); at a statement's
    opening that gave "Is not a strength;", a question's word order. A subject may come first."""
    sentence = Bridge(model).sentence(PROSE, "not strength; form of intellectual cowardice", credit=0.0,
                                      steering=False, prepositions=False)
    assert sentence is not None and sentence.endswith(".")
    first = words_of(sentence)[0].lower()
    assert first not in AUXILIARIES, sentence
    assert first == "not" or first in OPENING_SUBJECTS, sentence
    question = Bridge(model).sentence(PROSE, "not time to go?", credit=0.0, steering=False, prepositions=False)
    assert question is not None and question.endswith("?"), question


class CountingBridge(Bridge):
    """A bridge that counts its gap searches (instrumentation: the model and search are real)."""

    searched = 0

    def _gap(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.searched += 1
        return super()._gap(*args, **kwargs)


@pytest.mark.model
def test_a_first_gap_searched_ahead_of_its_request_is_kept_and_the_sentence_is_the_same(model: LlamaModel) -> None:
    note = "kitchen cold, dough needs longer proof"
    prompt = PROMPT + "It was winter."
    restoring = {"credit": 0.0, "steering": False, "prepositions": False, "alternatives": True}
    expected = Bridge(model).restore(prompt, note, **restoring)  # type: ignore[arg-type]
    assert expected is not None
    bridge = CountingBridge(model)
    bridge.restore(prompt, note, first_gap_only=True, **restoring)  # type: ignore[arg-type]
    assert bridge.searched == 1  # only the first gap, while the writer picks the action
    found = bridge.restore(prompt, note, **restoring)  # type: ignore[arg-type]
    assert found is not None and found.text == expected.text
    assert found.gaps[0].written == expected.gaps[0].written
    assert bridge.searched == len(expected.gaps)  # the request searched every gap but the first
    bridge.restore(prompt + " It was cold.", note, first_gap_only=True, **restoring)  # type: ignore[arg-type]
    assert bridge.searched == len(expected.gaps) + 1  # another paragraph so far: searched afresh
    bridge.restore(prompt, note, first_gap_only=True, steering=True)  # steered by what was written lately
    assert bridge.searched == len(expected.gaps) + 2  # … depends on more than the prompt: never kept
    bridge.restore(prompt, note, first_gap_only=True, steering=True)
    assert bridge.searched == len(expected.gaps) + 3


@pytest.mark.model
def test_a_sentence_read_whole_scores_as_reading_it_token_by_token(model: LlamaModel) -> None:
    bridge = Bridge(model)
    before = bridge.sentence(PROSE, "bulk ferment can take nine hours", credit=0.0, steering=False)
    texts = ["The bulk ferment was slow.", "Bulk ferment slow."]
    scores = bridge.sentence_scores(PROSE, texts)
    for text, score in zip(texts, scores, strict=True):
        expected = 0.0
        with model.decoding(PROSE) as (decoder, after_prompt):
            following = after_prompt
            for token in model.tokenize(" " + text, bos=False):
                expected += float(log_softmax(following)[token])
                following = decoder.feed([token])
        # One batch against one token at a time: llama.cpp's results move with the batching (about
        # 0.1 nats over this sentence); a token scored at the wrong position costs several nats.
        assert score == pytest.approx(expected, abs=0.5)
    assert scores[0] != scores[1]
    # The prompt's cache and the decoder are left as they were: the same restoration again.
    assert bridge.sentence(PROSE, "bulk ferment can take nine hours", credit=0.0, steering=False) == before


@pytest.mark.model
def test_variants_of_the_first_text_are_scored_from_where_they_part_from_it(model: LlamaModel) -> None:
    """A variant shares the first text's opening: only its own part is evaluated again, and its
    score is the one it gets scored alone (partings early, late and at the first word)."""
    bridge = Bridge(model)
    base = "The bulk ferment can take nine hours in a cold kitchen."
    texts = [base, "The bulk ferment can take nine hours in the cold kitchen.",
             "A bulk ferment can take nine hours in a cold kitchen.", "Bulk ferment can take nine hours.",
             "The bulk ferment was slow.", base]
    together = bridge.sentence_scores(PROSE, texts)
    alone = [bridge.sentence_scores(PROSE, [text])[0] for text in texts]
    for text, found, expected in zip(texts, together, alone, strict=True):
        assert found == pytest.approx(expected, abs=0.5), text  # batching moves it a little; a slip, nats
    assert together[0] == together[-1]  # the same text again is not evaluated again
    assert len(set(together)) == len(texts) - 1


@pytest.mark.model
def test_a_sentence_too_long_to_score_at_once_is_a_model_error_and_changes_nothing(model: LlamaModel) -> None:
    bridge = Bridge(model)
    before = bridge.sentence(PROSE, "bulk ferment can take nine hours", credit=0.0, steering=False)
    with pytest.raises(ModelError, match="too long to score"):
        bridge.sentence_scores(PROSE, ["The bulk ferment was slow.", "The dough rose " * 80])
    assert bridge.sentence(PROSE, "bulk ferment can take nine hours", credit=0.0, steering=False) == before
