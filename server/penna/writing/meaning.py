"""Does a sentence say what its note says? A check that needs no model.

A sentence is faithful to its note when
- every content word of the note is in it (an inflection counts: "bakes" for "bake");
- its claim words match the note's exactly: negations, numbers, quantifiers and modals are
  neither added nor dropped ("can take nine hours" must not become "takes nine or more hours");
- it adds few content words of its own (an added noun or verb is usually an added claim).

- the names it shares with its note come in the note's order ("Boss told Snake" must not become
  "Snake told the Boss": the same words, with who did what swapped);
- the note's technical terms are in it letter for letter: a model name, a path, a flag or a
  version ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF" must not become "…-8B-InstructGGUF",
  which the word check would pass, as it matches "instructgguf" with "instruct").

The check reads words only, so it cannot see every change of meaning (beyond names, who did what
is only approximated by the order of the note's words); it is the floor under every sentence
penna writes, not a judge of style.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from penna.knowledge.items import content_words
from penna.vault.text import words

NEGATIONS = frozenset("not no never nothing none nobody nowhere neither nor without cannot".split())
QUANTIFIERS = frozenset(
    "all any each every some more most much less least few fewer many only several both either enough "
    "always often sometimes usually rarely seldom almost nearly half twice".split())
MODALS = frozenset("can could may might must should shall will would ought".split())
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion dozen".split())
CONTRACTED = {"can't": ("can", "not"), "won't": ("will", "not"), "shan't": ("shall", "not"),
              "cannot": ("can", "not")}
DIGITS = re.compile(r"\d+(?:[.,:/]\d+)*")
SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s")
WORD = re.compile(r"[^\W\d_][\w'’-]*")
# A term: a word with a path, package or flag mark in it ("c++filt", "llama.cpp", "-lchkstk"), or
# letters and digits together ("SDL3", "w64devkit"), or a capital inside it ("InstructGGUF").
TERM = re.compile(r"[/_+]|\w\.\w|^-[^\W\d]|[^\W\d_]\d|\d[^\W\d_]|[a-z][A-Z]")
INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?\.?")  # "i.e.", "e.g.": abbreviations, not terms
AMOUNT = re.compile(r"~?\d+(?:[.,]\d+)?[^\W\d_]{1,3}")  # "4GB", "10x", "2k": numbers (`claim_words`), "4 GB" alike
TERM_EDGES = "\"'`“”‘’()[]{}<>,;:!?…*"
ADDED_ALLOWANCE = 0.2  # content words a sentence may add, per content word of its note (rounded down)


def claim_words(text: str) -> Counter[str]:
    """The words that carry a claim's polarity, amount, scope or force, counted."""
    found: Counter[str] = Counter()
    for written in words(text):
        word = written.replace("’", "'")
        if word in CONTRACTED:
            found.update(CONTRACTED[word])
            continue
        if word.endswith("n't"):
            stem = word[:-3]
            if stem in MODALS:
                found[stem] += 1
            found["not"] += 1
            continue
        if word in NEGATIONS or word in QUANTIFIERS or word in MODALS or word in NUMBER_WORDS:
            found[word] += 1
    found.update(DIGITS.findall(text))
    return found


