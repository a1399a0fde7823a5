"""The voice metrics: stylometric distances with an author floor, and per-output checks.

Distances between *texts* (Burrows' Delta, sentence lengths, punctuation) are measured split-half:
the held-out paragraphs are split into two disjoint halves A and B, and
- the author floor is d(author A, author B): the author against themselves on other content;
- a system scores ½·[d(system A, author B) + d(system B, author A)]: its outputs against the
  author's *other* paragraphs, so topic overlap helps neither the floor nor the system.
Each bootstrap replicate draws a fresh split and resamples within each half; every system and
the floor use the same replicates, so differences between them are paired.

Per-output checks (content kept, copying, generic phrases) are bootstrapped over paragraphs.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from penna.bench.figures import percentile
from penna.knowledge.items import content_words
from penna.knowledge.style import WordProfile, find_generic_phrases
from penna.vault.text import sentences, words

MFW_COUNT = 150
MIN_DOCUMENT_WORDS = 300  # shorter training posts give unstable word rates for the z-scores
PUNCTUATION_MARKS: dict[str, re.Pattern[str]] = {
    "comma": re.compile(r","),
    "period": re.compile(r"\.(?!\d)"),
    "semicolon": re.compile(r";"),
    "colon": re.compile(r":(?!//)"),
    "parenthesis": re.compile(r"\("),
    "dash": re.compile(r"—|–|(?<=\w) ?-- ?(?=\w)|(?<=\w) - (?=\w)"),
    "hyphen": re.compile(r"(?<=\w)-(?=\w)"),
    "exclamation": re.compile(r"!"),
    "question": re.compile(r"\?"),
    "quote": re.compile(r"[\"“”]"),
    "apostrophe": re.compile(r"(?<=\w)['’](?=\w)"),
}


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float  # 95% interval
    high: float

    def to_json(self) -> dict[str, float]:
        return {"mean": round(self.mean, 4), "low": round(self.low, 4), "high": round(self.high, 4)}


# --- Burrows' Delta ------------------------------------------------------------------------------
def fit_delta(documents: Sequence[str], size: int = MFW_COUNT) -> WordProfile:
    """Burrows' Delta's reference from training posts: the posts long enough for stable word
    rates, or all with prose when fewer than two are. Raises ValueError without two."""
    tokenized = [words(d) for d in documents]
    tokenized = [t for t in tokenized if len(t) >= MIN_DOCUMENT_WORDS] or [t for t in tokenized if t]
    return WordProfile.from_documents(tokenized, size)


# --- sentence lengths and punctuation ------------------------------------------------------------
def sentence_lengths(text: str) -> list[int]:
    return [n for n in (len(words(s)) for s in sentences(text)) if n]


def wasserstein(a: Sequence[float], b: Sequence[float]) -> float:
    """Earth mover's distance between two samples (in their unit: words per sentence)."""
    if not a or not b:
        return float("nan")
    xs, ys = sorted(a), sorted(b)
    points = sorted(set(xs) | set(ys))
    total, i, j = 0.0, 0, 0
    for left, right in pairwise(points):
        while i < len(xs) and xs[i] <= left:
            i += 1
        while j < len(ys) and ys[j] <= left:
            j += 1
        total += abs(i / len(xs) - j / len(ys)) * (right - left)
    return total


def punctuation_rates(text: str) -> dict[str, float]:
    """Marks per 1,000 words."""
    count = len(words(text))
    return {name: 1000.0 * len(p.findall(text)) / count if count else 0.0 for name, p in PUNCTUATION_MARKS.items()}


def punctuation_distance(a: str, b: str) -> float:
    """Bray–Curtis dissimilarity of the punctuation rates: 0 identical, 1 nothing in common."""
    ra, rb = punctuation_rates(a), punctuation_rates(b)
    total = sum(ra.values()) + sum(rb.values())
    return sum(abs(ra[k] - rb[k]) for k in ra) / total if total else 0.0


# --- per-output checks ---------------------------------------------------------------------------
def _content_set(text: str) -> set[str]:
    """Content words, with contractions also counted as their parts: "caller's" carries
    "caller", "don't" carries "not" (the bullets hold the reduced forms)."""
    found: set[str] = set()
    for word in content_words(text):
        found.add(word)
        if "'" in word:
            stem = word.split("'", 1)[0]
            found.add("not" if word.endswith("n't") else stem)
    return found


def content_kept(bullets: str, output: str) -> float:
    """Share of the bullets' distinct content words that appear in the output (exact word
    forms, case ignored: "fermented" does not count for "ferment")."""
    wanted = set(content_words(bullets))
    return len(wanted & _content_set(output)) / len(wanted) if wanted else 1.0


