"""Specification of how the author's exemplars read to the model: notes→text pairs."""

from __future__ import annotations

from penna.context.render import PAIRS_PER_EXEMPLAR, demo_pairs, render_exemplar, render_section

A = ("The levain rose overnight. The kitchen stayed cold. The dough took nine hours. "
     "The crust came out dark. Nobody complained.")
B = "Scoring needs a sharp blade. A dull one drags the skin. I keep mine in a cork."


def _texts(rendered: str) -> list[str]:
    return [line.removeprefix("Text: ") for line in rendered.splitlines() if line.startswith("Text: ")]


def test_an_exemplar_shows_only_its_first_sentences_as_pairs() -> None:
    rendered = render_exemplar(A)
    assert _texts(rendered) == ["The levain rose overnight.", "The kitchen stayed cold.", "The dough took nine hours."]
    assert rendered.startswith("Notes: levain rose overnight\nText: The levain rose overnight.")
    assert len(_texts(rendered)) == PAIRS_PER_EXEMPLAR


def test_neighbouring_pairs_come_from_different_paragraphs() -> None:
    section = render_section("procedural", ["- Sentences: short.", render_exemplar(A), render_exemplar(B)])
    texts = _texts(section)
    assert texts[:4] == ["The levain rose overnight.", "Scoring needs a sharp blade.", "The kitchen stayed cold.",
                         "A dull one drags the skin."]
    assert section.index("## How I write") < section.index("## Notes I turned into prose")


def test_the_demonstration_uses_sentences_the_prefix_did_not_show() -> None:
    shown = set(_texts(render_exemplar(A)) + _texts(render_exemplar(B)))
    demo = _texts(demo_pairs([A, B]))
    assert demo == ["The crust came out dark.", "Nobody complained."]
    assert not shown & set(demo)
    assert _texts(demo_pairs([B])) == ["I keep mine in a cork."]  # nothing unseen left: the last pair again


def test_reference_links_read_as_their_text() -> None:
    rendered = render_exemplar("The [draft for C99][draft] is free. I use it [daily][].")
    assert "[" not in rendered and "Text: The draft for C99 is free." in rendered


def test_the_document_header_names_the_author_only_when_known() -> None:
    from penna.context.render import document_header

    assert document_header("Maren Holt") == "# The notebook of Maren Holt\n\n"
    assert document_header("the author") == "# My notebook\n\n"  # no name known: no "notebook of the author"
