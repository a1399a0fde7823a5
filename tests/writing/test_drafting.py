"""Specification of choosing among drafts for one note: meaning, then grammar, then prose over
the note given back, then voice."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from penna.writing import grammar
from penna.writing.bridge import ALTERNATIVE_MARGIN, GapChoice, Restoration
from penna.writing.drafting import (
    COMMA_ALLOWANCE,
    ECHO_GRAMMAR,
    OPENER_ALLOWANCE,
    PUT_BACK,
    UNKNOWN_GRAMMAR,
    WHOLE_SENTENCE_MARGIN,
    Assessment,
    alternatives,
    article_put_backs,
    as_sentence,
    assess,
    best,
    clause_put_backs,
    comma_put_backs,
    likelier,
    mend,
    participle_put_backs,
    past_tense_offers,
    subject_put_backs,
)
from penna.writing.tasks import TaskResult, stitched_variant

needs_grammar = pytest.mark.skipif(not grammar.available(), reason="Link Grammar is not installed")
NOTE = "you might be tempted to use flexible array member to pack size and array together as one allocation"


@needs_grammar
def test_a_note_given_back_is_charged_for_the_words_the_parser_does_not_miss() -> None:
    # Link Grammar reads "flexible array member" as a mass noun: the bare note parses cleanly.
    bare = assess(NOTE, as_sentence(NOTE), "note", sources=[], before=[])
    assert bare.unattached == 0 and bare.echo
    assert bare.grammar_rank == ECHO_GRAMMAR
    restored = assess(NOTE, ("You might be tempted to use a flexible array member to pack the size and array "
                                     "together as one allocation."), "restore", sources=[], before=[])
    assert restored.grammar_rank == 0 and not restored.echo
    assert best([bare, restored]) is restored


@needs_grammar
def test_a_restoration_that_needed_no_words_is_not_charged() -> None:
    note = "I tried it."
    found = assess(note, note, "restore", sources=[], before=[])
    assert found.echo and found.grammar_rank == 0


def test_close_voice_scores_are_a_tie_that_the_earlier_draft_wins() -> None:
    note = "its inflexibility not worth whatever benefits it might have"
    first = assess(note, "Its inflexibility is not worth whatever benefits it might have.", "restore",
                   sources=[], before=[], voice=-0.31)
    second = assess(note, "Its inflexibility is not worth whatever the benefits it might have.", "restore",
                    sources=[], before=[], voice=-0.28)
    if first.grammar_rank == second.grammar_rank:
        assert best([first, second]) is first
    far = assess(note, second.text, "restore", sources=[], before=[], voice=0.2)
    assert best([first, far]).text == far.text or far.grammar_rank > first.grammar_rank


# --- mending a restoration with the model's next-best fillings ---------------------------------------
# The restorations are written by hand: the real model cannot be made to propose chosen fillings.
# tests/writing/test_bridge.py checks that the real model's restorations carry such alternatives.
CONTEXT_NOTE = "that, they're held back by small context lengths"


def _restoration(article_loss: float) -> Restoration:
    """ "That, and they're held back by a small context lengths." whose "a" gap could also be empty."""
    return Restoration((
        GapChoice(("That,",)), GapChoice((" and", " they're")), GapChoice((" held",)), GapChoice((" back",)),
        GapChoice((" by",)), GapChoice((" a", " small"), (((" small",), article_loss),)),
        GapChoice((" context",)), GapChoice((" lengths",)), GapChoice((".",)),
    ))


def _judge(text: str) -> Assessment:
    return assess(CONTEXT_NOTE, text, "restore", sources=[], before=[])


@needs_grammar
def test_a_restoration_that_does_not_parse_takes_the_models_next_best_filling_that_does() -> None:
    restoration = _restoration(0.5)
    first = _judge(restoration.text)
    assert first.unattached and not first.keepable
    mended = mend(restoration, first, _judge)
    assert mended is not None and mended.text == "That, and they're held back by small context lengths."
    assert mended.keepable


@needs_grammar
def test_a_filling_the_model_finds_much_less_likely_is_not_taken() -> None:
    restoration = _restoration(ALTERNATIVE_MARGIN + 0.5)
    assert mend(restoration, _judge(restoration.text), _judge) is None


@needs_grammar
def test_a_restoration_that_reads_is_left_alone() -> None:
    restoration = Restoration((GapChoice(("My", " oven")), GapChoice((" runs",)), GapChoice((" hot,",)),
                               GapChoice((" so", " I", " lower"), (((" lower",), 0.1),)), GapChoice((" it",)),
                               GapChoice((".",))))

    def judge(text: str) -> Assessment:
        return assess("my oven runs hot, so lower it", text, "restore", sources=[], before=[])

    first = judge(restoration.text)
    assert first.keepable
    assert mend(restoration, first, judge) is None


def test_a_variant_the_grammar_cannot_judge_does_not_count_as_better() -> None:
    restoration = _restoration(0.5)
    first = assess(CONTEXT_NOTE, restoration.text, "restore", sources=[], before=[])
    first.unattached = 2  # as if the parser had judged it

    def unknown(text: str) -> Assessment:
        found = _judge(text)
        found.unattached = None  # the parser timed out or is not installed
        return found

    assert mend(restoration, first, unknown) is None


# --- the sentences of the other variants: the model's close second opinions ---------------------------
OVEN_NOTE = "my oven runs hot, so lower it"


def _oven(text: str) -> Assessment:
    return assess(OVEN_NOTE, text, "restore", sources=[], before=[])


@needs_grammar
def test_alternatives_are_the_next_best_fillings_that_still_read_likeliest_first() -> None:
    restoration = Restoration((
        GapChoice(("My", " oven")), GapChoice((" runs",)), GapChoice((" hot,",)),
        GapChoice((" so", " I", " lower"), (((" so", " you", " lower"), 0.4), ((" so", " lower"), 0.9))),
        GapChoice((" it",), (((" it", " down"), 0.2),)), GapChoice((".",), (((",",), 0.1),)),
    ))
    chosen = _oven(restoration.text)
    assert chosen.keepable
    found = alternatives(restoration, chosen, _oven, 2)
    # "," for "." changes only a mark; "it down" adds a content word (not in the note); "so lower
    # it" gives the note back bare, which the first draft is not: none of them is offered.
    assert found == ["My oven runs hot, so you lower it."]
    assert not chosen.echo and _oven("My oven runs hot, so lower it.").echo


@needs_grammar
def test_alternatives_start_from_the_mended_sentence_and_none_are_much_less_likely() -> None:
    restoration = _restoration(0.5)
    mended = mend(restoration, _judge(restoration.text), _judge)
    assert mended is not None and mended.switches
    assert alternatives(restoration, mended, _judge, 2) == []  # its one other filling is the one mended away
    far = _restoration(ALTERNATIVE_MARGIN + 0.5)
    assert alternatives(far, _judge(far.text), _judge, 2) == []


def test_a_variant_takes_each_sentences_alternative_and_keeps_the_rest() -> None:
    first = TaskResult("A. B. C.", pieces=["A.", "B.", "C."], alternatives=[["A2."], [], ["C2.", "C3."]])
    assert stitched_variant(first, 1) == ["A2.", "B.", "C2."]
    assert stitched_variant(first, 2) == ["A.", "B.", "C3."]
    assert stitched_variant(first, 3) is None  # no sentence has a third: the variant is sampled instead


# --- an article or auxiliary put back where the model, reading the whole sentence, prefers it ----
def _scores(by_text: dict[str, float]) -> Callable[[Sequence[str]], list[float]]:
    """Log-probabilities as the model would give them, set by hand (the real model's are checked
    in tests/writing/test_bridge.py)."""
    return lambda texts: [by_text.get(text, -50.0) for text in texts]


def _boss(auxiliary_loss: float, other: tuple[str, ...] = (" was", " sent")) -> Restoration:
    """ "Boss sent on a mission." whose gap before "sent" could also hold `other`."""
    return Restoration((GapChoice(("Boss",)), GapChoice((" sent",), ((other, auxiliary_loss),)),
                        GapChoice((" on",)), GapChoice((" a", " mission")), GapChoice((".",))))


def _boss_judge(text: str) -> Assessment:
    return assess("Boss sent on mission", text, "restore", sources=[], before=[])


def test_a_switch_puts_back_a_word_only_when_it_adds_that_word_and_changes_nothing_else() -> None:
    assert _boss(1.0).puts_back((1, 0), PUT_BACK)
    assert not _boss(1.0, (" then", " sent")).puts_back((1, 0), PUT_BACK)  # not an article or auxiliary
    assert not _boss(1.0, (" was", " then", " sent")).puts_back((1, 0), PUT_BACK)  # two words added
    assert not _boss(1.0, (" was",)).puts_back((1, 0), PUT_BACK)  # the note word replaced


@needs_grammar
def test_an_auxiliary_the_model_finds_likelier_in_the_whole_sentence_is_put_back() -> None:
    restoration = _boss(1.5)
    first = _boss_judge(restoration.text)
    scores = _scores({"Boss sent on a mission.": -30.0, "Boss was sent on a mission.": -28.5})
    source, switches = likelier(restoration, first, scores, _boss_judge)
    assert source.switched(switches) == "Boss was sent on a mission."


@needs_grammar
def test_a_likelier_switch_that_adds_anything_else_is_not_offered() -> None:
    restoration = _boss(1.5, (" then", " sent"))
    first = _boss_judge(restoration.text)
    scores = _scores({"Boss sent on a mission.": -30.0, "Boss then sent on a mission.": -20.0})
    assert likelier(restoration, first, scores, _boss_judge) == (restoration, ())


@needs_grammar
def test_a_put_back_only_a_little_likelier_or_an_article_too_costly_while_restoring_is_not_taken() -> None:
    first = _boss_judge(_boss(1.5).text)
    half = -30.0 + WHOLE_SENTENCE_MARGIN / 2
    close = _scores({"Boss sent on a mission.": -30.0, "Boss was sent on a mission.": half})
    assert likelier(_boss(1.5), first, close, _boss_judge)[1] == ()
    # A put-back the search found too costly is not proposed from its alternatives ("dough [is]
    # ready"); only the articles and participles' auxiliaries are offered from outside the search.
    auxiliary = ((" is", " ready"), ALTERNATIVE_MARGIN + 0.5)
    costly = Restoration((GapChoice(("Dough",)), GapChoice((" ready",), (auxiliary,)), GapChoice((".",))))

    def dough(text: str) -> Assessment:
        return assess("dough ready", text, "restore", sources=[], before=[])

    far = _scores({"Dough ready.": -30.0, "Dough is ready.": -20.0})
    assert likelier(costly, dough(costly.text), far, dough)[1] == ()


@needs_grammar
def test_a_likelier_auxiliary_that_loses_a_claim_or_parses_much_worse_is_not_put_back() -> None:
    restoration = _boss(1.5)
    first = _boss_judge(restoration.text)
    scores = _scores({"Boss sent on a mission.": -30.0, "Boss was sent on a mission.": -28.5})

    def claim_lost(text: str) -> Assessment:  # as if the variant had dropped a word of the note
        return assess("Boss sent on secret mission", text, "restore", sources=[], before=[])

    def parses_worse(by: int) -> Callable[[str], Assessment]:
        def judge(text: str) -> Assessment:
            judged = _boss_judge(text)
            judged.unattached = (first.unattached or 0) + (by if text != first.text else 0)
            return judged
        return judge

    assert not claim_lost("Boss was sent on a mission.").verdict.faithful
    assert likelier(restoration, first, scores, claim_lost)[1] == ()
    assert likelier(restoration, first, scores, parses_worse(2))[1] == ()
    # The parser's count is a weak judge of a sentence the model reads as likelier: a word more
    # left unattached does not refuse the put-back.
    assert likelier(restoration, first, scores, parses_worse(1))[1] != ()


@needs_grammar
def test_an_auxiliary_before_a_bare_participle_is_offered_even_where_the_search_never_weighed_it() -> None:
    """"Snake ordered to kill Boss": the search kept no "was" before "ordered"; read whole, the
    model finds "Snake was ordered…" likelier, so it is put back (an offered filling, not one of the
    gap's own alternatives)."""
    bare = Restoration((GapChoice(("Snake",)), GapChoice((" ordered",)), GapChoice((" to",)), GapChoice((" kill",)),
                        GapChoice((" Boss",)), GapChoice((".",))))

    def judge(text: str) -> Assessment:
        return assess("Snake ordered to kill Boss", text, "restore", sources=[], before=[])

    scores = _scores({"Snake ordered to kill Boss.": -30.0, "Snake was ordered to kill Boss.": -27.0,
                      "Snake were ordered to kill Boss.": -33.0})
    source, switches = likelier(bare, judge(bare.text), scores, judge)
    assert source.switched(switches) == "Snake was ordered to kill Boss."
    assert source.text == bare.text  # the restoration itself is unchanged: the filling is an alternative
    unlikely = _scores({"Snake ordered to kill Boss.": -30.0, "Snake was ordered to kill Boss.": -29.5})
    assert likelier(bare, judge(bare.text), unlikely, judge) == (bare, ())


def _offered(*words: str) -> list[str]:
    """The sentences `participle_put_backs` offers for a restoration of one word per gap."""
    restoration = Restoration(tuple(GapChoice((w,)) for w in words))
    found = []
    for gap, fill in participle_put_backs(restoration):
        extended, switch = restoration.offering(gap, fill)
        found.append(extended.switched((switch,)))
    return found


def test_auxiliaries_are_offered_only_before_a_participle_after_a_noun() -> None:
    assert _offered("Boss", " sent", " on", " a", " mission", ".") == [
        "Boss was sent on a mission.", "Boss were sent on a mission.", "Boss is sent on a mission.",
        "Boss are sent on a mission."]
    assert _offered("John", " recruited", " by", " Boss", ".")[0] == "John was recruited by Boss."
    assert _offered("They", " developed", " a", " style", ".") == []  # a pronoun: active past tense
    assert _offered("Boss", " was", " sent", ".") == []  # it has its auxiliary
    assert _offered("I", " bake", " in", " covered", " pot", ".") == []  # after a preposition: an adjective
    assert _offered("Troops", " proceed", ".") == [] and _offered("Our", " creed", ".") == []  # not participles
    assert _offered("Boss", " then", " sent", ".") == []  # after the gap's own small word: "then sent"
    assert _offered("Boss", " sent —", " later", ".")[0] == "Boss was sent — later."  # a mark after it
    assert _offered("Legacy,", " fired", ".") == []  # after a mark: the note's own clause break


def _articles(note: str, *written: str) -> list[str]:
    """The sentences `article_put_backs` offers for a restoration of `written` (one gap each)."""
    restoration = Restoration(tuple(GapChoice(w if isinstance(w, tuple) else (w,)) for w in written))
    found = []
    for gap, fill in article_put_backs(restoration, note.split()):
        extended, switch = restoration.offering(gap, fill)
        found.append(extended.switched((switch,)))
    return found


def test_articles_are_offered_before_a_note_word_that_could_open_a_noun_phrase() -> None:
    offered = _articles("boy named John", "Boy", " named", " John", ".")
    assert offered[:2] == ["A boy named John.", "The boy named John."]  # the opening, in lower case
    assert "A boy a named John." not in offered and all("a John" not in o and "the John" not in o for o in offered)
    make = _articles("make her scapegoat", "Make", " her", " scapegoat", ".")
    assert "Make her a scapegoat." in make and "Make her the scapegoat." in make
    assert "Make the her scapegoat." not in make  # a pronoun is a small word: no article before it
    assert _articles("fired warhead at facility", ("I", " fired"), " warhead", " at", " facility", ".")[:2] == [
        "I fired a warhead at facility.", "I fired the warhead at facility."]
    assert _articles("old oven", "Old", " oven", ".")[0] == "An old oven."  # "an" by the spelling


def test_no_article_where_the_note_word_has_its_determiner_or_is_no_noun() -> None:
    assert all(" size" in o and "the the" not in o and "a the" not in o
               for o in _articles("pack size", "Pack", (" the", " size"), "."))  # "size" has its "the"
    assert _articles("his scapegoat", "His", " scapegoat", ".") == []  # after a possessive
    assert _articles("Boss sent", "Boss", " sent", ".") == []  # a name opens; a participle is no noun
    assert _articles("they developed style", "They", " developed", " style", ".")[-2:] == [
        "They developed a style.", "They developed the style."]  # after "they": no "the developed"
    assert _articles("two hours", "Two", " hours", ".") == []  # after a number
    assert _articles("John's dog", "John's", " dog", ".") == []  # after a possessive
    assert _articles("want to bake", ("I", " want"), " to", " bake", ".") == []  # after "I" and "to"
    assert _articles("it's problem", ("It's",), " problem", ".") == ["It's a problem.", "It's the problem."]
    assert _articles("rules apply", "Rules", " apply", ".")[0] == "The rules apply."  # a plural: only "the"
    assert all(not o.startswith("A rules") for o in _articles("rules apply", "Rules", " apply", "."))


@needs_grammar
def test_several_put_backs_are_taken_one_after_another() -> None:
    """"Boy named John recruited by Boss": "A" and then "was" are each likelier read whole."""
    bare = Restoration((GapChoice(("Boy",)), GapChoice((" named",)), GapChoice((" John",)),
                        GapChoice((" recruited",)), GapChoice((" by",)), GapChoice((" Boss",)), GapChoice((".",))))

    def judge(text: str) -> Assessment:
        return assess("boy named John recruited by Boss", text, "restore", sources=[], before=[])

    scores = _scores({"Boy named John recruited by Boss.": -40.0, "A boy named John recruited by Boss.": -37.0,
                      "Boy named John was recruited by Boss.": -38.0,
                      "A boy named John was recruited by Boss.": -34.0})
    source, switches = likelier(bare, judge(bare.text), scores, judge)
    assert source.switched(switches) == "A boy named John was recruited by Boss."
    assert len(switches) == 2
    # Each put-back must be likelier than the sentence before it, not only than the bare one.
    flat = _scores({"Boy named John recruited by Boss.": -40.0, "A boy named John recruited by Boss.": -37.0,
                    "Boy named John was recruited by Boss.": -38.0, "A boy named John was recruited by Boss.": -36.5})
    source, switches = likelier(bare, judge(bare.text), flat, judge)
    assert source.switched(switches) == "A boy named John recruited by Boss."


# --- a clause's joint put back (E32) --------------------------------------------------------------
def _gapped(*written: str | tuple[str, ...]) -> Restoration:
    return Restoration(tuple(GapChoice(w if isinstance(w, tuple) else (w,)) for w in written))


def _joints(note: str, *written: str | tuple[str, ...], misread: bool = False) -> list[str]:
    """The sentences `clause_put_backs` offers for a restoration of `written` (one gap each)."""
    restoration = _gapped(*written)
    found = []
    for gap, fill in clause_put_backs(restoration, note.split(), (), misread=misread):
        extended, switch = restoration.offering(gap, fill)
        found.append(extended.switched((switch,)))
    return found


SPLICE_NOTE = "real expression wrapped in parentheses, no tokens need to synthesized"
SPLICE = ("The", " real"), (" expression", ), (" is", " wrapped"), (" in",), (" parentheses,",), (" no",), \
    (" tokens",), (" need",), (" to",), (" be", " synthesized"), (".",)


@needs_grammar
def test_a_coordinator_is_offered_where_a_comma_runs_one_clause_into_another() -> None:
    offered = _joints(SPLICE_NOTE, *SPLICE)
    assert "The real expression is wrapped in parentheses, so no tokens need to be synthesized." in offered
    assert {o.split(", ")[1].split()[0] for o in offered} == {"and", "so", "but"}
    # The search may have put an article before the clause's first word: the joint goes before it.
    assert "The kitchen hit 28 degrees, and the dough ran away." in _joints(
        "kitchen hit 28 degrees, dough ran away", ("The", " kitchen"), (" hit",), (" 28",), (" degrees,",),
        (" the", " dough"), (" ran",), (" away",), (".",))


@needs_grammar
def test_no_coordinator_where_the_comma_is_no_run_on() -> None:
    # The part after the comma is no clause ("…, the error message").
    assert _joints("you've seen symbol, the error message", ("You've",), (" seen",), (" the", " symbol,"),
                   (" the",), (" error",), (" message",), (".",)) == []
    # A list: the part before the comma is no clause.
    assert _joints("ethics, aesthetics, spirituality matter", ("Ethics,",), (" aesthetics,",), (" spirituality",),
                   (" matter",), (".",)) == []
    # A subordinate clause first: its comma is the usual one.
    assert _joints("if you bake, you wait", ("If",), (" you",), (" bake,",), (" you",), (" wait",), (".",)) == []
    # The word after the comma opens a clause of its own ("…, which…"), or the search added a word there.
    assert _joints("it runs, which helps", ("It",), (" runs,",), (" which",), (" helps",), (".",)) == []
    assert _joints(SPLICE_NOTE, *SPLICE[:5], (" and", " no"), *SPLICE[6:]) == []


@needs_grammar
def test_a_subject_and_verb_are_offered_at_the_opening_only_of_a_sentence_the_parser_misreads() -> None:
    note = "useful in practice, not when we thinking roughly"
    written = ("Useful",), (" in",), (" practice,",), (" not",), (" when",), (" we",), (" are", " thinking"), \
        (" roughly",), (".",)
    offered = _joints(note, *written, misread=True)
    assert offered[:3] == ["It is useful in practice, not when we are thinking roughly.",
                           "That is useful in practice, not when we are thinking roughly.",
                           "This is useful in practice, not when we are thinking roughly."]
    assert _joints(note, *written) == []  # read as a sentence: nothing offered at the opening
    contracted = Restoration(_gapped(*written).gaps, author_words=("it's", "that's"))
    assert contracted.offering(*clause_put_backs(contracted, note.split(), (), misread=True)[0])[0].switched(
        ((0, 0),)).startswith("It's useful")
    # A word the note capitalises may be a name: no opener puts it mid-sentence, nor lowers it.
    assert _joints("Ambedkar on Muslims", ("Ambedkar",), (" on",), (" Muslims",), (".",), misread=True) == []
    assert _joints("Useful in practice", ("Useful",), (" in",), (" practice",), (".",), misread=True) == []
    # A small word or an added subject gets no opener.
    assert _joints("though article about stuff", ("Though",), (" this", " article"), (" is", " about"), (" stuff",),
                   (".",), misread=True) == []
    assert _joints("tried it", ("I", " tried"), (" it",), (".",), misread=True) == []
    # An article the search put first stays after the opener ("That's the most you can…").
    assert _joints("most you can work with at once", ("The", " most"), (" you",), (" can",), (" work",), (" with",),
                   (" at",), (" once",), (".",), misread=True)[1] == "That is the most you can work with at once."


@needs_grammar
def test_a_joint_is_taken_when_the_model_finds_it_likelier_and_an_opening_only_if_it_mends_the_parse() -> None:
    restoration = _gapped(*SPLICE)
    splice = restoration.text

    def judge(text: str) -> Assessment:
        return assess(SPLICE_NOTE, text, "restore", sources=[], before=[])

    joined = "The real expression is wrapped in parentheses, so no tokens need to be synthesized."
    source, switches = likelier(restoration, judge(splice), _scores({splice: -40.0, joined: -37.0}), judge)
    assert source.switched(switches) == joined
    assert likelier(restoration, judge(splice), _scores({splice: -40.0, joined: -39.5}), judge)[1] == ()

    note = "useful in practice"
    bare = _gapped("Useful", " in", " practice", ".")

    def fragment(text: str) -> Assessment:
        return assess(note, text, "restore", sources=[], before=[])

    assert fragment(bare.text).grammar_rank > 0 and fragment("It is useful in practice.").grammar_rank == 0
    opened = _scores({"Useful in practice.": -30.0, "It is useful in practice.": -27.0})
    source, switches = likelier(bare, fragment(bare.text), opened, fragment)
    assert source.switched(switches) == "It is useful in practice."

    def parses_no_better(text: str) -> Assessment:
        judged = fragment(text)
        judged.unattached = fragment(bare.text).unattached
        return judged

    assert likelier(bare, fragment(bare.text), opened, parses_no_better)[1] == ()
    # Read whole, an opening subject and verb costs its two words: it is taken while it costs less
    # than `OPENER_ALLOWANCE` - 1 nats, where another put-back must be 1 nat likelier.
    costly = _scores({"Useful in practice.": -30.0, "It is useful in practice.": -31.5})
    source, switches = likelier(bare, fragment(bare.text), costly, fragment)
    assert source.switched(switches) == "It is useful in practice."
    too_costly = _scores({"Useful in practice.": -30.0, "It is useful in practice.": -30.0 - OPENER_ALLOWANCE})
    assert likelier(bare, fragment(bare.text), too_costly, fragment)[1] == ()
    assert likelier(restoration, judge(splice), _scores({splice: -40.0, joined: -41.5}), judge)[1] == ()
    # An opener that costs a little is offered again after another put-back is taken.
    article = "Useful in the practice."
    both = _scores({"Useful in practice.": -30.0, article: -28.0, "It is useful in practice.": -31.5,
                    "It is useful in the practice.": -29.5})

    def parses_with_opener(text: str) -> Assessment:
        judged = fragment(text)
        judged.unattached = 0 if text.startswith("It is") else 1
        return judged

    source, switches = likelier(bare, parses_with_opener(bare.text), both, parses_with_opener)
    assert source.switched(switches) == "It is useful in the practice."


def _subjects(note: str, *written: str | tuple[str, ...], author: tuple[str, ...] = ("i", "don't")) -> list[str]:
    """The sentences `subject_put_backs` offers for a restoration of `written`, by an author whose
    frequent words are `author`."""
    restoration = Restoration(_gapped(*written).gaps, author_words=author)
    found = []
    for gap, fill in subject_put_backs(restoration, note.split(), ()):
        extended, switch = restoration.offering(gap, fill)
        found.append(extended.switched((switch,)))
    return found


def test_a_clause_opening_on_a_bare_negation_is_offered_its_subject_back() -> None:
    # At the opening, as the search wrote it bare, or with the "do" of an imperative.
    assert _subjects("not bother with inline", ("Not",), (" bother",), (" with",), (" inline",), (".",)) == [
        "I don't bother with inline.", "I did not bother with inline."]
    assert _subjects("not bother with inline", ("Do", " not"), (" bother",), (" with",), (" inline",), (".",))[0] == \
        "I don't bother with inline."
    # After a comma; "never" needs no "do"; spelt out for an author who does not contract.
    assert _subjects("other than -x, not plan on it", ("Other",), (" than",), (" -x,",), (" do", " not"), (" plan",),
                     (" on",), (" it",), (".",), author=("i",)) == [
        "Other than -x, I do not plan on it.", "Other than -x, I did not plan on it."]
    assert _subjects("never bake on Sundays", ("Never",), (" bake",), (" on",), (" Sundays",), (".",)) == [
        "I never bake on Sundays."]


def test_no_subject_where_the_clause_has_one_or_the_author_never_writes_i() -> None:
    bare = ("Not",), (" bother",), (" with",), (" inline",), (".",)
    assert _subjects("not bother with inline", *bare, author=("we", "don't")) == []
    assert _subjects("not bother with inline", ("They", " do", " not"), (" bother",), (" with",), (" inline",),
                     (".",)) == []
    # Mid-clause, a negation has its subject before it ("the dough is not ready").
    assert _subjects("dough not ready", ("The", " dough"), (" is", " not"), (" ready",), (".",)) == []
    # "does" has a third person's subject left out; "not the clock" is a contrast, not a clause.
    assert _subjects("not work", ("Does", " not"), (" work",), (".",)) == []
    assert _subjects("trust hands, not clock", ("Trust",), (" your", " hands,"), (" not",), (" the", " clock"),
                     (".",)) == []
    assert _subjects("trust hands, not the clock", ("Trust",), (" your", " hands,"), (" not",), (" the",),
                     (" clock",), (".",)) == []


@needs_grammar
def test_a_subject_put_back_is_taken_only_where_the_model_reads_the_sentence_likelier() -> None:
    note = "not bake on Sundays because I rest"
    restoration = Restoration(_gapped(("Not",), (" bake",), (" on",), (" Sundays",), (" because",), (" I",),
                                      (" rest",), (".",)).gaps, author_words=("i", "don't"))

    def judge(text: str) -> Assessment:
        return assess(note, text, "restore", sources=[], before=[])

    bare, subject = restoration.text, "I don't bake on Sundays because I rest."
    source, switches = likelier(restoration, judge(bare), _scores({bare: -40.0, subject: -34.0}), judge)
    assert source.switched(switches) == subject
    # An imperative the model reads as likelier stays one ("e.g. don't write to out parameters").
    assert likelier(restoration, judge(bare), _scores({bare: -40.0, subject: -40.5}), judge)[1] == ()


# --- a word where the note has a comma (E37) -------------------------------------------------------
def _commas(note: str, *written: str | tuple[str, ...]) -> list[str]:
    """The sentences `comma_put_backs` offers for a restoration of `written` (one gap each)."""
    restoration = _gapped(*written)
    found = []
    for fillings in comma_put_backs(restoration, note.split(), ()):
        extended, switches = restoration, ()
        for gap, fill in fillings:
            extended, switch = extended.offering(gap, fill)
            switches = (*switches, switch)
        found.append(extended.switched(switches))
    return found


def _judge_for(note: str) -> Callable[[str], Assessment]:
    """A judge of sentences written for `note`, as drafting judges a restoration's variants."""
    return lambda text: assess(note, text, "restore", sources=[], before=[])


DOUGH_NOTE = "wet dough, more like paste than bread"
DOUGH = ("Wet",), (" dough,",), (" more",), (" like",), (" a", " paste"), (" than",), (" bread",), (".",)
BAKE_NOTE = "bake hot, let rest full day"
BAKE = ("I", " bake"), (" it", " hot,"), (" let",), (" it", " rest"), (" a", " full"), (" day",), (".",)


@needs_grammar
def test_a_verb_is_offered_for_the_comma_after_a_notes_opening_noun_phrase() -> None:
    assert "Wet dough is more like a paste than bread." in _commas(DOUGH_NOTE, *DOUGH)
    assert "Old loaves are more like bricks." in _commas(
        "old loaves, more like bricks", ("Old",), (" loaves,",), (" more",), (" like",), (" bricks",), (".",))


@needs_grammar
def test_and_is_offered_for_the_comma_before_a_clause_with_no_subject_of_its_own() -> None:
    offered = _commas(BAKE_NOTE, *BAKE)
    assert "I bake it hot and let it rest a full day." in offered
    # What comes before the comma is no subject: no "is" ("I bake it hot is let…").
    assert not any(" is " in sentence for sentence in offered)


@needs_grammar
def test_no_verb_for_a_comma_that_opens_a_list_or_an_aside() -> None:
    assert _commas("flour, water, salt", ("Flour,",), (" water,",), (" salt",), (".",)) == []
    aside = _commas("my neighbour, baker, lends me flour", ("My",), (" neighbour,",), (" a", " baker,"),
                    (" lends",), (" me",), (" flour",), (".",))
    # An aside is offered its verb only joined to the predicate after it, which says the same.
    assert aside == ["My neighbour is a baker and lends me flour."]


@needs_grammar
def test_only_the_notes_first_comma_may_become_is_even_after_it_has() -> None:
    note = "wet dough, sticky and heavy, like paste"
    restoration = _gapped(("Wet",), (" dough,",), (" sticky",), (" and",), (" heavy,",), (" like",), (" a", " paste"),
                          (".",))
    [fillings] = [f for f in comma_put_backs(restoration, note.split(), ()) if " is" in f[-1][1]]
    extended, switches = restoration, ()
    for gap, fill in fillings:
        extended, switch = extended.offering(gap, fill)
        switches = (*switches, switch)
    assert extended.switched(switches) == "Wet dough is sticky and heavy, like a paste."
    busy = {gap for gap, _ in switches}
    assert comma_put_backs(extended, note.split(), switches, busy) == []


@needs_grammar
def test_no_word_for_a_comma_after_an_opening_phrase_or_before_a_clause() -> None:
    # An opening phrase, not a noun phrase: "Compared to a human, [is] tiny" is no repair.
    assert _commas("compared to human, tiny", ("Compared",), (" to",), (" a", " human,"), (" tiny",), (".",)) == []
    # What follows the comma opens a phrase or clause of its own, or the search added a word there.
    assert _commas("wet dough, in bowl", ("Wet",), (" dough,",), (" in",), (" the", " bowl"), (".",)) == []
    assert _commas("wet dough, which sticks", ("Wet",), (" dough,",), (" which",), (" sticks",), (".",)) == []
    assert _commas(DOUGH_NOTE, *DOUGH[:2], (" and", " more"), *DOUGH[3:]) == []
    # Not the first comma, or a long opening: no verb.
    assert _commas("in winter, cold kitchen, everything slow", ("In",), (" winter,",), (" a", " cold"),
                   (" kitchen,",), (" everything",), (" is", " slow"), (".",)) == []
    assert _commas("my old cast iron pot, heavy", ("My",), (" old",), (" cast",), (" iron",), (" pot,",),
                   (" heavy",), (".",)) == []
    # A verb and its object before the comma: the parser reads "Wet the dough is good." clean.
    assert not any(" is " in sentence for sentence in _commas(
        DOUGH_NOTE, ("Wet",), (" the", " dough,"), (" more",), (" like",), (" a", " paste"), (" than",), (" bread",),
        (".",)))
    # A number or a name after the comma gets no verb.
    assert _commas("cold kitchen, 17°C", ("A", " cold"), (" kitchen,",), (" 17°C",), (".",)) == []


@needs_grammar
def test_a_word_for_a_comma_is_taken_where_the_model_reads_the_sentence_as_likelier() -> None:
    restoration = _gapped(*DOUGH)
    judge = _judge_for(DOUGH_NOTE)

    first = judge(restoration.text)
    scores = _scores({"Wet dough, more like a paste than bread.": -30.0,
                      "Wet dough is more like a paste than bread.": -26.0})
    taken, switches = likelier(restoration, first, scores, judge)
    assert taken.switched(switches) == "Wet dough is more like a paste than bread."
    unlikely = _scores({"Wet dough, more like a paste than bread.": -30.0,
                        "Wet dough is more like a paste than bread.": -29.5})
    assert likelier(restoration, first, unlikely, judge)[1] == ()


@needs_grammar
def test_has_is_offered_for_the_comma_before_a_notes_no() -> None:
    offered = _commas("rye, no gluten, never rises", ("Rye,",), (" no",), (" gluten,",), (" never",), (" rises",),
                      (".",))
    assert "Rye has no gluten and never rises." in offered
    assert not any(" is " in sentence for sentence in offered)
    # "no gluten" between two commas is a short part: offered only joined to the predicate after it.
    assert "Rye has no gluten, never rises." not in offered
    assert "Rye has no gluten." in _commas("rye, no gluten", ("Rye,",), (" no",), (" gluten",), (".",))


@needs_grammar
def test_and_joins_a_second_predicate_only_with_a_verb_for_the_first_comma() -> None:
    offered = _commas("crust, too pale, needs longer", ("Crust,",), (" too",), (" pale,",), (" needs",),
                      (" longer",), (".",))
    assert "Crust is too pale and needs longer." in offered
    # No "and" without the verb: "Crust, too pale and needs longer." is still a fragment.
    assert "Crust, too pale and needs longer." not in offered
    # A name or a new subject after the second comma is no second predicate of the same subject.
    assert not any(" and " in sentence for sentence in _commas(
        "crust, too pale, oven cold", ("Crust,",), (" too",), (" pale,",), (" oven",), (" cold",), (".",)))


@needs_grammar
def test_the_verb_for_a_comma_is_offered_in_the_past_too_where_the_note_tells_of_the_past() -> None:
    offered = _commas("first loaf, flat as plate yesterday", ("First",), (" loaf,",), (" flat",), (" as",),
                      (" a", " plate"), (" yesterday",), (".",))
    assert {"First loaf is flat as a plate yesterday.", "First loaf was flat as a plate yesterday."} <= set(offered)
    assert not any(" was " in sentence for sentence in _commas(DOUGH_NOTE, *DOUGH))


@needs_grammar
def test_a_comma_between_a_subject_and_its_verb_may_simply_go() -> None:
    offered = _commas("weak dough, spreads flat, no ear", ("Weak",), (" dough,",), (" spreads",), (" flat,",),
                      (" no",), (" ear",), (".",))
    assert "Weak dough spreads flat, no ear." in offered
    # Where the words after the comma do not make a clause with the noun phrase, the comma stays.
    assert "Wet dough more like a paste than bread." not in _commas(DOUGH_NOTE, *DOUGH)


def test_an_added_auxiliary_takes_its_past_form_only_where_the_note_tells_of_the_past() -> None:
    price = _gapped(("The", " price"), (" is", " too"), (" low",), (" last",), (" year",), (".",))
    offers = past_tense_offers(price, "price too low last year".split())
    assert offers == [(1, (" was", " too"))]
    assert past_tense_offers(price, "price too low this year".split()) == []
    raised = _gapped(("I", " raised"), (" it", " and"), (" it", " is"), (" fine",), (".",))
    # Only the words the search added change, never the note's own ("is" here is the note's).
    assert past_tense_offers(raised, "raised and is fine".split()) == []


@needs_grammar
def test_a_word_for_a_comma_is_also_read_without_the_paragraph_so_far() -> None:
    restoration = _gapped(*DOUGH)
    judge = _judge_for(DOUGH_NOTE)

    first = judge(restoration.text)
    bare, verb = "Wet dough, more like a paste than bread.", "Wet dough is more like a paste than bread."
    # After penna's own fragments the verb reads a little less likely; after the author's pairs
    # alone, much likelier: taken.
    in_paragraph, alone = _scores({bare: -30.0, verb: -30.2}), _scores({bare: -30.0, verb: -26.6})
    assert likelier(restoration, first, in_paragraph, judge)[1] == ()
    taken, switches = likelier(restoration, first, in_paragraph, judge, alone=alone)
    assert taken.switched(switches) == verb
    # An article is read in the paragraph only: what was said before decides "a" or "the".
    articled = "The wet dough, more like a paste than bread."
    only_alone = _scores({bare: -30.0, articled: -20.0})
    assert likelier(restoration, first, in_paragraph, judge, alone=only_alone)[1] == ()


@needs_grammar
def test_a_word_for_a_comma_that_mends_a_fragment_may_read_a_little_less_likely() -> None:
    note = "crumb, dense and sour"
    restoration = _gapped(("Crumb,",), (" dense",), (" and",), (" sour",), (".",))
    judge = _judge_for(note)

    bare, verb = "Crumb, dense and sour.", "Crumb is dense and sour."
    first = judge(bare)
    assert first.grammar_rank > judge(verb).grammar_rank  # the parser reads the fragment as one
    near = WHOLE_SENTENCE_MARGIN - COMMA_ALLOWANCE + 0.5
    taken, switches = likelier(restoration, first, _scores({bare: -30.0, verb: -30.0 + near}), judge)
    assert taken.switched(switches) == verb
    far = WHOLE_SENTENCE_MARGIN - COMMA_ALLOWANCE - 0.5
    assert likelier(restoration, first, _scores({bare: -30.0, verb: -30.0 + far}), judge)[1] == ()

    def parses_no_better(text: str) -> Assessment:
        judged = judge(text)
        judged.unattached = first.unattached
        return judged

    # Below the margin, only the parser's reading speaks for it: it must mend.
    assert likelier(restoration, first, _scores({bare: -30.0, verb: -30.0 + near}), parses_no_better)[1] == ()


@needs_grammar
def test_no_verb_for_a_comma_where_it_would_not_make_a_clause() -> None:
    # An adverb's "no", and a verb of the note's own after the comma, take no "has" or "is".
    assert not any(" has " in sentence for sentence in _commas(
        "starter, no longer active", ("Starter,",), (" no",), (" longer",), (" active",), (".",)))
    offered = _commas("dough, never rises", ("Dough,",), (" never",), (" rises",), (".",))
    assert "Dough never rises." in offered and not any(" is " in sentence for sentence in offered)


@needs_grammar
def test_and_joins_no_second_predicate_after_a_plural_whose_verb_reads_like_an_order() -> None:
    assert not any(" and " in sentence for sentence in _commas(
        "ovens, too hot, check temps", ("Ovens,",), (" too",), (" hot,",), (" check",), (" temps",), (".",)))


def test_a_note_tells_of_the_past_by_a_dating_word_or_a_verbs_past_form_not_by_an_adjective() -> None:
    price = _gapped(("The", " price"), (" is", " too"), (" low",), (" last",), (" year",), (".",))
    for past in ("raised it a euro, too low", "she killed it in a week", "forgot to feed, too low",
                 "dropped to 72, too low", "too low a week ago"):
        assert past_tense_offers(price, past.split()), past
    for present in ("seeded loaf, too dense", "malted flour, too sweet", "last fold, too slack",
                    "flour left, too low", "next time, start earlier"):
        assert past_tense_offers(price, present.split()) == [], present


@needs_grammar
def test_a_word_for_a_comma_below_the_margin_is_not_taken_where_the_parser_could_not_judge_it() -> None:
    note = "crumb, dense and sour"
    restoration = _gapped(("Crumb,",), (" dense",), (" and",), (" sour",), (".",))
    judge = _judge_for(note)

    def unjudged(text: str) -> Assessment:
        judged = judge(text)
        judged.unattached = None  # out of time: counted as UNKNOWN_GRAMMAR, which would "mend" a fragment
        return judged

    bare, verb = "Crumb, dense and sour.", "Crumb is dense and sour."
    assert judge(bare).grammar_rank > UNKNOWN_GRAMMAR
    near = _scores({bare: -30.0, verb: -30.0 + WHOLE_SENTENCE_MARGIN - COMMA_ALLOWANCE + 0.5})
    assert likelier(restoration, judge(bare), near, unjudged)[1] == ()


def test_a_note_given_back_spells_its_days_and_months_as_names() -> None:
    assert as_sentence("forgot the salt friday, whole batch") == "Forgot the salt Friday, whole batch."