def stem(word: str) -> str:
    """A crude stem, enough to match "bakes", "baked" and "baking" with "bake"."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e")


def _same(a: str, b: str) -> bool:
    sa, sb = stem(a), stem(b)
    return sa == sb or (min(len(sa), len(sb)) >= 4 and (sa.startswith(sb) or sb.startswith(sa)))


@dataclass
class Verdict:
    dropped: list[str] = field(default_factory=list)  # note content words missing
    added_claims: list[str] = field(default_factory=list)  # claim words the sentence adds
    dropped_claims: list[str] = field(default_factory=list)  # claim words the sentence lacks
    added: list[str] = field(default_factory=list)  # content words the note does not have
    order: float = 1.0  # share of the note's words that keep their order in the sentence
    swapped: bool = False  # the note's names come in another order: who did what changed
    allowance: int = 0

    @property
    def faithful(self) -> bool:
        return (not self.dropped and not self.added_claims and not self.dropped_claims and not self.swapped
                and len(self.added) <= self.allowance)

    @property
    def faults(self) -> int:
        """How far from faithful: each missing, added or changed word counts once."""
        return (len(self.dropped) + 2 * (len(self.added_claims) + len(self.dropped_claims) + self.swapped)
                + max(0, len(self.added) - self.allowance))

    def reason(self) -> str:
        parts = []
        if self.dropped:
            parts.append("drops " + ", ".join(self.dropped))
        if self.added_claims:
            parts.append("adds " + ", ".join(self.added_claims))
        if self.dropped_claims:
            parts.append("loses " + ", ".join(self.dropped_claims))
        if len(self.added) > self.allowance:
            parts.append("adds words " + ", ".join(self.added))
        if self.swapped:
            parts.append("swaps who does what")
        return "; ".join(parts) or "faithful"


def judge(note: str, sentence: str) -> Verdict:
    """How `sentence` keeps or changes what `note` says."""
    wanted = [w for w in content_words(note) if not _claim_word(w)]
    got = [w for w in content_words(sentence) if not _claim_word(w)]
    verdict = Verdict(allowance=int(ADDED_ALLOWANCE * len(wanted)))
    positions: list[int] = []
    for word in wanted:
        match = next((i for i, g in enumerate(got) if _same(word, g)), None)
        if match is None:
            verdict.dropped.append(word)
        else:
            positions.append(match)
    verdict.added = [g for g in dict.fromkeys(got) if not any(_same(g, w) for w in wanted)]
    note_claims, sentence_claims = claim_words(note), claim_words(sentence)
    verdict.added_claims = sorted((sentence_claims - note_claims).elements())
    verdict.dropped_claims = sorted((note_claims - sentence_claims).elements())
    verdict.order = _ordered_share(positions)
    verdict.swapped = _names_swapped(note, sentence)
    said = sentence.lower()
    verdict.dropped += [term for term in terms(note) if term.lower() not in said]
    return verdict


def terms(text: str) -> list[str]:
    """The technical terms of `text`, as written (`TERM`), each once."""
    found = []
    for token in text.split():
        term = token.strip(TERM_EDGES).rstrip(".")
        if (term and TERM.search(term) and not INITIALISM.fullmatch(token.strip(TERM_EDGES))
                and not AMOUNT.fullmatch(term)):
            found.append(term)
    return list(dict.fromkeys(found))


def names(note: str) -> list[str]:
    """The note's capitalised words other than "I", in order, each once: the people and things a
    note says did something. A capital on the note's first word counts only on a content word
    (a name, not "The" or "When")."""
    found: list[str] = []
    for index, match in enumerate(WORD.finditer(note)):
        word = match.group()
        if word[0].isupper() and word != "I" and (index > 0 or content_words(word)):
            found.append(word.lower())
    return list(dict.fromkeys(found))


def _names_swapped(note: str, sentence: str) -> bool:
    """Two of the note's names in the sentence in the other order (each at its first mention)."""
    said = words(sentence)
    positions = [next((i for i, w in enumerate(said) if _same(name, w)), None) for name in names(note)]
    found = [p for p in positions if p is not None]
    return any(later < earlier for earlier, later in pairwise(found))


def _claim_word(word: str) -> bool:
    """Claim words are compared as claims (`claim_words`), not as content."""
    word = word.replace("’", "'")
    return (word.endswith("n't") or word in CONTRACTED or word in NEGATIONS or word in QUANTIFIERS
            or word in MODALS or word in NUMBER_WORDS)


def _ordered_share(positions: list[int]) -> float:
    """The longest run of positions in increasing order, as a share of all of them."""
    if len(positions) < 2:
        return 1.0
    tails: list[int] = []
    for p in positions:
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] < p:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(tails):
            tails.append(p)
        else:
            tails[lo] = p
    return len(tails) / len(positions)
