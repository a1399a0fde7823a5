"""Stylometry: countable features of how someone writes.

`StyleCounts` are additive, so a vault's profile is the sum of its notes' counts and updates
incrementally when one note changes. `StyleProfile` turns counts into the figures a writer can
read (median sentence length, em-dashes per 1,000 words, …) and scores a piece of text against
them (hover, diagnostics, choosing the best of several candidates).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from penna.vault.markdown import parse_note
from penna.vault.text import sentences, words

MAX_SENTENCE_BUCKET = 80
# A generic phrase is the author's own when their writing uses it at least twice and at least
# once per 50,000 words: a habit, not a slip in a long archive ("in order to" 113 times in
# nullprogram's 530,000 words is theirs; "furthermore" 10 times is not).
OWN_PHRASE_USES = 2
OWN_PHRASE_RATE = 0.02  # per 1,000 words
NEVER_USED_MIN_WORDS = 2000  # below this much of the author's writing, "never uses" says too little
PUNCTUATION = {
    "em_dash": re.compile(r"—|(?<=\w) ?-- ?(?=\w)"),
    "semicolon": re.compile(r";"),
    "colon": re.compile(r":(?!//)"),
    "parenthesis": re.compile(r"\("),
    "exclamation": re.compile(r"!"),
    "question": re.compile(r"\?"),
    "ellipsis": re.compile(r"…|\.\.\."),
    "quote": re.compile(r"[\"“”]"),
}
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
HEDGES = ("perhaps", "maybe", "probably", "possibly", "arguably", "somewhat", "seems", "seem",
          "i think", "i guess", "i suppose", "sort of", "kind of", "might", "likely")
SPELLING_STEMS = re.compile(r"\b(?:colou?r|favou?r|behaviou?r|honou?r|labou?r|organi[sz]|reali[sz]|recogni[sz]|"
                            r"analy[sz]|cent(?:re|er)|theat(?:re|er))")


@functools.cache
def _word_list(name: str) -> tuple[str, ...]:
    text = files("penna.data").joinpath(name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def function_words() -> tuple[str, ...]:
    return _word_list("function_words.txt")


@functools.cache
def function_word_set() -> frozenset[str]:
    return frozenset(function_words())


def generic_phrases() -> tuple[str, ...]:
    return _word_list("generic_phrases.txt")


@functools.cache
def generic_phrase_pattern() -> re.Pattern[str]:
    """The phrases as whole words, in any case, the longest first where two start alike (a
    prefix trie finds the same matches as the phrases longest first, tried one by one)."""
    return re.compile(r"(?<![\w'])(?:" + _literal_trie(generic_phrases()) + r")(?![\w'])", re.IGNORECASE)


def find_generic_phrases(text: str) -> list[re.Match[str]]:
    """The generic phrases in `text`; a phrase's apostrophe matches a curly one too ("it’s")."""
    return list(generic_phrase_pattern().finditer(text))


def phrase_key(found: str) -> str:
    """A found phrase as the list writes it: lower case, a curly apostrophe straight."""
    return found.lower().replace("’", "'")


def foreign_phrases(text: str, profile: StyleProfile | None) -> list[re.Match[str]]:
    """The generic phrases in `text` that the author does not write themselves (all of them
    without a profile). "robust" is generic AI phrasing, but not for an author whose own notes
    use it 27 times: penna neither flags nor edits a writer's own words."""
    found = find_generic_phrases(text)
    return found if profile is None else [m for m in found if not profile.writes(m.group(0))]


# (first word, " hedge "): a hedge can be found in a sentence only if its first word is a word of it.
_HEDGES_SPACED = tuple((h.split()[0], f" {h} ") for h in HEDGES)
_HEDGE_FIRST_WORDS = frozenset(first for first, _ in _HEDGES_SPACED)


def punctuation_counts(sentence: str) -> list[tuple[str, int]]:
    """len(pattern.findall(sentence)) for each of PUNCTUATION's patterns, in its order, counted
    with str.count where a pattern is a plain character (the index counts every sentence)."""
    count = sentence.count
    dashes = len(PUNCTUATION["em_dash"].findall(sentence)) if ("—" in sentence or "--" in sentence) else 0
    return [("em_dash", dashes), ("semicolon", count(";")), ("colon", count(":") - count("://")),
            ("parenthesis", count("(")), ("exclamation", count("!")), ("question", count("?")),
            ("ellipsis", count("…") + count("...")), ("quote", count('"') + count("“") + count("”"))]


