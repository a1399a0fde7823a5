"""Bridging: a note's own words, in order, joined by the small words the model chooses.

Measured on this project (docs/voice.md): the 270M default, asked for a sentence from a note,
either writes fluent prose that drops the note's content, pastes a sentence from the prompt, or
gives the note back bare. A bare note keeps the content and loses the voice: the voice a
stylometric measure hears is mostly in the small words (the, of, it, I, that, but…), which
notes leave out.

So the local model can also write under a constraint: every word of the note appears, in its
order, and in each gap between two of them the model may put only small words (function words
and auxiliaries, at most `GAP_WORDS`) and a comma. Each gap is a small beam search scored by the
model itself, *including the next note word*: "pack size" → "pack the size" wins because the
model finds " size" likely after " the". Nothing can be lost, nothing pasted, no claim added
(negations, numbers and words of scope or force, "or more", "only", "must", are never added), the
note's own commas and dashes stay where it has them, and the small words are the ones the model,
primed with the author's notes→text pairs, finds likely, at the author's own density
(`glue_ratio`, counted over the whole sentence: a note already in prose gets few).

Expanding uses it to *restore* a note (`credit=0`, `steering=False`): the prompt ends in the
paragraph written so far, not in a notes line the model would copy bare, and the small words are
the model's alone, so the articles, auxiliaries and subjects a writer leaves out come back
("tried it" → "I tried it.") and little else is added. With no credit every added word lowers a
hypothesis's score, so a gap stops growing as soon as the best finished filling beats every
open one: the same answer as the full search, in about the time of writing freely.
"""

from __future__ import annotations

import functools
import math
import random
import re
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from penna.knowledge.items import EXTRA_STOPWORDS, KEEP_WORDS
from penna.knowledge.style import function_word_set
from penna.vault.text import words as split_words
from penna.writing import meaning
from penna.writing.backend import Backend, GenerationStats, ModelError, TokenDecoding
from penna.writing.model import Decoder

GAP_WORDS = 3  # small words at most in one gap
OPENING_WORDS = 2  # … and before the first note word ("In the", "It is")
TAIL_WORDS = 2  # small words after the note's last word ("… to it.")
BEAM = 3  # hypotheses kept per depth in a gap
EXPAND = 4  # small words tried after each hypothesis (the model's likeliest)
# A filling is judged with every token of its note word and of this many note words after it (up
# to the note's own mark): "to test [the] gigantic model" sees all of " gigantic model". Two words
# also right noun phrases but pull toward notes-style, dropping auxiliaries (docs/voice.md, E19-E20).
LOOKAHEAD_WORDS = 1
SAMPLED_LOOKAHEADS = 4  # fillings rescored with their lookahead when one is sampled (later variants)
ALTERNATIVE_MARGIN = 2.0  # a gap's other fillings kept as alternatives: at most this many nats less likely
ALTERNATIVES_PER_GAP = 2  # … and at most this many per gap
OPENINGS_KEPT = 8  # first gaps searched ahead of their request (`first_gap_only`), latest kept
SMALL_WORD_BONUS = 3.5  # log-probability credit per small word: without it the model copies the note bare
PACE = 2.0  # extra credit per small word the sentence owes against the author's density
STEER = 1.5  # credit per use a small word is behind the author's rate (a charge per use ahead of it)
REPEAT_OPENING = 2.0  # charge for opening with the word one of the last two sentences opened with
LEDGER_WORDS = 800.0  # how long penna remembers the words it wrote, for steering
# Words that would change what the note says if the model added them: the claim words
# `writing/meaning.py` counts (negations, numbers, quantifiers, modals: a sentence that added one
# is refused), "or"/"other"/"first" ("nine hours" must not become "nine or more hours"), and the
# light verbs and nouns that stand for a claim ("use", "make", "thing"), and the pronouns that
# bring in someone the note does not name ("Boss sent [him] on a mission": the Boss was sent).
NEVER_ADDED = KEEP_WORDS | meaning.NEGATIONS | meaning.QUANTIFIERS | meaning.MODALS | meaning.NUMBER_WORDS | {
    "first", "or", "nor", "other", "use", "used", "using", "make", "made", "get", "got", "thing", "things",
    "something", "anything", "lot", "lots", "way", "ways", "said", "time", "well",  # "well": "bake in a well"
    "him", "her", "hers", "his", "them", "us", "me"}
# Around a note's negation only an auxiliary before ("is not", "do not") and an article or "to"
# after: "watch the dough not the clock" must not become "… when it is not in the clock".
NEGATION_WORDS = frozenset({"not", "no", "never"})
AFTER_NEGATION = frozenset("a an the this that these those my your its our their only even yet".split())
# A writer's note keeps its prepositions; one added changes what it says ("start the levain [in]
# the night before", "take [up to] nine hours"). Restoring puts back only what notes leave out,
# with "of" ("lines [of] code") the exception.
PREPOSITIONS = frozenset(
    "about above across after against along among around as at before behind below beneath beside between beyond "
    "by down during except for from in inside into like near off on onto out outside over past per since through "
    "throughout till to toward towards under until up upon via with within without".split())
