"""Is a sentence grammatical? Asked of CMU's Link Grammar parser, never of the model that writes.

A model rates its own favourite word sequences as fluent, so a writer that selects by the
model's scores drifts into sentences only the model likes. Link Grammar is a separate,
rule-based parser: it links the words of a sentence by English grammar and reports how many
words it could not link (`unattached`). Technical terms and symbols cost a few, fragments and
word salad many; compare candidates for the same note, or a text with its author's own.

Link Grammar comes from Debian's packages (`link-grammar`, `python3-link-grammar`), which install
the binding for the system Python; a virtual environment on the same Python version can import
it from there. Without it `available()` is False and every sentence is judged as unknown (None):
penna then chooses sentences on meaning and voice alone, and says so in `penna model`.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import logging
import re
import sys
import threading
from typing import Any

from penna.vault.text import sentences, words

log = logging.getLogger("penna.grammar")

SYSTEM_SITE = ("/usr/lib/python3/dist-packages",)
MAX_NULLS = 8  # beyond this many unattached words a sentence is word salad; no need to count exactly
# Linkages post-processed per null count before Link Grammar tries one more null. With 1, a single
# randomly sampled linkage that fails post-processing made a grammatical sentence count as
# several words unattached ("Some models are trained on larger contexts, and their effective
# context length is much smaller." scored 5; with 100 it scores 0).
LINKAGE_LIMIT = 100
PARSE_SECONDS = 1  # per sentence; a long sentence that runs out of time is judged unknown
LONG_SENTENCE_WORDS = 40  # longer sentences are split at their semicolons and dashes first
MARKUP = re.compile(r"[`*_\[\]#<>|]")
# A sentence that no linkage reads as a clause (no finite verb, imperative, question or opening
# conjunction at the wall) is a fragment: a bare noun phrase ("Minimal template use.", Wa), a
# participle phrase ("Tried it.", Wg) or a bare prepositional phrase ("For code 2k lines
# token-dense.", Wl). Link Grammar links every word of these; a fragment counts as this many
# unattached words.
FRAGMENT_COST = 2
CLAUSE_WALLS = ("Wi", "Wc", "Wq", "Ws", "Wj", "Wv", "CP")
GUESSED = ("[!", "[?]", "[~")  # how the parser marks a word it does not know, given a part of speech by its form
UNITS = ((re.compile(r"(\d)\s?°\s?[CF]\b"), r"\1 degrees"), (re.compile(r"(\d)\s?%"), r"\1 percent"))


@functools.cache
def _binding() -> Any | None:
    try:
        return importlib.import_module("linkgrammar")
    except ImportError:
        pass
    for folder in SYSTEM_SITE:
        if folder not in sys.path:
            sys.path.append(folder)
            try:
                return importlib.import_module("linkgrammar")
            except ImportError:
                continue
            finally:
                sys.path.remove(folder)
    log.info("Link Grammar is not installed: sentences are chosen without a grammar check")
    return None


class _Parser:
    def __init__(self, binding: Any) -> None:
        self.binding = binding
        # The library prints its notes on stdout, which is the CLI's output: send them to the log.
        binding.LG_Error.set_handler(lambda error, _data: log.debug("link-grammar: %s", error))
        self.dictionary = binding.Dictionary("en")
        self.options = binding.ParseOptions(max_null_count=MAX_NULLS, linkage_limit=LINKAGE_LIMIT,
                                            max_parse_time=PARSE_SECONDS, verbosity=0)
        self.lock = threading.Lock()  # one dictionary, parsed from one thread at a time
        atexit.register(self.close)  # the binding's finaliser fails if it runs during interpreter shutdown

    def close(self) -> None:
        with self.lock:
            self.dictionary = None

    def unattached(self, sentence: str) -> int | None:
        with self.lock:
            if self.dictionary is None:
                return None
            try:
                parsed = self.binding.Sentence(sentence, self.dictionary, self.options)
                linkages = parsed.parse()
                if len(linkages) == 0:
                    return MAX_NULLS  # nothing parsed within the allowed nulls
                # The first linkage is not always the reading a person would choose ("The Boss told
                # Snake that…" can come first as a bare noun phrase): look on until one is a clause.
                fragment = not any(map(_clause, linkages))
                return int(parsed.null_count()) + (FRAGMENT_COST if fragment else 0)
            except Exception:  # noqa: BLE001 — a timeout or an internal error: unknown, not a crash
                return None


def _clause(linkage: Any) -> bool:
    """A linkage that reads the sentence as a clause: a finite verb linked as a clause's head (WV,
    from the wall or from a conjunction joining clauses), or at the wall an imperative, a question,
    a conjunction opening a clause or reported speech. A head the parser only guessed is no verb
    ("…GGUF quantizers." read with "quantizers" as one)."""
    for link in linkage.links():
        at_wall = link.left_word == "LEFT-WALL"
        label = link.left_label
        if ("WV" in label or (at_wall and any(kind in label for kind in CLAUSE_WALLS))) \
                and not any(mark in link.right_word for mark in GUESSED):
            return True
    return False


@functools.cache
def _parser() -> _Parser | None:
    binding = _binding()
    if binding is None:
        return None
    try:
        binding.Sentence  # noqa: B018 — the attribute a broken install lacks
        return _Parser(binding)
    except Exception as error:  # noqa: BLE001 — a broken dictionary must not stop penna
        log.warning("Link Grammar could not start: %s", error)
        return None


def available() -> bool:
    return _parser() is not None


def _prepare(sentence: str) -> str:
    # Markup and curly quotes are not grammar; the parser should see the words a reader sees.
    text = MARKUP.sub(" ", sentence)
    text = text.replace("’", "'").replace("“", '"').replace("”", '"').replace("—", " -- ").replace("–", " -- ")
    for pattern, plain in UNITS:  # the dictionary does not know "17°C"; it knows "17 degrees"
        text = pattern.sub(plain, text)
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=4096)
def unattached(sentence: str) -> int | None:
    """Words of `sentence` the grammar cannot link (0 for a clean parse), or None if unknown."""
    parser = _parser()
    text = _prepare(sentence)
    if parser is None or not words(text):
        return None
    if len(text.split()) <= LONG_SENTENCE_WORDS:
        return parser.unattached(text)
    total = 0
    for clause in re.split(r";| -- ", text):
        if not clause.strip():
            continue
        found = parser.unattached(clause.strip())
        if found is None:
            return None
        total += found
    return total


def unattached_per_100_words(text: str) -> tuple[float, int] | None:
    """A text's unattached words per 100 words, over the sentences that could be judged, with
    how many words were judged; None if none could be."""
    nulls = judged = 0
    for sentence in sentences(text):
        found = unattached(sentence)
        if found is None:
            continue
        nulls += found
        judged += len(sentence.split())
    return (100.0 * nulls / judged, judged) if judged else None
