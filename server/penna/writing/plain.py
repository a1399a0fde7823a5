"""Plain words for generic ones: the edits a writer makes to prose that sounds machine-made.

Each generic phrase (penna/data/generic_phrases.txt) has a plain replacement here, or is
dropped when it only pads ("it is important to note that", "In today's fast-paced world,").
These edits keep the claim and change nothing else in the sentence, so a rephrase or a quick
fix that applies them can never hand back worse text than it was given; a sentence the edit
would leave broken is left as it was (`edit_sentence` checks the grammar where it can).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from penna.knowledge.style import find_generic_phrases, phrase_key
from penna.writing import grammar

# phrase (lower case, as in the phrase list) → replacement ("" drops it)
PLAIN: dict[str, str] = {
    "delve into": "dig into", "delves into": "digs into", "delving into": "digging into",
    "delve": "dig", "delves": "digs", "delving": "digging",
    "rich tapestry": "mix", "tapestry": "mix",
    "it's important to note that": "", "it is important to note that": "",
    "it's important to note": "", "it is important to note": "",
    "it's worth noting that": "", "it is worth noting that": "", "it's worth noting": "", "it is worth noting": "",
    "in today's fast-paced world": "", "in today's digital age": "",
    "in the realm of": "in", "a testament to": "proof of",
    "navigate the complexities of": "deal with", "navigate the complexities": "deal with",
    "the intricacies of": "the details of",
    "plays a crucial role": "matters", "plays a vital role": "matters", "a pivotal role": "a big part",
    "in conclusion": "", "in summary": "", "furthermore": "also", "moreover": "also",
    "embark on a journey": "set out", "unlock the potential of": "make the most of",
    "unlock the potential": "make the most of it", "unleash the power of": "use",
    "unleash the power": "use the strength",
    "seamlessly": "", "leverage": "use", "harness the power of": "use", "harness the power": "use the strength",
    "game-changer": "big change", "ever-evolving": "changing", "ever-changing landscape": "changing field",
    "vibrant": "lively", "bustling": "busy", "nestled": "set", "foster": "encourage", "multifaceted": "complex",
    "holistic": "whole", "robust": "solid", "paradigm shift": "big change", "at the end of the day": "in the end",
    "when it comes to": "with", "dive into": "look at", "deep dive": "close look", "let's dive in": "",
    "a myriad of": "many", "plethora of": "lot of", "a plethora of": "a lot of", "plethora": "lot",
    "elevate": "lift", "elevating": "lifting", "resonate": "ring true", "showcasing": "showing",
    "underscores": "shows", "meticulous": "careful", "meticulously": "carefully", "commendable": "good",
    "invaluable": "very useful", "transformative": "big", "cutting-edge": "new",
    "i hope this helps": "", "as an ai": "", "certainly!": "",
    "in order to": "to", "in order for": "for", "additionally": "also",
    "utilize": "use", "utilizes": "uses", "utilized": "used", "utilizing": "using", "utilization": "use",
    "it is crucial to": "you need to", "it's crucial to": "you need to",
    "it is essential to": "you need to", "it's essential to": "you need to",
    "a significant amount of": "a lot of", "a wide range of": "many", "a wide variety of": "many kinds of",
    "it should be noted that": "", "it should be noted": "", "needless to say": "",
    "serves as a testament to": "shows", "in the world of": "in", "subsequently": "then",
    "nuanced": "subtle", "pivotal": "key", "play a crucial role": "matter", "play a vital role": "matter",
}
# Edits that read right only before the words they usually precede ("it should be noted[,] that"):
# made only where the parser can check them.
NEEDS_GRAMMAR = frozenset({"it should be noted that", "it should be noted"})
# "it is crucial to [verb]" → "you need to [verb]"; before these it is "crucial to the plan", left as it is.
NOT_A_VERB = frozenset("the a an this that these those my your his her its our their any some every each all both "
                       "no me you him us them it".split())
VOWEL_SOUND = re.compile(r"^(?:[aeio]|u(?!ni|se|s[aeiou]))", re.IGNORECASE)


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    # Longest first; a phrase's apostrophe matches a curly one too ("it’s worth noting").
    alternatives = sorted((re.escape(p).replace("'", "['’]") for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(alternatives) + r")(?![\w'’-])", re.IGNORECASE)


ALL = _pattern(PLAIN)


def replacement(phrase: str) -> str | None:
    return PLAIN.get(phrase.lower().replace("’", "'"))


def _match_case(original: str, plain: str) -> str:
    return plain[:1].upper() + plain[1:] if plain and original[:1].isupper() else plain


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*([,;:.!?])", r"\2", text)  # "X, , Y" and "X,." left by a dropped phrase
    text = re.sub(r"^[\s,;:]+", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip()
    text = re.sub(r"\b([Aa])n? (\w)", lambda m: _article(m.group(1), m.group(2)), text)
    return text[:1].upper() + text[1:] if text else text


def _article(a: str, first_letter: str) -> str:
    article = "an" if VOWEL_SOUND.match(first_letter) else "a"
    return (article.capitalize() if a.isupper() else article) + " " + first_letter


def plain_edit(sentence: str, phrases: Iterable[str] | None = None, *, keep: Collection[str] = ()) -> str:
    """`sentence` with its generic phrases (all, or only `phrases`) replaced by plain words,
    except those the author writes themselves (`keep`: phrases of the list, as
    `StyleProfile.own_phrases` gives them; keeping "delve" keeps "delve into", not "delves")."""
    own = {phrase_key(phrase) for phrase in keep}
    pattern = ALL if phrases is None else _pattern(p.lower() for p in phrases if replacement(p) is not None)
    if phrases is not None and not any(replacement(p) is not None for p in phrases):
        return sentence
    starts_sentence = sentence[:1].isupper()

    def swap(match: re.Match[str]) -> str:
        listed = [phrase_key(m.group(0)) for m in find_generic_phrases(match.group(0))]
        after = sentence[match.end():].split()[:1]
        if (listed and all(phrase in own for phrase in listed)) or (
                match.group(0).lower().endswith(" to") and after and after[0].lower().strip(",;:") in NOT_A_VERB):
            return match.group(0)
        plain = replacement(match.group(0)) or ""
        return _match_case(match.group(0), plain) if plain else ""

    edited = pattern.sub(swap, sentence)
    if edited == sentence:
        return sentence
    edited = re.sub(r"^(\s*)that\s+", r"\1", edited) if not sentence.lower().startswith("that") else edited
    edited = _tidy(edited)
    if not starts_sentence and edited:
        edited = edited[0].lower() + edited[1:]
    return edited


def edit_sentence(sentence: str, phrases: Iterable[str] | None = None, *, keep: Collection[str] = ()) -> str:
    """`plain_edit`, kept only if the grammar does not get worse (unknown grammar: kept, but the
    edits in `NEEDS_GRAMMAR` are then not made)."""
    if not grammar.available():
        keep = {*keep, *NEEDS_GRAMMAR}
    edited = plain_edit(sentence, phrases, keep=keep)
    if edited == sentence or not edited:
        return sentence
    before, after = grammar.unattached(sentence), grammar.unattached(edited)
    if before is not None and after is not None and after > before:
        return sentence
    return edited