def generic_count(text: str) -> int:
    return len(find_generic_phrases(text))


class CopyIndex:
    """The longest verbatim word run a text shares with a body of text (the vault).

    Word trigrams index the source once; runs are extended from matching trigrams, so checking
    an output costs little even against hundreds of posts.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self.tokens: list[str] = []
        for text in texts:
            self.tokens.extend(words(text))
            self.tokens.append("\0")  # runs never cross from one document into the next
        self.unigrams = set(self.tokens)
        self.bigrams = set(pairwise(self.tokens))
        self.trigrams: dict[tuple[str, str, str], list[int]] = {}
        for i in range(len(self.tokens) - 2):
            self.trigrams.setdefault((self.tokens[i], self.tokens[i + 1], self.tokens[i + 2]), []).append(i)

    def longest_run(self, text: str) -> int:
        mine = words(text)
        best = 0
        if any(w in self.unigrams for w in mine):
            best = 1
        if any(pair in self.bigrams for pair in pairwise(mine)):
            best = 2
        for i in range(len(mine) - 2):
            if len(mine) - i <= best:
                break
            for j in self.trigrams.get((mine[i], mine[i + 1], mine[i + 2]), ()):
                n = 3
                while i + n < len(mine) and j + n < len(self.tokens) and self.tokens[j + n] == mine[i + n]:
                    n += 1
                best = max(best, n)
        return best


# --- intervals -----------------------------------------------------------------------------------
def interval(point: float, replicates: Sequence[float]) -> Estimate:
    return Estimate(point, percentile(replicates, 2.5), percentile(replicates, 97.5))


def bootstrap_ratio(numerators: Sequence[float], denominators: Sequence[float], *, seed: int,
                    replicates: int = 1000, scale: float = 1.0) -> Estimate:
    """scale·Σnum/Σden with a percentile interval from resampling items (a mean when den = 1)."""
    n = len(numerators)
    if not n:
        return Estimate(float("nan"), float("nan"), float("nan"))

    def ratio(indices: Sequence[int]) -> float:
        den = sum(denominators[i] for i in indices)
        return scale * sum(numerators[i] for i in indices) / den if den else float("nan")

    rng = random.Random(seed)
    draws = [ratio([rng.randrange(n) for _ in range(n)]) for _ in range(replicates)]
    return interval(ratio(range(n)), draws)


def bootstrap_mean(values: Sequence[float], *, seed: int, replicates: int = 1000) -> Estimate:
    return bootstrap_ratio(values, [1.0] * len(values), seed=seed, replicates=replicates)


def split_halves(n: int, *, seed: int, replicates: int) -> list[tuple[list[int], list[int]]]:
    """Replicates of (A, B): a random split into disjoint halves, each then resampled with
    replacement. The first replicate is the plain split (no resampling)."""
    if n < 2:
        raise ValueError("split-half measures need at least two paragraphs")
    rng = random.Random(seed)
    out = []
    for r in range(replicates):
        order = list(range(n))
        rng.shuffle(order)
        a, b = order[: n // 2], order[n // 2: 2 * (n // 2)]
        if r:
            a, b = [rng.choice(a) for _ in a], [rng.choice(b) for _ in b]
        out.append((a, b))
    return out


TextDistance = Callable[[str, str], float]


def split_half_distance(distance: TextDistance, author: Sequence[str], outputs: Sequence[str] | None,
                        halves: Sequence[tuple[list[int], list[int]]]) -> list[float]:
    """Per replicate: d(author A, author B) when `outputs` is None (the floor), else
    ½·[d(outputs A, author B) + d(outputs B, author A)]."""
    def joined(texts: Sequence[str], indices: Sequence[int]) -> str:
        return "\n\n".join(texts[i] for i in indices)

    values = []
    for a, b in halves:
        if outputs is None:
            values.append(distance(joined(author, a), joined(author, b)))
        else:
            values.append(0.5 * (distance(joined(outputs, a), joined(author, b))
                                 + distance(joined(outputs, b), joined(author, a))))
    return values


def length_distance(a: str, b: str) -> float:
    return wasserstein(sentence_lengths(a), sentence_lengths(b))


def gap_closed(baseline: float, system: float, floor: float) -> float:
    """(baseline − system) / (baseline − floor): 0 = no better than no context, 1 = the author."""
    span = baseline - floor
    return (baseline - system) / span if span > 0 else float("nan")