# Not added right after a preposition: "seen the symbol, in [which the] error message" opens a
# clause the note's words cannot finish (after a comma, "…toolchain, which is far less…" is fine).
RELATIVES = frozenset({"which", "whom", "whose"})
AUXILIARIES = frozenset("is are was were be am do does did have has had".split())
# A coordinator is added only where the note has its own mark, or at a sentence's opening: between
# two words the note runs together it splits one phrase into two ("debug [and] builds", "Kaffir
# [and] Dar-ul-Harb", "a vision of a world without borders[, but] shortly before they fought").
# Read blind, 56 sentences had one added there and none of them was kept.
COORDINATORS = frozenset({"and", "but", "so", "yet"})
# A note that opens with its "not" ("not strength; form of intellectual cowardice") gets a subject
# and then an auxiliary ("It is not…"): an auxiliary alone would open a question ("Is not a
# strength;"), which only a note ending in "?" asks.
OPENING_SUBJECTS = frozenset("it i this that there they we you".split())
# Not added before a note that opens with a name: "EVA another female spy…" is about EVA, and
# restoring had written "He EVA another female spy…".
SUBJECTS = OPENING_SUBJECTS | {"he", "she"}
# A name: written with its capital after a lowercase word or a comma somewhere in the prompt (the
# request's notes are in it), or in capitals; a note's capitalised first word alone is no name.
NAME_IN_TEXT = r"[a-z,;:] {}\b"
# Small words a sentence may end on ("… to it.", "… them too."); never "a", "the", "to", "is".
ENDINGS = frozenset("it them this that these those too again instead though well enough already yet here there "
                    "now then all both either anyway much more most before after once else".split())
DETERMINERS = frozenset("a an the this that these those my your his her its our their".split())
CLITICS = frozenset({"s", "ve", "m", "d", "ll", "re"})
NEGATIONS = {"don't": "do", "doesn't": "does", "didn't": "did", "isn't": "is", "aren't": "are", "wasn't": "was",
             "weren't": "were", "can't": "can", "won't": "will", "wouldn't": "would", "couldn't": "could",
             "shouldn't": "should", "haven't": "have", "hasn't": "has", "hadn't": "had"}
COMMA = ","
MARKS = (",", ";", ":")  # a note's own marks after a word, kept where the note has them
END_MARKS = (".", "?", "!", "…")  # a sentence ends as its note does ("why so dense?") …
OPEN_END = ".?"  # … else with "." or "?", whichever the model finds likelier ("Why not repent like the Jews do?")
EDGE_MARKS = ",;:.!?…\"“”‘’"  # punctuation around a note's words, not part of them
DASHES = frozenset({"-", "–", "—"})
ELLIPSIS = "…"  # standing alone mid-note, kept after the word before it as a dash is ("mitigate it … slightly")
UNBRIDGEABLE = re.compile(r"`|https?://|[\[\](){}<>=*_#/\\|]")


class Decoding(Protocol):
    def decoding(self, prompt: str, *, cancel: Any = None, stats: GenerationStats | None = None) -> Any: ...

    def tokenize(self, text: str, *, bos: bool = True) -> list[int]: ...


@dataclass(frozen=True)
class Hypothesis:
    words: tuple[str, ...]  # what fills the gap so far, each with its leading space (a comma without)
    tokens: tuple[int, ...]
    score: float  # log-probability of `tokens` after the gap's start

    @property
    def small_words(self) -> int:
        return sum(1 for w in self.words if w != COMMA)


@dataclass(frozen=True)
class GapChoice:
    """One gap of a restored sentence: the filling written (small words, the note word, its mark)
    and the model's next-best fillings with how much less likely each is (nats, lookahead
    included; 0 for a filling offered from outside the search, `Restoration.offering`)."""

    written: tuple[str, ...]
    others: tuple[tuple[tuple[str, ...], float], ...] = ()


Switch = tuple[int, int]  # (gap, which of its alternatives)


@dataclass(frozen=True)
class Opening:
    """A sentence's first gap as searched ahead of its request: the filling, its tokens and the
    next-best fillings, for a search that would find the same (same prompt, note and settings)."""

    fill: tuple[str, ...]
    tokens: tuple[int, ...]
    others: tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True)
class Variant:
    text: str
    loss: float  # nats less likely than the model's own restoration, summed over the switches
    switches: tuple[Switch, ...]