@functools.cache
def _generic_literals() -> re.Pattern[str] | None:
    """The generic phrases as one pattern of lower-case ASCII literals, for a quick test; None
    when a phrase holds sentence punctuation before its end or is not lower-case ASCII (the
    quick test would not be exact)."""
    phrases = generic_phrases()
    if any(not p.isascii() or p != p.lower() or re.search(r"[.!?…]", p[:-1]) for p in phrases):
        return None
    return re.compile(_literal_trie(phrases))


@functools.cache
def _generic_literals_any_case() -> re.Pattern[str] | None:
    """The same literals matched in any case, as generic_phrase_pattern matches them."""
    literals = _generic_literals()
    return None if literals is None else re.compile(literals.pattern, re.IGNORECASE)


def _literal_trie(literals: Sequence[str]) -> str:
    """A pattern matching exactly the same literals as their plain alternation, with shared
    prefixes factored out ("it(?:'s|…)"): a flat alternation of 60 phrases tried every phrase at
    every position (~40 µs a paragraph, a tenth of indexing a note); this one ~2.5× faster. At a
    given position it prefers the longest literal (a literal's continuation comes before its
    end), as an alternation sorted longest first does; branches differ in their first letter."""
    trie: dict[str, Any] = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}  # a literal ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = [("['’]" if char == "'" else re.escape(char)) + pattern(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:
            return body
        return f"(?:{body})?"  # a shorter literal ends here: greedy, so the longer is tried first

    return pattern(trie)


def _may_hold_generic(text: str) -> bool:
    """False only when generic_phrase_pattern finds nothing in `text` or in any of its sentences.
    Every sentence's text (whitespace collapsed) appears in the paragraph's, whitespace collapsed
    the same way, except across a join after an abbreviation's full stop, which no phrase holds.
    For ASCII text a case-insensitive match is a lower-case substring (the faster search); beyond
    ASCII, lower() is not what IGNORECASE matches (the long s matches s, the Kelvin sign matches
    k), so the literals are searched for in any case."""
    literals, any_case = _generic_literals(), _generic_literals_any_case()
    if literals is None or any_case is None:
        return True
    if text.isascii():
        return literals.search(" ".join(text.lower().split())) is not None
    return any_case.search(" ".join(text.split())) is not None


