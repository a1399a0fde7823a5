"""The stylometric reading of a paragraph that hover and diagnostics show, without a server."""

from __future__ import annotations

from penna.knowledge.style import (
    StyleCounts,
    StyleProfile,
    counts_for_text,
    hint_summary,
    long_sentence_limit,
    note_hints,
    sentence_bounds,
    style_notes,
)

AUTHOR = " ".join(["I walk the dog at seven. It rains, mostly. The heron waits at the weir."] * 20)


def profile() -> StyleProfile:
    return StyleProfile(counts_for_text(AUTHOR))


def test_notes_compare_with_the_author_and_name_generic_phrases() -> None:
    notes = style_notes(profile(), "It is important to note that we delve into the weir at length and with care today.")
    assert notes[0].startswith("Sentences average 17 words, longer than your median of 6.")
    assert any("“delve”" in n and "“it is important to note”" in n for n in notes)
    assert notes[-1].startswith("Style distance from your writing:")


def test_without_a_profile_the_paragraph_still_gets_its_own_figures() -> None:
    notes = style_notes(None, "We delve into it. Then we stop.")
    assert notes[0] == "Sentences average 4 words."
    assert any("delve" in n for n in notes) and "still being built" in notes[-1]


def test_long_sentences_need_enough_of_the_authors_writing() -> None:
    assert long_sentence_limit(None) is None
    assert long_sentence_limit(StyleProfile(StyleCounts())) is None
    limit = long_sentence_limit(profile())
    assert limit is not None and 5 < limit < 40


def test_sentence_bounds_find_the_sentence_around_a_phrase() -> None:
    line = "First one. Today I want to delve into why the heron never hurries. It stands there."
    start = line.index("delve into")
    begin, end = sentence_bounds(line, start, start + len("delve into"))
    assert line[begin:end] == "Today I want to delve into why the heron never hurries."
    bullet = "- we delve into the fog"
    begin, end = sentence_bounds(bullet, 5, 15)
    assert bullet[begin:end] == "we delve into the fog"


def test_hints_label_their_phrase_and_point_at_its_sentence() -> None:
    text = "# Note\n\nShort one. Today I want to delve into the weir. Done.\n\n- a list that delves into nothing\n"
    hints = note_hints(profile(), text)
    generic = [h for h in hints if h.code == "generic-phrase"]
    assert [h.label for h in generic] == ["Replace 'delve' in my voice", "Replace 'delves' in my voice"]
    line = text.split("\n")[generic[0].line]
    assert line[generic[0].sentence_start:generic[0].sentence_end] == "Today I want to delve into the weir."
    long_line = "This " + "very " * 60 + "long sentence goes on."
    off = [h for h in note_hints(profile(), f"# N\n\n{long_line}\n") if h.code == "off-style"]
    assert off and off[0].label.startswith("Shorten this 65-word sentence")
    assert [h.label for h in note_hints(profile(), text, first_line=4)] == ["Replace 'delves' in my voice"]


def test_the_hover_summary_is_one_line() -> None:
    hints = note_hints(profile(), "# N\n\nWe delve into it. It is a testament to rain.\n")
    summary = hint_summary(hints)
    assert summary.startswith("2 style hints here; the first: “delve”") and "\n" not in summary
    assert hint_summary([]) == ""


def test_a_generic_phrase_the_author_writes_is_theirs() -> None:
    """"robust" is generic AI phrasing, but not for an author whose own notes use it: it is neither
    flagged nor named in the hover, and the message says only what the author's writing shows."""
    robust_author = StyleProfile(counts_for_text(" ".join([AUTHOR] * 10)
                                                 + " The heron is robust. A robust weir holds. We delve once."))
    assert robust_author.writes("robust") and robust_author.writes("Robust") and not robust_author.writes("delve")
    assert robust_author.own_phrases() == frozenset({"robust"})
    # Twice in a long archive is a slip, not a habit: at least once per 50,000 words.
    archive = StyleProfile(counts_for_text(" ".join([AUTHOR] * 400) + " The heron is robust. A robust weir holds."))
    assert archive.counts.words > 100_000 and not archive.writes("robust")
    text = "# N\n\nA robust plan. We delve into it. It plays a crucial role.\n"
    messages = [h.message for h in note_hints(robust_author, text) if h.code == "generic-phrase"]
    assert messages == ["“delve” is generic AI phrasing; you seldom write it.",
                        "“plays a crucial role” is generic AI phrasing; you never write it."]
    assert next(h.message for h in note_hints(None, text)) == "“robust” is generic AI phrasing."
    # Too little of the author's writing to say "never" (the style card's "Never uses" waits as long).
    assert [h.message for h in note_hints(profile(), text)][2] == "“plays a crucial role” is generic AI phrasing."
    assert not any("robust" in n for n in style_notes(robust_author, "A robust plan holds the weir up well."))
    assert any("“robust”" in n for n in style_notes(profile(), "A robust plan holds the weir up well."))