@dataclass(frozen=True)
class Restoration:
    """A bridged sentence as its gaps, so that a judge outside the model (the grammar) can pick
    one of the model's own next-best fillings where its best one does not read. The later gaps
    stay as written: the alternatives are local, scored up to the next note word."""

    gaps: tuple[GapChoice, ...]
    author_words: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.switched(())

    def variants(self, base: tuple[Switch, ...] = ()) -> list[Variant]:
        """The sentences that switch one more gap than `base` to one of its alternatives, least
        costly first."""
        taken = {gap for gap, _ in base}
        found = [Variant(self.switched(switches), self.loss(switches), switches)
                 for index, gap in enumerate(self.gaps) if index not in taken
                 for choice in range(len(gap.others))
                 for switches in [(*base, (index, choice))]]
        return sorted(found, key=lambda v: v.loss)

    def switched(self, switches: Sequence[Switch]) -> str:
        fills = self.fills(switches)
        return contract("".join(word for fill in fills for word in fill).strip(), self.author_words)

    def fills(self, switches: Sequence[Switch]) -> list[tuple[str, ...]]:
        """Each gap's filling with `switches` made."""
        chosen = dict(switches)
        return [gap.others[chosen[i]][0] if i in chosen else gap.written for i, gap in enumerate(self.gaps)]

    def puts_back(self, switch: Switch, words: frozenset[str]) -> bool:
        """Whether `switch` fills its gap as written with one word of `words` added, nothing else
        changed ("Boss [ sent]" → "Boss[ was sent]")."""
        gap, choice = switch
        written = [w.strip().lower() for w in self.gaps[gap].written]
        other = [w.strip().lower() for w in self.gaps[gap].others[choice][0]]
        return (len(other) == len(written) + 1
                and any(other[i] in words and other[:i] + other[i + 1:] == written for i in range(len(other))))

    def loss(self, switches: Sequence[Switch]) -> float:
        return sum(self.gaps[gap].others[choice][1] for gap, choice in switches)

    def offering(self, gap: int, fill: tuple[str, ...]) -> tuple[Restoration, Switch]:
        """This restoration with `fill` as one more alternative for `gap`, one the search did not
        weigh (put forward from outside, nominally as likely as the gap's own filling), and the
        switch to it."""
        gaps = list(self.gaps)
        choice = gaps[gap]
        gaps[gap] = GapChoice(choice.written, (*choice.others, (fill, 0.0)))
        return replace(self, gaps=tuple(gaps)), (gap, len(choice.others))


def is_name(word: str, text: str) -> bool:
    """Whether `word` is a name in `text` (`NAME_IN_TEXT`): "EVA", or "Boss" where the notes also
    say "recruited by Boss"."""
    bare = word.strip(EDGE_MARKS)
    if not bare[:1].isupper() or bare.lower() in SUBJECTS:
        return False
    return (len(bare) > 1 and bare.isupper()) or re.search(NAME_IN_TEXT.format(re.escape(bare)), text) is not None


def glue_words(author_words: Sequence[str] = ()) -> list[str]:
    """The small words the model may add: function words and auxiliaries, never a negation,
    plus the contractions of small words the author uses often ("it's", "I've": from their most
    frequent words), so a writer who contracts gets contractions."""
    small = function_word_set() | EXTRA_STOPWORDS
    contracted = {w for w in author_words if "'" in w and not w.endswith("n't")
                  and all(part in small or part in CLITICS for part in w.split("'"))}
    return sorted(w for w in (small | contracted) - NEVER_ADDED if w.isascii())


# Day and month names, which a note may jot in lower case. Not "may" or "march", as often a modal
# and a verb.
CALENDAR_NAME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|april|june|july|august"
    r"|september|october|november|december)\b")


def contract(sentence: str, author_words: Sequence[str]) -> str:
    """The sentence spelt as the author would: "do not" → "don't" where the author's frequent
    words say they write it that way (a note's "not" is kept as a word while bridging), and the
    days and months a note jots in lower case written as names ("on tuesday" → "on Tuesday")."""
    for word in author_words:
        if word.endswith("n't") and word in NEGATIONS:
            sentence = re.sub(rf"\b{NEGATIONS[word]} not\b", word, sentence)
            cap = NEGATIONS[word].capitalize()
            sentence = re.sub(rf"\b{cap} not\b", word.capitalize(), sentence)
    return CALENDAR_NAME.sub(lambda found: found.group(0).capitalize(), sentence)


def note_words(note: str) -> list[str] | None:
    """The words a bridged sentence must contain, verbatim and in order: the note split on spaces,
    with the commas, stops and quotes at their edges left out ("17°C", "70%", "x86-64", "→" stay
    whole). None when the note holds code, links or markup, which a sentence of words would
    mangle (the model then writes freely)."""
    found = note_parts(note)
    return [word for word, _mark in found] if found else None


