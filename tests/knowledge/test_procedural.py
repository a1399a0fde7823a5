"""Specification of procedural knowledge: style and exemplars come from written material only."""

from __future__ import annotations

from pathlib import Path

from helpers import write

from penna.config import Settings
from penna.engine import Engine
from penna.knowledge.procedural import ProfileCache, select_exemplars, style_card
from penna.knowledge.style import StyleCounts, counts_for_text

CLIPPING_MARK = "zyzzyva"  # a word that appears only in read material


def test_clipping_text_never_reaches_profile_or_exemplars(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    words_before = engine.profile().words
    clip = (f"The {CLIPPING_MARK} fermentation literature suggests many things about bread and dough; "
            f"the {CLIPPING_MARK} method uses a cold kitchen and slow dough. ") * 4
    write(sample_vault, "Clippings/Zyzzyva.md", f"---\nsource: https://x\n---\n{clip}\n")
    write(sample_vault, "Notes/Quoted.md", f"I liked this.\n\n> {clip}\n")
    engine.sync()
    profile = engine.profile()
    assert profile.words == words_before + 3  # only "I liked this." is the author's
    assert CLIPPING_MARK not in " ".join(profile.phrases)
    for (style,) in engine.index.conn.execute("SELECT style FROM notes WHERE style IS NOT NULL"):
        assert CLIPPING_MARK not in style
    exemplars = select_exemplars(engine.index, profile, [CLIPPING_MARK, "dough", "cold"], count=10)
    assert exemplars and all(CLIPPING_MARK not in item.text for item in exemplars)
    assert all(item.origin == "written" for item in exemplars)


def test_style_card_reports_the_authors_habits(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    card = "\n".join(style_card(engine.profile()))
    assert "Sentences: median" in card and "em dash" in card and "semicolon" in card


def test_profile_is_cached_until_written_material_changes(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    cache = ProfileCache()
    first = cache.get(engine.index)
    assert cache.get(engine.index) is first
    write(sample_vault, "Notes/More.md", "Another note of mine. It has two sentences.\n")
    engine.sync()
    assert cache.get(engine.index) is not first


def test_counts_are_additive() -> None:
    a, b = counts_for_text("One short line. Another one here!"), counts_for_text("I think so; don't you?")
    total = StyleCounts()
    total.merge(a)
    total.merge(b)
    assert total.words == a.words + b.words and total.sentences == 3
    assert total.punctuation["semicolon"] == 1 and total.contractions == 1 and total.hedges == 1


def test_word_profile_measures_the_authors_small_words() -> None:
    import random

    from penna.knowledge.style import WordProfile
    from penna.vault.text import words

    pool = ["I think it's fine.", "I don't mind the cold, and I like the wait.", "It's slow, but I like it.",
            "I don't rush the dough; the dough rushes me.", "I bake when I can.", "It's never the same twice."]
    notes = [words(" ".join(random.Random(n).choices(pool, k=60))) for n in range(6)]
    profile = WordProfile.fit(notes)
    assert profile is not None and profile.vocabulary[0] == "i"
    assert profile.distance("I don't mind it; I like the cold.") < profile.distance(
        "Furthermore, one observes that temperature influences fermentation kinetics.")
    assert WordProfile.fit([words("too short")] * 5) is None  # notes under 300 words say too little


def test_exemplars_may_hold_generic_phrases_the_author_writes(sample_vault: Path) -> None:
    """A paragraph of the author's that says "robust", as their notes often do, is their voice; one
    that says "delve", which they never write, is not taken as an exemplar."""
    robust = ("The levain is robust by morning, and a robust levain forgives a cold kitchen. "
              "I feed it twice when the kitchen is cold, and the crumb shows it. Nothing about it is fast, "
              "and I like it that way.")
    delve = ("Today we delve into the crumb of a cold loaf and what it says. "
             "The crumb is tight when the kitchen is cold, and I bake it anyway. Nothing about it is fast, "
             "and I like it that way.")
    write(sample_vault, "Notes/Robust.md", f"# Robust\n\n{robust}\n\nA robust crust again, as usual.\n")
    write(sample_vault, "Notes/Delve.md", f"# Delve\n\n{delve}\n")
    engine = Engine(sample_vault, Settings())
    engine.sync()
    profile = engine.profile()
    assert profile.style.writes("robust") and not profile.style.writes("delve")
    texts = [item.text for item in select_exemplars(engine.index, profile, ["crumb", "cold", "kitchen", "levain"],
                                                    count=20)]
    assert any(text.startswith("The levain is robust") for text in texts)
    assert not any(text.startswith("Today we delve") for text in texts)
