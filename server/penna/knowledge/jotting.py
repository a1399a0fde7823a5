"""A sentence → the note a writer would have jotted before writing it.

Writers' notes are not lists of keywords. They keep phrases: a verb with its object and
particle ("start the levain the night before" → "start levain night before"), prepositions,
negations, numbers and names; they drop what the sentence needs only to be a sentence: articles,
the auxiliaries and copulas, a leading "I", hedges and the connectives that open a clause.

`jot` is used twice: the prompt's pairs show the model how this author turns such notes into
sentences, and `penna eval voice` derives natural bullets from held-out paragraphs with it.
Deterministic, and it reads only the sentence it is given.
"""

from __future__ import annotations

import re

ARTICLES = frozenset({"a", "an", "the"})
COPULAS = frozenset("am is are was were be been being".split())
PERFECT = frozenset({"have", "has", "had"})
DO = frozenset({"do", "does", "did"})
SUBJECTS = frozenset({"i", "we"})
# A clause's subject and its auxiliary in one word: notes keep neither.
SUBJECT_CONTRACTIONS = frozenset(
    "i'm i've i'd i'll we're we've we'd we'll it's that's there's here's what's let's".split())
HEDGE_WORDS = frozenset("perhaps maybe probably possibly arguably somewhat basically actually really "
                        "just quite simply".split())
HEDGE_PHRASES = ("i think", "i guess", "i suppose", "i believe", "i feel like", "it seems", "sort of", "kind of",
                 "of course", "in fact", "for example", "for instance")
OPENERS = frozenset("however so but and also then thus therefore still yet anyway besides instead "
                    "otherwise meanwhile moreover furthermore indeed plus".split())
MODALS = frozenset("can could may might must should shall will would".split())
BRACKETS = frozenset("()[]{}\"“”‘’'")
TOKEN = re.compile(r"[\w°%$€£.'’/+-]+|[,;:—–]|\S")
ENDS = ".!?…\"'”’)]"
CLAUSE_MARKS = frozenset({",", ";", ":", "—", "–"})
# "have" before a past participle is an auxiliary ("have tested"); notes drop it.
PARTICIPLE = re.compile(r"\w+(?:ed|en|wn|ne|ht|ung|ook|ade|ent|one|ot|ld)")


def _words_of(token: str) -> str:
    return token.lower().replace("’", "'")


def _without_hedge_phrases(text: str) -> str:
    lowered = " " + text.lower().replace("’", "'") + " "
    for phrase in HEDGE_PHRASES:
        lowered_phrase = f" {phrase} "
        while lowered_phrase in lowered:
            start = lowered.index(lowered_phrase)
            text = (text[: max(0, start)] + " " + text[start + len(phrase):]).strip()
            lowered = " " + text.lower().replace("’", "'") + " "
    return text


def _is_glue(word: str, following: str, clause_start: bool) -> bool:
    """A word the sentence needs only to be a sentence: articles, copulas, hedges, a subject with
    its auxiliary, "do" before "not", "have" before a participle, a clause's opener or "I"/"we"."""
    return (word in ARTICLES or word in COPULAS or word in HEDGE_WORDS or word in SUBJECT_CONTRACTIONS
            or (word in DO and following in {"not", "never"})
            or (word in PERFECT and PARTICIPLE.fullmatch(following) is not None)
            or (clause_start and (word in OPENERS or word in SUBJECTS)))


def _as_note(kept: list[str], tokens: list[str]) -> str:
    """The kept tokens as one line, with no clause mark at either end."""
    while kept and kept[-1] in CLAUSE_MARKS:
        kept.pop()
    while kept and kept[0] in CLAUSE_MARKS:
        kept.pop(0)
    note = " ".join(kept)
    note = re.sub(r"\s+([,;:])", r"\1", note)
    first = kept[0] if kept else ""
    if first.istitle() and first != "I" and tokens and first == tokens[0]:
        note = note[0].lower() + note[1:]  # a capital that only opens the sentence is not a name
    return note


def jot(sentence: str) -> str:
    """The note for `sentence`: its phrases kept, its sentence-glue dropped."""
    text = _without_hedge_phrases(sentence.strip().rstrip(ENDS).strip())
    tokens = TOKEN.findall(text)
    kept: list[str] = []
    clause_start = True
    for index, token in enumerate(tokens):
        word = _words_of(token)
        following = _words_of(tokens[index + 1]) if index + 1 < len(tokens) else ""
        previous = _words_of(tokens[index - 1]) if index else ""
        if token in BRACKETS:
            continue
        if word in {"be", "been"} and previous in MODALS | PERFECT | {"not", "never"}:
            kept.append(token)  # "might be tempted", "has been tested": the verb phrase needs it
            clause_start = False
            continue
        if token in CLAUSE_MARKS:
            if kept and kept[-1] not in CLAUSE_MARKS:
                kept.append(token)
            clause_start = True
            continue
        if word.endswith("n't"):
            kept.append("can't" if word == "can't" else "won't" if word == "won't" else "not")
            clause_start = False
            continue
        if _is_glue(word, following, clause_start):
            continue
        clause_start = False
        kept.append(token)
    return _as_note(kept, tokens)