def note_parts(note: str) -> list[tuple[str, str]] | None:
    """`note_words` with the mark the note puts after each word: "," ";" ":", a dash (" —") or an
    ellipsis (" …"), else "". The author's own punctuation stays in the sentence ("cold kitchen, 17°C, everything
    slow"); the last word's is left to the sentence's end."""
    if UNBRIDGEABLE.search(note):
        return None
    parts: list[tuple[str, str]] = []
    for chunk in note.split():
        if chunk in DASHES or chunk == ELLIPSIS:
            if parts:
                parts[-1] = (parts[-1][0], " " + chunk)
            continue
        word = chunk.strip(EDGE_MARKS)
        if word:
            bare = chunk.rstrip("\"“”‘’)")
            parts.append((word, bare[-1] if bare.endswith(MARKS) else ""))
    if parts:
        parts[-1] = (parts[-1][0], "")
    return parts or None


def surface(word: str, capital: bool) -> str:
    if word == "i" or word.startswith("i'"):
        return "I" + word[1:]
    return word[:1].upper() + word[1:] if capital and word[:1].islower() else word


def fits(before: str, word: str) -> bool:
    """Grammar the beam cannot be trusted with: one determiner at a time ("the an"), and "a"/"an"
    agreeing with the next word's first letter (a spelling rule, close enough for notes)."""
    word = word.lower()
    if before in DETERMINERS and word in DETERMINERS:
        return False
    if before == "a":
        return word[:1] not in "aeiou" or word.startswith(("uni", "use", "one", "eu"))
    if before == "an":
        return (word[:1] in "aeiou" and not word.startswith(("uni", "use", "one", "eu"))) or word.startswith("hour")
    return True


def _shared(tokens: Sequence[int], base: Sequence[int]) -> int:
    """How many leading tokens `tokens` shares with `base`, leaving each at least its last."""
    limit = min(len(tokens), len(base)) - 1
    count = 0
    while count < limit and tokens[count] == base[count]:
        count += 1
    return count


def log_softmax(logits: Any) -> Any:
    import numpy as np

    top = float(logits.max())
    return logits - (top + math.log(float(np.exp(logits - top).sum())))


