"""The indexer's fast paths give exactly what the plain code gave.

Indexing skips work it can prove useless (a regex whose literal characters are absent, a
paragraph without any generic phrase, a symlink check with no symlink on the way). Each oracle
below is the plain code as it was before those shortcuts; the fast code must agree with it on
fuzzed Markdown-ish text, on every passage of a synthetic vault, and on the stored style counts.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from penna.bench.synthetic import generate_vault
from penna.knowledge import style
from penna.knowledge.indexer import style_of
from penna.knowledge.style import (
    FIRST_PERSON,
    HEDGES,
    MAX_SENTENCE_BUCKET,
    PUNCTUATION,
    SPELLING_STEMS,
    StyleCounts,
    find_generic_phrases,
    function_word_set,
    generic_phrases,
)
from penna.vault import text as vtext
from penna.vault.files import NotANote, locate
from penna.vault.note import load_note

EXAMPLES = int(os.environ.get("PENNA_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that trigger each shortcut's pattern (and its near misses), in ASCII and beyond it.
PIECES = ["`", "``", "[[", "]]", "![[", "|", "#", "](", "][", "[^", "[^1]: ", "<", "<b>", "</i>", "^", " ^id",
          "*", "**", "_", "__", "~~", "==", "  ", "\t", "\n", "\n\n", ". ", "! ", "? ", "… ", "...", "--", " -- ",
          "—", ";", ":", "://", "(", ")", '"', "“", "”", "'", "’", "e.g. ", "I think ", "i guess ", "sort of ",
          "maybe maybe ", "Colour ", "color ", "organise", "Organize", "centre", "theater", "It's important to note",
          "DELVE", "delves", "certainly!", "Certainly!'", "game-changer", "let's dive in", "leverage", "leveraged",
          "\u017feamlessly", "K", "İ", "é", "ß", "Σ", "word", "Words", "don't", "3rd", "x_y", "A", "The ", "He said. "]
prose = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=50).map("".join)


# --- the oracles: the code before the shortcuts --------------------------------------------------
def plain_text_oracle(markdown_inline: str) -> str:
    text = vtext.INLINE_CODE.sub(lambda m: m.group(0).strip("`"), markdown_inline)
    text = vtext.WIKILINK.sub(lambda m: "" if m.group(1) else vtext.wikilink_display(m.group(2)), text)
    text = vtext.MD_LINK.sub(lambda m: m.group(1), text)
    text = vtext.REFERENCE_LINK.sub(lambda m: m.group(1), text)
    text = vtext.FOOTNOTE_REF.sub("", re.sub(r"^\[\^[^\]\n]+\]:\s*", "", text))
    text = vtext.HTML_TAG.sub("", text)
    text = vtext.BLOCK_ID.sub("", text)
    for _ in range(3):
        new = vtext.EMPHASIS.sub(lambda m: m.group(2), text)
        if new == text:
            break
        text = new
    return re.sub(r"[ \t]+", " ", text).strip()


def words_oracle(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in vtext.WORD.findall(text)]


def tags_oracle(text: str) -> list[str]:
    return [t.rstrip("/") for t in vtext.TAG.findall(vtext.INLINE_CODE.sub(" ", text))]


def sentences_oracle(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    merged: list[str] = []
    for piece in vtext.SENTENCE_END.split(text):
        last_word = merged[-1].rstrip(".").rsplit(" ", 1)[-1].lower() if merged else ""
        if merged and (last_word in vtext.ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word)):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return [s.strip() for s in merged if s.strip()]


def add_sentence_oracle(counts: StyleCounts, sentence: str) -> None:
    tokens = words_oracle(sentence)
    if not tokens:
        return
    counts.sentences += 1
    counts.words += len(tokens)
    counts.sentence_lengths[min(len(tokens), MAX_SENTENCE_BUCKET)] += 1
    vocabulary = function_word_set()
    counts.function_words.update(t for t in tokens if t in vocabulary)
    for name, pattern in PUNCTUATION.items():
        counts.punctuation[name] += len(pattern.findall(sentence))
    counts.contractions += sum(1 for t in tokens if "'" in t)
    counts.first_person += sum(1 for t in tokens if t in FIRST_PERSON)
    lowered = " " + " ".join(tokens) + " "
    counts.hedges += sum(lowered.count(f" {h} ") for h in HEDGES)
    for stem in SPELLING_STEMS.findall(sentence.lower()):
        if re.search(r"our|is|re$", stem):
            counts.british += 1
        else:
            counts.american += 1
    counts.generic.update(m.group(0).lower() for m in find_generic_phrases(sentence))


def counts_oracle(paragraphs: list[str]) -> StyleCounts:
    counts = StyleCounts()
    for paragraph in paragraphs:
        found = sentences_oracle(paragraph)
        if not found:
            continue
        counts.paragraphs += 1
        counts.paragraph_sentences[min(len(found), 20)] += 1
        for sentence in found:
            add_sentence_oracle(counts, sentence)
    return counts


def fast_counts(paragraphs: list[str]) -> StyleCounts:
    counts = StyleCounts()
    for paragraph in paragraphs:
        counts.add_paragraph(paragraph)
    return counts


def same_counts(fast: StyleCounts, slow: StyleCounts) -> None:
    # JSON text, key order included: the index stores it and compares it to bump the profile's version.
    assert json.dumps(fast.to_json()) == json.dumps(slow.to_json())


# --- fuzzed text ----------------------------------------------------------------------------
@FUZZ
@given(prose)
@example("a  b\tc *d* `e` [[f|g]] [h](i) [j][k] [^l] <m> n ^o #p/")
@example("İstanbul’s \u017feamless \u212a don’t")
def test_plain_text_words_and_tags_match_the_plain_code(text: str) -> None:
    assert vtext.plain_text(text) == plain_text_oracle(text)
    assert vtext.words(text) == words_oracle(text)
    assert vtext.tags_in(text) == tags_oracle(text)


@FUZZ
@given(prose)
@example("Dr. Who? e.g. this. A b. c d.\u00a0E\u2028f\x1cG  h\u3000I.")
def test_sentences_match_the_plain_code(text: str) -> None:
    assert vtext.sentences(text) == sentences_oracle(text)


@FUZZ
@given(st.lists(prose, min_size=1, max_size=4))
@example(["I think, maybe maybe, it's a game-changer; e.g. Certainly!' Colour -- colour: http://x (sic)..."])
@example(["42. Well -- I think... so. 7!", "", "word--word. \u201cQuote\u201d -- x; I. Think so: a://b"])
def test_style_counts_match_the_plain_code(paragraphs: list[str]) -> None:
    same_counts(fast_counts(paragraphs), counts_oracle(paragraphs))


@FUZZ
@given(prose)
def test_punctuation_counts_are_the_patterns_counts(sentence: str) -> None:
    assert style.punctuation_counts(sentence) == [(name, len(p.findall(sentence))) for name, p in PUNCTUATION.items()]


def test_the_generic_quick_test_is_exact_for_the_shipped_phrases() -> None:
    """Every shipped phrase is lower-case ASCII with no sentence punctuation before its end, so
    the quick test is used, and it lets each phrase (in any case) through."""
    assert style._generic_literals() is not None
    for phrase in generic_phrases():
        assert style._may_hold_generic(f"Well. {phrase.upper()} — and so on.")


PHRASE_PIECES = [p[:n] for p in generic_phrases() for n in (1, 3, len(p) - 1, len(p))] + [" ", "s", "x", "'"]


@FUZZ
@given(st.lists(st.sampled_from(PHRASE_PIECES), max_size=20).map("".join))
@example("it is important to notdelvesgame-change")
def test_the_generic_literals_trie_finds_what_the_plain_alternation_finds(text: str) -> None:
    plain = re.compile("|".join(re.escape(p) for p in generic_phrases()))
    fast = style._generic_literals()
    assert fast is not None
    assert (fast.search(text) is None) == (plain.search(text) is None)
    assert all(fast.fullmatch(p) for p in generic_phrases())


def generic_pattern_oracle() -> re.Pattern[str]:
    # A phrase's apostrophe matches a curly one too ("it’s worth noting").
    alternatives = sorted((re.escape(p).replace("'", "['’]") for p in generic_phrases()), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])", re.IGNORECASE)


@FUZZ
@given(st.one_of(prose, st.lists(st.sampled_from([*PHRASE_PIECES, "DELVE", "\u017feamlessly", "K", "-"]),
                                 max_size=20).map("".join)))
@example("She delves; it's worth noting—Moreover, in the realm of: in summary")
@example("’It's important to note, and it’s worth noting")
def test_generic_phrases_are_found_as_the_longest_first_alternation_found_them(text: str) -> None:
    assert ([m.span() for m in find_generic_phrases(text)]
            == [m.span() for m in generic_pattern_oracle().finditer(text)])


# --- a synthetic vault: every passage, every note's stored counts ----------------------------
@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fastpaths")
    generate_vault(root, 150, seed=7)
    return root


def test_a_synthetic_vault_is_read_and_counted_as_the_plain_code_does(vault: Path) -> None:
    notes = 0
    for path in sorted(vault.rglob("*.md")):
        rel = path.relative_to(vault).as_posix()
        note = load_note(rel, path.read_text(encoding="utf-8"), ("Clippings",))
        for block in note.parsed.blocks:
            if block.kind == "paragraph":
                raw = " ".join(line.strip() for line in block.raw.split("\n"))
                assert block.text == plain_text_oracle(raw)
        paragraphs = [p.text for p in note.passages if p.origin == "written" and p.kind == "paragraph"]
        stored = style_of(note)
        if stored is not None:
            oracle = counts_oracle(paragraphs)
            oracle.list_items = stored.list_items
            same_counts(stored, oracle)
            notes += 1
    assert notes > 50


def test_locate_refuses_a_symlink_out_of_the_vault_and_accepts_one_inside(tmp_path: Path) -> None:
    root, outside = tmp_path / "vault", tmp_path / "outside"
    (root / "dir").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text("x", encoding="utf-8")
    (root / "dir" / "plain.md").write_text("x", encoding="utf-8")
    (root / "dir" / "out.md").symlink_to(outside / "secret.md")
    (root / "linkdir").symlink_to(outside)
    (root / "in.md").symlink_to(root / "dir" / "plain.md")
    assert locate(root, "dir/plain.md") == root / "dir" / "plain.md"
    assert locate(root, "in.md") == root / "in.md"
    for escaping in ("dir/out.md", "linkdir/secret.md", "dir/../../outside/secret.md"):
        with pytest.raises(NotANote):
            locate(root, escaping)


def test_counter_order_is_kept() -> None:
    """The fast code fills the counters in the same order (the stored JSON keeps it)."""
    fast = fast_counts(["I think; it's fine — maybe. Colour (and color)!"])
    assert list(fast.punctuation) == list(PUNCTUATION)
    assert isinstance(fast.function_words, Counter)


def test_the_generic_quick_test_lets_non_ascii_text_through_as_the_full_pattern_would() -> None:
    """Beyond ASCII the quick test matches in any case, as the full pattern does: the long s
    (U+017F) matches s under IGNORECASE, though its lower() is itself."""
    phrase = next(p for p in generic_phrases() if "s" in p)
    odd = phrase.replace("s", "\u017f", 1)
    assert style.find_generic_phrases(f"Café. {odd}.")
    assert style._may_hold_generic(f"Café. {odd}.")
    assert not style._may_hold_generic("Café au lait, naïvely.")