@dataclass
class StyleCounts:
    words: int = 0
    sentences: int = 0
    sentence_lengths: Counter[int] = field(default_factory=Counter)
    paragraphs: int = 0
    paragraph_sentences: Counter[int] = field(default_factory=Counter)
    list_items: int = 0
    function_words: Counter[str] = field(default_factory=Counter)
    punctuation: Counter[str] = field(default_factory=Counter)
    contractions: int = 0
    first_person: int = 0
    hedges: int = 0
    british: int = 0
    american: int = 0
    generic: Counter[str] = field(default_factory=Counter)

    def add_paragraph(self, text: str) -> None:
        found = sentences(text)
        if not found:
            return
        self.paragraphs += 1
        self.paragraph_sentences[min(len(found), 20)] += 1
        # Whole-paragraph checks first: a sentence can hold a generic phrase or a spelling stem
        # only if its paragraph does (see _may_hold_generic), so most sentences skip both scans.
        generic = _may_hold_generic(text)
        spelling = SPELLING_STEMS.search(text.lower()) is not None
        # A sentence without words counts for nothing. The counts that add up over sentences
        # (words, function words, punctuation, contractions, first person) are taken once over
        # the paragraph's counted sentences: the same sums in a few calls, not a few per sentence.
        counted: list[str] = []
        token_lists: list[list[str]] = []
        lengths = self.sentence_lengths
        for sentence in found:
            tokens = words(sentence)
            if not tokens:
                continue
            counted.append(sentence)
            token_lists.append(tokens)
            lengths[min(len(tokens), MAX_SENTENCE_BUCKET)] += 1
            if spelling:
                self._add_spelling(sentence)
            if generic and _may_hold_generic(sentence):
                self.generic.update(phrase_key(m.group(0)) for m in find_generic_phrases(sentence))
        if counted:
            self._add_counted(counted, token_lists)

    def add_list_item(self) -> None:
        self.list_items += 1

    def _add_counted(self, counted: list[str], token_lists: list[list[str]]) -> None:
        """The additive counts of sentences that have words (`token_lists` are their words)."""
        tokens = [t for sentence_tokens in token_lists for t in sentence_tokens]
        self.sentences += len(counted)
        self.words += len(tokens)
        vocabulary = function_word_set()
        self.function_words.update([t for t in tokens if t in vocabulary])
        # Newline-joined: no pattern matches across a newline (sentences hold none), so each
        # count is the sum of the sentences' counts.
        punctuation = self.punctuation
        for name, count in punctuation_counts("\n".join(counted)):
            punctuation[name] += count
        self.contractions += sum(1 for t in tokens if "'" in t)
        self.first_person += sum(1 for t in tokens if t in FIRST_PERSON)
        if not _HEDGE_FIRST_WORDS.isdisjoint(tokens):  # else no sentence holds a hedge's first word
            for sentence_tokens in token_lists:
                self._add_hedges(sentence_tokens)

    def _add_hedges(self, tokens: list[str]) -> None:
        """Hedges among one sentence's words."""
        present = _HEDGE_FIRST_WORDS.intersection(tokens)
        if present:
            lowered = " " + " ".join(tokens) + " "
            self.hedges += sum(lowered.count(h) for first, h in _HEDGES_SPACED if first in present)

    def _add_spelling(self, sentence: str) -> None:
        for stem in SPELLING_STEMS.findall(sentence.lower()):
            if re.search(r"our|is|re$", stem):
                self.british += 1
            else:
                self.american += 1

    def merge(self, other: StyleCounts) -> None:
        for name in ("words", "sentences", "paragraphs", "list_items", "contractions",
                     "first_person", "hedges", "british", "american"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("sentence_lengths", "paragraph_sentences", "function_words", "punctuation", "generic"):
            getattr(self, name).update(getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StyleCounts:
        counts = cls()
        for key, value in data.items():
            if not hasattr(counts, key):
                continue
            if isinstance(value, dict):
                # JSON object keys are strings; sentence-length buckets are ints.
                numeric = key in ("sentence_lengths", "paragraph_sentences")
                setattr(counts, key, Counter({(int(k) if numeric else k): v for k, v in value.items()}))
            else:
                setattr(counts, key, value)
        return counts


def counts_for_text(text: str) -> StyleCounts:
    counts = StyleCounts()
    for paragraph in re.split(r"\n\s*\n", text):
        counts.add_paragraph(paragraph)
    return counts


def _quantile(histogram: Counter[int], q: float) -> float:
    total = sum(histogram.values())
    if not total:
        return 0.0
    target, seen = q * (total - 1), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen - 1 >= target:
            return float(value)
    return float(max(histogram))


@dataclass
class StyleProfile:
    """Readable figures derived from counts (and, when built from a vault, the author's most
    frequent words, which need per-note rates that additive counts cannot give)."""

    counts: StyleCounts
    mfw: WordProfile | None = None

    def per_thousand(self, value: float) -> float:
        return 1000.0 * value / self.counts.words if self.counts.words else 0.0

    @property
    def sentence_median(self) -> float:
        return _quantile(self.counts.sentence_lengths, 0.5)

    @property
    def sentence_iqr(self) -> tuple[float, float]:
        return _quantile(self.counts.sentence_lengths, 0.25), _quantile(self.counts.sentence_lengths, 0.75)

    @property
    def paragraph_median(self) -> float:
        return _quantile(self.counts.paragraph_sentences, 0.5)

    def punctuation_rates(self) -> dict[str, float]:
        return {name: self.per_thousand(self.counts.punctuation[name]) for name in PUNCTUATION}

    def function_word_rates(self) -> dict[str, float]:
        return {w: self.counts.function_words[w] / max(1, self.counts.words) for w in function_words()}

    @property
    def list_share(self) -> float:
        total = self.counts.list_items + self.counts.paragraphs
        return self.counts.list_items / total if total else 0.0

    def spelling(self) -> str:
        b, a = self.counts.british, self.counts.american
        if b + a < 5:
            return "unknown"
        return "British" if b > 2 * a else "American" if a > 2 * b else "mixed"

    def writes(self, phrase: str) -> bool:
        """Whether this generic phrase is one of the author's habits (see `OWN_PHRASE_USES`)."""
        return self._habit(self.counts.generic.get(phrase_key(phrase), 0))

    def own_phrases(self) -> frozenset[str]:
        """The generic phrases that are the author's habits (see `writes`)."""
        return frozenset(p for p, count in self.counts.generic.items() if self._habit(count))

    def _habit(self, uses: int) -> bool:
        return uses >= OWN_PHRASE_USES and 1000 * uses >= OWN_PHRASE_RATE * self.counts.words

    def never_used(self) -> list[str]:
        """Generic phrases absent from the author's writing (only meaningful with enough text)."""
        if self.counts.words < NEVER_USED_MIN_WORDS:
            return []
        return [p for p in generic_phrases() if not self.counts.generic.get(p)]

    def sentence_typicality(self, length: int) -> float:
        """How usual a sentence of `length` words is for this author, 0..1 (1 = the mode)."""
        hist = self.counts.sentence_lengths
        if not hist:
            return 1.0
        peak = max(hist.values())
        window = sum(hist.get(length + d, 0) for d in (-2, -1, 0, 1, 2)) / 5
        return min(1.0, window / peak)

    def distance(self, other: StyleCounts) -> float:
        """A small, symmetric-ish distance between this profile and another text's counts.

        Combines sentence length (in the author's IQR units), function-word profile (cosine)
        and punctuation rates. 0 means indistinguishable on these axes.
        """
        if not other.words or not self.counts.words:
            return 1.0
        low, high = self.sentence_iqr
        spread = max(2.0, high - low)
        other_median = _quantile(other.sentence_lengths, 0.5)
        length_term = min(2.0, abs(other_median - self.sentence_median) / spread)
        mine, theirs = self.function_word_rates(), StyleProfile(other).function_word_rates()
        dot = sum(mine[w] * theirs[w] for w in mine)
        norm = math.sqrt(sum(v * v for v in mine.values())) * math.sqrt(sum(v * v for v in theirs.values()))
        cosine_term = 1.0 - (dot / norm if norm else 0.0)
        punct_mine, punct_theirs = self.punctuation_rates(), StyleProfile(other).punctuation_rates()
        punct_term = sum(abs(punct_mine[k] - punct_theirs[k]) for k in PUNCTUATION) / (
            sum(punct_mine.values()) + sum(punct_theirs.values()) + 10.0
        )
        return round(0.4 * length_term + 0.4 * cosine_term + 0.2 * punct_term, 4)


# --- the author's most frequent words (the scorer's voice measure) ------------------------------
MFW_SIZE = 150
MFW_MIN_WORDS = 300  # notes shorter than this give unstable rates
Z_CAP = 4.0  # one rare word in a short text must not outweigh the rest


@dataclass(frozen=True)
class WordProfile:
    """The author's most frequent words, with the mean and the spread of each word's rate across
    their notes: Burrows' Delta's reference, built from the vault's written notes only.

    `distance(text)` is the Delta between a text and the author's average note (mean |z| over
    the words, each z capped at Z_CAP): lower sounds more like the author in the small words
    (articles, pronouns, prepositions, contractions) that carry a voice whatever the topic.
    """

    vocabulary: tuple[str, ...]
    means: tuple[float, ...]
    stdevs: tuple[float, ...]

    @classmethod
    def fit(cls, documents: list[list[str]], size: int = MFW_SIZE) -> WordProfile | None:
        """From the author's notes as word lists; None when there are too few to say."""
        usable = [d for d in documents if len(d) >= MFW_MIN_WORDS]
        if len(usable) < 3:
            return None
        return cls.from_documents(usable, size)

    @classmethod
    def from_documents(cls, documents: Sequence[Sequence[str]], size: int = MFW_SIZE) -> WordProfile:
        """The `size` most frequent words of at least two documents (word lists) that vary
        between them, with the mean and the sample deviation of each word's rate."""
        if len(documents) < 2:
            raise ValueError("Burrows' Delta needs at least two training documents with prose")
        totals: Counter[str] = Counter()
        per_document = [Counter(d) for d in documents]
        for counts in per_document:
            totals.update(counts)
        vocabulary, means, stdevs = [], [], []
        for word, _ in sorted(totals.items(), key=lambda wc: (-wc[1], wc[0]))[: size * 2]:
            rates = [counts[word] / len(d) for counts, d in zip(per_document, documents, strict=True)]
            mean = sum(rates) / len(rates)
            spread = math.sqrt(sum((r - mean) ** 2 for r in rates) / (len(rates) - 1))
            if spread > 0:  # a word with no variation cannot be z-scored
                vocabulary.append(word)
                means.append(mean)
                stdevs.append(spread)
            if len(vocabulary) >= size:
                break
        return cls(tuple(vocabulary), tuple(means), tuple(stdevs))

    def zscores(self, text: str) -> list[float]:
        tokens = words(text)
        counts, total = Counter(tokens), len(tokens)
        return [((counts[w] / total if total else 0.0) - m) / s
                for w, m, s in zip(self.vocabulary, self.means, self.stdevs, strict=True)]

    def delta(self, a: str, b: str) -> float:
        """Burrows' Delta between two texts: the mean absolute difference of their z-scores."""
        za, zb = self.zscores(a), self.zscores(b)
        return sum(abs(x - y) for x, y in zip(za, zb, strict=True)) / len(za) if za else 0.0

    def distance(self, text: str) -> float:
        tokens = words(text)
        if not tokens or not self.vocabulary:
            return 0.0
        counts = Counter(tokens)
        total = len(tokens)
        return sum(min(Z_CAP, abs(counts[w] / total - m) / s)
                   for w, m, s in zip(self.vocabulary, self.means, self.stdevs, strict=True)) / len(self.vocabulary)


# --- reading a paragraph against the author's profile (hover, diagnostics) ----------------------
MIN_PROFILE_SENTENCES = 40  # below this the author's sentence lengths say too little to flag one


def style_notes(profile: StyleProfile | None, text: str) -> list[str]:
    """A few plain observations comparing `text` with the author's habits (hover). Without a
    profile (still being built) only the paragraph's own figures, and that it is being built."""
    notes: list[str] = []
    found = sentences(text)
    if not found:
        return notes
    lengths = [len(words(s)) for s in found]
    mean = sum(lengths) / len(lengths)
    if profile is None:
        generic = sorted({m.group(0).lower() for m in find_generic_phrases(text)})
        return ([f"Sentences average {mean:.0f} words."]
                + (["Generic phrasing: " + ", ".join(f"“{g}”" for g in generic) + "."] if generic else [])
                + ["Your style profile is still being built from the vault; the comparison follows."])
    median = profile.sentence_median
    if median:
        ratio = mean / median
        verdict = "longer than" if ratio > 1.3 else "shorter than" if ratio < 0.7 else "close to"
        notes.append(f"Sentences average {mean:.0f} words, {verdict} your median of {median:.0f}.")
    generic = sorted({m.group(0).lower() for m in foreign_phrases(text, profile)})
    if generic:
        notes.append("Generic phrasing, not a habit of yours: " + ", ".join(f"“{g}”" for g in generic) + ".")
    counts = counts_for_text(text)
    if counts.words:
        mine = profile.per_thousand(profile.counts.hedges)
        here = 1000 * counts.hedges / counts.words
        if here > 2 * mine + 5:
            notes.append(f"More hedging than usual ({here:.0f} per 1,000 words; you average {mine:.0f}).")
        dash_mine = profile.punctuation_rates()["em_dash"]
        if dash_mine > 3 and counts.punctuation["em_dash"] == 0 and counts.words > 60:
            notes.append(f"No em-dashes; you use about {dash_mine:.0f} per 1,000 words.")
    notes.append(f"Style distance from your writing: {profile.distance(counts):.2f} (0 = indistinguishable).")
    return notes


def long_sentence_limit(profile: StyleProfile | None) -> float | None:
    """Words beyond which a sentence is far longer than the author's; None without enough text."""
    if profile is None or profile.counts.sentences < MIN_PROFILE_SENTENCES:
        return None
    low, high = profile.sentence_iqr
    return high + 3 * max(4.0, high - low)


@dataclass(frozen=True)
class StyleHint:
    """One thing in a line of the author's note that does not sound like them.

    `start`/`end` are character offsets of the flagged text in the line; `sentence_start`/
    `sentence_end` those of the sentence holding it, which a fix rewrites.
    """

    line: int
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    code: str  # "generic-phrase" or "off-style"
    message: str
    label: str  # what fixing it does, for a quick fix: "Replace 'delve' in my voice"


def sentence_bounds(line: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the sentence in `line` that holds [start, end): from the previous sentence end
    to the next one (a sentence ends at . ! ? … followed by space), list markers left out."""
    begin = 0
    for match in re.finditer(r"[.!?…][\"'”’)\]]*\s+", line[:start]):
        begin = match.end()
    marker = re.match(r"\s*(?:[-*+]|\d+[.)])\s+(?:\[.\]\s+)?", line)
    if begin == 0 and marker:
        begin = marker.end()
    stop = re.search(r"[.!?…][\"'”’)\]]*(?=\s|$)", line[end:])
    finish = end + stop.end() if stop else len(line.rstrip())
    return begin, max(finish, end)


def style_hints(profile: StyleProfile | None, lines: list[str], prose_lines: set[int],
                list_lines: set[int]) -> list[StyleHint]:
    """Generic AI phrases (in prose and lists) and sentences far longer than the author's (in
    prose), for the lines given. Lines are numbered as in `lines`."""
    too_long = long_sentence_limit(profile)
    hints: list[StyleHint] = []
    for number in sorted(prose_lines | list_lines):
        if number >= len(lines):
            continue
        line = lines[number]
        for match in foreign_phrases(line, profile):
            begin, finish = sentence_bounds(line, match.start(), match.end())
            hints.append(StyleHint(number, match.start(), match.end(), begin, finish, "generic-phrase",
                                   _generic_message(match.group(0), profile),
                                   f"Replace '{match.group(0)}' in my voice"))
        if too_long is None or number not in prose_lines or profile is None:
            continue
        low, high = profile.sentence_iqr
        cursor = 0
        for sentence in sentences(line):
            length = len(words(sentence))
            at = line.find(sentence[:20], cursor)
            at = max(at, 0)
            cursor = at + 1
            if length > too_long:
                hints.append(StyleHint(number, at, at + len(sentence), at, at + len(sentence), "off-style",
                                       f"A {length}-word sentence: far longer than yours (half are "
                                       f"{low:.0f}–{high:.0f} words).",
                                       f"Shorten this {length}-word sentence in my voice"))
    return hints


def _generic_message(phrase: str, profile: StyleProfile | None) -> str:
    """What a hint says of a generic phrase: what the author's own writing shows, where it is known."""
    if profile is not None and profile.counts.generic.get(phrase_key(phrase), 0) > 0:
        return f"“{phrase}” is generic AI phrasing; you seldom write it."
    if profile is not None and profile.counts.words >= NEVER_USED_MIN_WORDS:
        return f"“{phrase}” is generic AI phrasing; you never write it."
    return f"“{phrase}” is generic AI phrasing."


def note_hints(profile: StyleProfile | None, text: str, first_line: int = 0,
               end_line: int | None = None) -> list[StyleHint]:
    """The style hints of a note's prose and list lines (optionally only lines in a range)."""
    lines = text.split("\n")
    stop = len(lines) if end_line is None else min(end_line, len(lines))
    prose: set[int] = set()
    lists: set[int] = set()
    for block in parse_note(text).blocks:
        if block.kind in ("paragraph", "list"):
            (prose if block.kind == "paragraph" else lists).update(range(max(block.start, first_line),
                                                                        min(block.end, stop)))
    return style_hints(profile, lines, prose, lists)


def hint_summary(hints: list[StyleHint]) -> str:
    """One line for a hover: how many hints, and the first of them."""
    if not hints:
        return ""
    first = hints[0].message
    return (f"1 style hint here: {first}" if len(hints) == 1
            else f"{len(hints)} style hints here; the first: {first}")