class Bridge:
    """Writes bridged sentences with one model; token tables are built once per model."""

    def __init__(self, model: Decoding) -> None:
        self._model = weakref.ref(model)  # the bridge must not keep an unloaded model alive
        self._tokens: dict[str, tuple[int, ...]] = {}
        self._glue_for: dict[tuple[str, ...], list[str]] = {}
        self.ledger = Ledger()
        self._openings: OrderedDict[tuple[Any, ...], Opening] = OrderedDict()

    def forget_openings(self) -> None:
        """Drop the first gaps searched ahead (a benchmark times each request from scratch)."""
        self._openings.clear()

    @property
    def model(self) -> Decoding:
        found = self._model()
        if found is None:
            raise ModelError("the model was unloaded")
        return found

    def tokens(self, text: str) -> tuple[int, ...]:
        found = self._tokens.get(text)
        if found is None:
            found = self._tokens[text] = tuple(self.model.tokenize(text, bos=False))
        return found

    def sentence(self, prompt: str, note: str, *, cancel: Any = None, stats: GenerationStats | None = None,
                 glue_ratio: float = 1.0, rates: dict[str, float] | None = None, temperature: float = 0.0,
                 seed: int = -1, on_words: Callable[[str], None] | None = None,
                 credit: float = SMALL_WORD_BONUS, steering: bool = True,
                 prepositions: bool = True) -> str | None:
        """`restore`'s sentence, as text."""
        found = self.restore(prompt, note, cancel=cancel, stats=stats, glue_ratio=glue_ratio, rates=rates,
                             temperature=temperature, seed=seed, on_words=on_words, credit=credit,
                             steering=steering, prepositions=prepositions)
        return None if found is None else found.text

    def restore(self, prompt: str, note: str, *, cancel: Any = None, stats: GenerationStats | None = None,
                glue_ratio: float = 1.0, rates: dict[str, float] | None = None, temperature: float = 0.0,
                seed: int = -1, on_words: Callable[[str], None] | None = None,
                credit: float = SMALL_WORD_BONUS, steering: bool = True,
                prepositions: bool = True, alternatives: bool = False,
                first_gap_only: bool = False) -> Restoration | None:
        """One sentence holding every word of `note` in order, or None if the note cannot be
        bridged (code, links, markup). At temperature 0 (the first answer) each gap takes the
        model's best filling, so the same prompt and note give the same sentence; above 0 (more
        variants) fillings are sampled by their scores, seeded.

        `glue_ratio` is the author's small words per other word (from the vault): a gap that is
        behind that density gets more credit per small word, one that is ahead less. `rates` are
        the author's rates of their frequent words: each small word is credited or charged by
        how far what penna has written lately (`ledger`) is from them. `credit` is the log-probability
        credit per small word: 0 leaves the choice to the model alone, so few words are added.
        `steering` False with `credit` 0 is restoring: the model alone picks the small words (no
        pull toward the author's rates), and a gap stops growing as soon as no longer filling
        can beat the best one found, which makes it nearly as fast as writing freely.
        `prepositions` False adds none (`PREPOSITIONS`): a note's own are where it wants them.
        `alternatives` (at temperature 0) keeps each gap's next-best fillings within
        `ALTERNATIVE_MARGIN`, at the cost of a few more model evaluations per gap.

        `first_gap_only` searches the sentence's first gap and stops: done while the writer picks
        an action from the editor's list, it is kept (for a search that depends only on the prompt,
        the note and the settings: temperature 0, no steering), and the request then starts from
        it, its first words shown after a single model call."""
        found = note_parts(note)
        if found is None:
            return None
        required = [word for word, _mark in found]
        stats = stats if stats is not None else GenerationStats()
        author_words = tuple(sorted(rates or {}))
        glue = self._glue(author_words, prepositions)
        rng = random.Random(seed if seed >= 0 else None)
        parts: list[str] = []
        gaps: list[GapChoice] = []
        small = content = 0  # the sentence's small words (the note's own too) and other words so far
        small_words = function_word_set() | EXTRA_STOPWORDS
        counts = dict(self.ledger.counts)
        end = note.rstrip()[-1] if note.rstrip().endswith(END_MARKS) else OPEN_END
        opens_with_name = bool(required) and is_name(required[0], prompt)
        opening_key = ((prompt, note, author_words, glue_ratio, credit, prepositions, alternatives)
                       if temperature <= 0 and not steering else None)
        with self.model.decoding(prompt, cancel=cancel, stats=stats) as (decoder, prompt_logits):
            logits = prompt_logits  # after the prompt, then after each gap and note word written
            for gap in range(len(required) + 1):
                at_start = not parts
                last = gap == len(required)
                target = end if last else required[gap]
                # Density counts the whole sentence: a note that is prose already gets few additions.
                ahead = 0.5 if not last and target.lower() not in small_words else 0.0
                owed = glue_ratio * (content + ahead) - small
                bonus = credit + (PACE * max(-1.0, min(1.0, owed)) if credit > 0 else 0.0)
                steer = (_steering(glue, rates or {}, counts, self.ledger.words + len(parts) + 1) if steering
                         else dict.fromkeys(glue, 0.0))
                if at_start and steering:  # "This is … This is … This is": the small model's favourite habit
                    steer = {w: v - (REPEAT_OPENING if w in self.ledger.openings else 0.0) for w, v in steer.items()}
                previous = parts[-1].strip().lower() if parts else ""
                search = functools.partial(
                    self._gap, decoder, logits, target, at_start=at_start, last=last, bonus=bonus,
                    previous=COMMA if previous.endswith((*MARKS, *DASHES, ELLIPSIS)) else previous,
                    steer=steer, temperature=temperature, rng=rng, prune=not steering and bonus <= 0,
                    following=None if last else _following(found, gap, end[0]),
                    alternatives=alternatives and temperature <= 0, question=end == "?",
                    subject=not (at_start and opens_with_name))
                fill, logits, others = self._kept_or_searched(decoder, opening_key if at_start else None, search)
                for w in fill:
                    if w != COMMA and w not in END_MARKS:
                        counts[w.strip().lower()] = counts.get(w.strip().lower(), 0.0) + 1
                small += sum(1 for w in fill if w != COMMA) - (0 if last else 1)
                if not last:
                    small, content = (small + 1, content) if target.lower() in small_words else (small, content + 1)
                    mark = found[gap][1]
                    if mark:  # the note's own comma or dash after this word: written as the note has it
                        fill[-1] += mark
                        others = [([*filling[:-1], filling[-1] + mark], loss) for filling, loss in others]
                        logits = decoder.feed(self.tokens(mark))
                        decoder.generated(len(self.tokens(mark)))
                parts += fill
                gaps.append(GapChoice(tuple(fill), tuple((tuple(w), loss) for w, loss in others)))
                if on_words is not None and not last:
                    on_words("".join(parts).strip())  # the editor shows the sentence as it grows
                if first_gap_only:
                    break
        return Restoration(tuple(gaps), author_words)

    def sentence_scores(self, prompt: str, texts: Sequence[str], *, cancel: Any = None,
                        stats: GenerationStats | None = None) -> list[float]:
        """The model's log-probability of each of `texts` as the sentence that follows `prompt`,
        every token given all the tokens before it. A restoration scores each gap with only the
        next note word ahead ("Boss [ ] sent on": bare "sent" wins there); here a filling is judged
        with the whole sentence after it ("Boss was sent on a double-agent mission…" is likelier).
        The texts after the first are its variants: each is evaluated only from where its tokens
        part from the first's (from the last they share, whose logits are not kept), the later
        partings first, so the first's cells before each parting are still live.
        ModelError for a text longer than one of llama.cpp's batches, or than the window holds."""
        if not texts:
            return []
        with self.model.decoding(prompt, cancel=cancel, stats=stats) as (decoder, prompt_logits):
            first = log_softmax(prompt_logits)
            start = decoder.position
            tokenized = [self.model.tokenize(" " + text, bos=False) for text in texts]
            base = tokenized[0]
            each = [float(first[base[0]]), *self._token_scores(decoder, start, base)]
            before = [0.0]  # log-probability of the first text's first k tokens, at k
            for value in each:
                before.append(before[-1] + value)
            found = [0.0] * len(texts)
            found[0] = before[-1]
            shares = [_shared(tokens, base) for tokens in tokenized]
            for index in sorted(range(1, len(texts)), key=lambda i: shares[i], reverse=True):
                tokens, shared = tokenized[index], shares[index]
                if tokens == base:
                    found[index] = found[0]
                elif shared == 0:
                    found[index] = float(first[tokens[0]]) + self._token_scores(decoder, start, tokens, total=True)
                else:
                    found[index] = before[shared] + self._token_scores(decoder, start + shared - 1,
                                                                       tokens[shared - 1:], total=True)
            decoder.rewind(start)
        return found

    @staticmethod
    def _token_scores(decoder: Decoder, position: int, tokens: Sequence[int], *, total: bool = False) -> Any:
        """Log-probabilities of `tokens[1:]` evaluated from `position` (each, or their sum)."""
        decoder.rewind(position)
        if len(tokens) < 2:
            return 0.0 if total else []
        try:
            each = decoder.token_scores(tokens, 1)
        except ValueError as error:  # longer than one batch: checked before anything is evaluated
            decoder.rewind(position)
            raise ModelError(f"a sentence of {len(tokens)} tokens is too long to score at once") from error
        return sum(each) if total else each

    def _kept_or_searched(self, decoder: Decoder, key: tuple[Any, ...] | None,
                          search: Callable[[], tuple[list[str], Any, list[tuple[list[str], float]]]],
                          ) -> tuple[list[str], Any, list[tuple[list[str], float]]]:
        """A sentence's first gap (`key` given: its prompt, note and settings) as an earlier
        search found it, fed in one model call; else searched now, and kept."""
        kept = self._openings.get(key) if key is not None else None
        if kept is not None:
            logits = decoder.feed(kept.tokens)
            decoder.generated(len(kept.tokens))
            return list(kept.fill), logits, [(list(w), loss) for w, loss in kept.others]
        fill, logits, others = search()
        if key is not None:
            self._openings[key] = Opening(tuple(fill), tuple(t for w in fill for t in self.tokens(w)),
                                          tuple((tuple(w), loss) for w, loss in others))
            while len(self._openings) > OPENINGS_KEPT:
                self._openings.popitem(last=False)
        return fill, logits, others

    def _glue(self, author_words: tuple[str, ...], prepositions: bool) -> list[str]:
        glue = self._glue_for.get(author_words)
        if glue is None:
            glue = self._glue_for[author_words] = glue_words(author_words)
        return glue if prepositions else [w for w in glue if w not in PREPOSITIONS]

    def _target(self, word: str, capital: bool) -> str:
        return word if word in END_MARKS else " " + surface(word, capital)

    def _finishes(self, target: str, capital: bool) -> tuple[str, ...]:
        """The ways to write `target`: the word itself, or for an open end "." and "?"."""
        return tuple(OPEN_END) if target == OPEN_END else (self._target(target, capital),)

    def _gap(self, decoder: Decoder, logits: Any, target: str, *, at_start: bool, last: bool, bonus: float,
             previous: str, steer: dict[str, float], temperature: float = 0.0,
             rng: random.Random | None = None, prune: bool = False,
             following: str | None = None, alternatives: bool = False,
             question: bool = False, subject: bool = True) -> tuple[list[str], Any, list[tuple[list[str], float]]]:
        """The best way to fill one gap and then write `target` (a note word, or the end): a beam
        search over small words, each hypothesis scored with the model's log-probabilities plus
        `bonus` per small word, finished by the target's first token; the finished ones are then
        ranked with the rest of the target's tokens and what follows it in the note (`following`:
        the next word whole, the note's mark, or the end), so "in error" does not beat "in an error"
        before "message", nor "is not" "does not" before "have". Commits the winner and returns its
        words, the logits after it and (if `alternatives`) the next-best fillings within
        `ALTERNATIVE_MARGIN` with their losses."""
        start = decoder.position
        ahead = _Lookahead(self, decoder, start, following)
        negation = target.lower() in NEGATION_WORDS
        negated = previous in NEGATION_WORDS
        depth_limit = (TAIL_WORDS if last else OPENING_WORDS if at_start else 1 if negation or negated
                       else GAP_WORDS)
        beam = [(Hypothesis((), (), 0.0), log_softmax(logits))]
        finished: list[Hypothesis] = []
        for depth in range(depth_limit + 1):
            expansions: list[Hypothesis] = []
            for hypothesis, logp in beam:
                words_in = hypothesis.words
                capital = at_start and not words_in
                after = (words_in[-1] if words_in else previous).strip().lower()
                if not (last and (capital or after == COMMA or (words_in and after not in ENDINGS))) \
                        and fits(after, target):
                    for finish in self._finishes(target, capital):
                        total = hypothesis.score + float(logp[self.tokens(finish)[0]]) + bonus * hypothesis.small_words
                        finished.append(Hypothesis((*words_in, finish), hypothesis.tokens + self.tokens(finish), total))
                if depth == depth_limit:
                    continue
                options = _options(steer, after, capital=capital, negation=negation, negated=negated, last=last,
                                   question=question, join=at_start or previous == COMMA, subject=subject)
                # Before a note's "not" every auxiliary is tried: the lookahead to the verb after
                # it decides between "is not", "does not" and "did not".
                ranked = sorted(options, key=lambda o: float(logp[self.tokens(o)[0]]) + options[o],
                                reverse=True)[:len(AUXILIARIES) if negation else EXPAND]
                expansions.extend(
                    Hypothesis((*words_in, option), hypothesis.tokens + self.tokens(option),
                               hypothesis.score + float(logp[self.tokens(option)[0]]) + options[option])
                    for option in ranked)
            expansions.sort(key=lambda h: h.score + bonus * h.small_words, reverse=True)
            if prune and finished and temperature <= 0 and expansions and \
                    expansions[0].score < ahead.best(finished).score:
                break  # scores only fall as words are added: no longer filling can win now
            beam = []
            for hypothesis in expansions[:len(AUXILIARIES) if negation else BEAM]:
                decoder.rewind(start)
                beam.append((hypothesis, log_softmax(decoder.feed(hypothesis.tokens))))
                ahead.fed = None
            if not beam:
                break
        if not finished:  # the note itself breaks a rule ("a apple"): its words win over grammar
            finish = self._finishes(target, at_start)[0]
            finished.append(Hypothesis((finish,), self.tokens(finish), 0.0))
        chosen = ahead.choose(finished, temperature, rng)
        others = ahead.others(chosen, finished) if alternatives else []
        logits = ahead.commit(chosen)
        decoder.generated(len(chosen.tokens))
        return list(chosen.words), logits, others


def _options(steer: dict[str, float], after: str, *, capital: bool, negation: bool, negated: bool,
             last: bool, question: bool = False, join: bool = True, subject: bool = True) -> dict[str, float]:
    """The small words (with their steering) that may come next in a gap after `after`. Before a
    note's "not" only an auxiliary, or at a statement's opening a subject first (`OPENING_SUBJECTS`);
    a coordinator only where the gap may `join` two parts (`COORDINATORS`); no subject pronoun
    where the note opens with its own subject, a name (`subject` False)."""
    before_not = OPENING_SUBJECTS if capital and not question else AUXILIARIES
    options = {" " + surface(w, capital): value for w, value in steer.items()
               if w != after and fits(after, w) and (not negation or w in before_not)
               and (not negated or w in AFTER_NEGATION)
               and not (w in RELATIVES and after in PREPOSITIONS)
               and (join or w not in COORDINATORS) and (subject or w not in SUBJECTS)}
    if not capital and after != COMMA and not last:
        options[COMMA] = 0.0
    return options


def _following(parts: Sequence[tuple[str, str]], gap: int, end: str, words: int = LOOKAHEAD_WORDS) -> str:
    """What the note puts right after its word number `gap`: up to `words` next words, ending at
    the note's own mark or the sentence's end where one comes first."""
    text = ""
    for index in range(gap, gap + words):
        mark = parts[index][1].strip()
        if mark:
            return text + (mark if mark in MARKS else " " + mark)
        if index + 1 == len(parts):
            return text + end
        text += " " + surface(parts[index + 1][0], False)
    return text


class _Lookahead:
    """Scores finished fillings of one gap with the log-probability of what the note puts next,
    lazily: a filling's model score only falls when the lookahead is added, so fillings are
    rescored best first and the rest skipped once none can win."""

    def __init__(self, bridge: Bridge, decoder: Decoder, start: int, following: str | None) -> None:
        self.bridge = bridge
        self.decoder = decoder
        self.start = start
        self.following = bridge.tokens(following) if following else None
        self.known: dict[tuple[int, ...], float] = {}
        self.fed: tuple[int, ...] | None = None  # the tokens of the decoder's last evaluation, if it was ours
        self.logits: Any = None  # … and the logits after them

    def total(self, hypothesis: Hypothesis) -> Hypothesis:
        """`hypothesis` with the log-probability of the rest of its note word (its score has
        only the first token) and of what follows it in the note."""
        if self.following is None:
            return hypothesis
        found = self.known.get(hypothesis.tokens)
        if found is None:
            self.decoder.rewind(self.start)
            first = len(hypothesis.tokens) - len(self.bridge.tokens(hypothesis.words[-1])) + 1
            found, self.logits = self.decoder.score(hypothesis.tokens + self.following, first,
                                                    len(hypothesis.tokens))
            self.fed = hypothesis.tokens
            self.known[hypothesis.tokens] = found
        return Hypothesis(hypothesis.words, hypothesis.tokens, hypothesis.score + found)

    def commit(self, chosen: Hypothesis) -> Any:
        """Leave the decoder after `chosen` and return the logits there. When its lookahead was
        the last evaluation (the usual case) they are at hand: the decoder rewinds past the
        lookahead's tokens, and nothing is evaluated again."""
        if self.fed == chosen.tokens:
            self.decoder.rewind(self.start + len(chosen.tokens))
        else:
            self.decoder.rewind(self.start)
            self.logits = self.decoder.feed(chosen.tokens)
        return self.logits

    def best(self, finished: Sequence[Hypothesis]) -> Hypothesis:
        best: Hypothesis | None = None
        for hypothesis in sorted(finished, key=lambda h: h.score, reverse=True):
            if best is not None and hypothesis.score <= best.score:
                break
            scored = self.total(hypothesis)
            if best is None or scored.score > best.score:
                best = scored
        assert best is not None
        return best

    def others(self, chosen: Hypothesis, finished: Sequence[Hypothesis]) -> list[tuple[list[str], float]]:
        """The next-best fillings after `chosen` (the best), within `ALTERNATIVE_MARGIN` of it
        with their lookahead, each with how many nats less likely it is."""
        best = chosen.score  # `choose` gave it with its lookahead
        found: list[tuple[list[str], float]] = []
        ranked = [h for h in sorted(finished, key=lambda h: h.score, reverse=True) if h.tokens != chosen.tokens]
        for hypothesis in ranked[:SAMPLED_LOOKAHEADS]:
            if hypothesis.score < best - ALTERNATIVE_MARGIN:
                break  # scores only fall with the lookahead: none further down comes within the margin
            loss = best - self.total(hypothesis).score
            if loss <= ALTERNATIVE_MARGIN:
                found.append((list(hypothesis.words), loss))
        return sorted(found, key=lambda f: f[1])[:ALTERNATIVES_PER_GAP]

    def choose(self, finished: Sequence[Hypothesis], temperature: float, rng: random.Random | None) -> Hypothesis:
        """The best filling; above temperature 0 one sampled among the few best by model score."""
        if temperature <= 0 or rng is None:
            return self.best(finished)
        top = sorted(finished, key=lambda h: h.score, reverse=True)[:SAMPLED_LOOKAHEADS]
        return _choose([self.total(h) for h in top], temperature, rng)


def _choose(finished: Sequence[Hypothesis], temperature: float, rng: random.Random | None) -> Hypothesis:
    best = max(finished, key=lambda h: h.score)
    if temperature <= 0 or rng is None or len(finished) == 1:
        return best
    weights = [math.exp((h.score - best.score) / temperature) for h in finished]
    return rng.choices(list(finished), weights=weights)[0]


class Ledger:
    """The words penna wrote lately (all tasks, this process), fading: a paragraph is too short
    to tell whether "so" or "which" is under-used against the author, a few hundred words are not."""

    def __init__(self, memory_words: float = LEDGER_WORDS) -> None:
        self.memory = memory_words
        self.counts: dict[str, float] = {}
        self.words = 0.0
        self.openings: list[str] = []  # first words of the last two sentences

    def observe(self, text: str) -> None:
        found = split_words(text)  # the tokenizer the author's word rates were counted with
        if found:
            self.openings = [found[0], *self.openings][:2]
        fade = math.exp(-len(found) / self.memory)
        self.counts = {w: c * fade for w, c in self.counts.items() if c * fade > 0.01}
        self.words = self.words * fade + len(found)
        for w in found:
            self.counts[w] = self.counts.get(w, 0.0) + 1


def _steering(glue: Sequence[str], rates: dict[str, float], counts: dict[str, float], words: float) -> dict[str, float]:
    """Per small word, credit when penna has used it less than the author would have in as many
    words, and a charge when more: a word the author rarely uses, used again, costs."""
    steer = {}
    for w in glue:
        owed = rates.get(w, 0.0) * words - counts.get(w, 0.0)
        steer[w] = STEER * max(-3.0, min(2.0, owed))
    return steer


_BRIDGES: weakref.WeakKeyDictionary[Any, Bridge] = weakref.WeakKeyDictionary()


def bridge_for(model: object) -> Bridge | None:
    """The model's bridge, if it decodes token by token (`Backend.decodes_tokens`: a local model;
    a model server only streams text). One per model, so its ledger lasts as long as the model
    and goes when the model is unloaded."""
    if not (isinstance(model, Backend) and model.decodes_tokens and isinstance(model, TokenDecoding)):
        return None
    found = _BRIDGES.get(model)
    if found is None:
        found = _BRIDGES[model] = Bridge(model)
    return found
