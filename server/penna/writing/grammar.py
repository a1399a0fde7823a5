"""Is a sentence grammatical? Asked of CMU's Link Grammar parser, never of the model that writes.

A model rates its own favourite word sequences as fluent, so a writer that selects by the
model's scores drifts into sentences only the model likes. Link Grammar is a separate,
rule-based parser: it links the words of a sentence by English grammar and reports how many
words it could not link (`unattached`). Technical terms and symbols cost a few, fragments and
word salad many; compare candidates for the same note, or a text with its author's own.

Link Grammar comes from Debian's packages (`link-grammar`: the library and its English
dictionary), called through ctypes so that a parse lets the server's other threads run (see
`_Library`). Without it `available()` is False and every sentence is judged as unknown (None):
penna then chooses sentences on meaning and voice alone, and says so in `penna model`.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import logging
import re
import threading
from typing import Any

from penna.vault.text import sentences, words

log = logging.getLogger("penna.grammar")

LIBRARY_NAMES = ("link-grammar",)  # liblink-grammar.so.5, from Debian's link-grammar packages
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
# The dictionary reads "do not" more surely than "don't": "By Occam's Razor, don't feel the need."
# left a word unattached where "do not" left none. A sentence is judged with its "n't" written out,
# so that spelling a negation as the author does never changes its grammar.
# Not before a subject: a question's inverted "Why doesn't it work?" reads as the dictionary
# knows it, and "Does not it work?" would not; nor "ain't", which has no written-out form.
NOT_CONTRACTED = re.compile(
    r"\b(?!ain't)(\w+)n't\b(?!\s+(?:i|you|he|she|it|we|they|there|this|that|these|those|the|a|an|my|your|his|her|its"
    r"|our|their|anyone|anybody|anything|someone|somebody|everyone|everybody|one)\b)", re.IGNORECASE)
IRREGULAR_NOT = {"ca": "can", "wo": "will", "sha": "shall"}


class _Library:
    """The parser's C library through ctypes, which lets go of Python's lock (the GIL) during each
    call: a parse takes up to a second (tens of milliseconds for a long sentence), and through the
    Python binding Debian ships (SWIG, built without thread support) it held the lock throughout,
    so the server's other requests waited for every parse of a generation running beside them."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        pointer, size, text = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
        for name, result, arguments in (
                ("dictionary_create_lang", pointer, [text]), ("dictionary_delete", None, [pointer]),
                ("parse_options_create", pointer, []), ("parse_options_timer_expired", ctypes.c_bool, [pointer]),
                ("sentence_create", pointer, [text, pointer]), ("sentence_delete", None, [pointer]),
                ("sentence_parse", ctypes.c_int, [pointer, pointer]),
                ("sentence_null_count", ctypes.c_int, [pointer]),
                ("sentence_num_valid_linkages", ctypes.c_int, [pointer]),
                ("linkage_create", pointer, [size, pointer, pointer]), ("linkage_delete", None, [pointer]),
                ("linkage_get_num_links", size, [pointer]), ("linkage_get_link_lword", size, [pointer, size]),
                ("linkage_get_link_rword", size, [pointer, size]), ("linkage_get_link_llabel", text, [pointer, size]),
                ("linkage_get_word", text, [pointer, size]), ("lg_error_set_handler", pointer, [pointer, pointer])):
            function = getattr(lib, name)
            function.restype, function.argtypes = result, arguments
        for name, kind in (("verbosity", ctypes.c_int), ("linkage_limit", ctypes.c_int),
                           ("min_null_count", ctypes.c_int), ("max_null_count", ctypes.c_int),
                           ("islands_ok", ctypes.c_bool), ("short_length", ctypes.c_int),
                           ("all_short_connectors", ctypes.c_bool), ("display_morphology", ctypes.c_int),
                           ("spell_guess", ctypes.c_int), ("use_sat_parser", ctypes.c_bool),
                           ("max_parse_time", ctypes.c_int), ("repeatable_rand", ctypes.c_bool),
                           ("test", text), ("debug", text), ("dialect", text)):
            function = getattr(lib, f"parse_options_set_{name}")
            function.restype, function.argtypes = None, [pointer, kind]
        self.lib = lib


def _links(lib: Any, linkage: int) -> list[tuple[bool, str, str]]:
    """Per link of a linkage: from the wall?, its left label, the word on its right."""
    found = []
    for index in range(lib.linkage_get_num_links(linkage)):
        left = lib.linkage_get_word(linkage, lib.linkage_get_link_lword(linkage, index)) or b""
        right = lib.linkage_get_word(linkage, lib.linkage_get_link_rword(linkage, index)) or b""
        label = lib.linkage_get_link_llabel(linkage, index) or b""
        found.append((left == b"LEFT-WALL", label.decode("utf-8", "replace"), right.decode("utf-8", "replace")))
    return found


class _Parser:
    def __init__(self, library: _Library) -> None:
        lib = self.lib = library.lib
        # The library prints its notes on stdout, which is the CLI's output: they are dropped.
        self._quiet = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)(lambda _error, _data: None)
        lib.lg_error_set_handler(ctypes.cast(self._quiet, ctypes.c_void_p), None)
        self.dictionary = lib.dictionary_create_lang(b"en")
        if not self.dictionary:
            raise RuntimeError("the English dictionary of Link Grammar could not be read")
        self.options = lib.parse_options_create()
        # The options Link Grammar's own Python binding sets, so that parses are the ones it gave.
        for name, value in (("verbosity", 0), ("linkage_limit", LINKAGE_LIMIT), ("min_null_count", 0),
                            ("max_null_count", MAX_NULLS), ("islands_ok", False), ("short_length", 16),
                            ("all_short_connectors", False), ("display_morphology", 1), ("spell_guess", 0),
                            ("use_sat_parser", False), ("max_parse_time", PARSE_SECONDS), ("repeatable_rand", True),
                            ("test", b""), ("debug", b""), ("dialect", b"")):
            getattr(lib, f"parse_options_set_{name}")(self.options, value)
        self.lock = threading.Lock()  # one dictionary, parsed from one thread at a time
        atexit.register(self.close)

    def close(self) -> None:
        with self.lock:
            if self.dictionary:
                self.lib.dictionary_delete(self.dictionary)
            self.dictionary = None

    def unattached(self, sentence: str) -> int | None:
        found = self.parse(sentence)
        return None if found is None else found[0] + (FRAGMENT_COST if found[1] else 0)

    def parse(self, sentence: str) -> tuple[int, bool] | None:
        """The words no linkage attaches, and whether no linkage reads a clause (a fragment); None
        if unknown (a parse error or out of time)."""
        lib = self.lib
        with self.lock:
            if not self.dictionary:
                return None
            handle = lib.sentence_create(sentence.encode("utf-8"), self.dictionary)
            if not handle:
                return None
            try:
                if lib.sentence_parse(handle, self.options) < 0 or lib.parse_options_timer_expired(self.options):
                    return None  # a parse error or out of time: unknown, not a crash
                count = lib.sentence_num_valid_linkages(handle)
                if count == 0:
                    return MAX_NULLS, False  # nothing parsed within the allowed nulls: word salad, counted once
                fragment = not any(self._reads_a_clause(handle, index) for index in range(count))
                return int(lib.sentence_null_count(handle)), fragment
            finally:
                lib.sentence_delete(handle)

    def _reads_a_clause(self, sentence: int, index: int) -> bool:
        linkage = self.lib.linkage_create(index, sentence, self.options)
        if not linkage:
            return False
        try:
            return _clause(_links(self.lib, linkage))
        finally:
            self.lib.linkage_delete(linkage)


def _clause(links: list[tuple[bool, str, str]]) -> bool:
    """A linkage that reads the sentence as a clause: a finite verb linked as a clause's head (WV,
    from the wall or from a conjunction joining clauses), or at the wall an imperative, a question,
    a conjunction opening a clause or reported speech. A head the parser only guessed is no verb
    ("…GGUF quantizers." read with "quantizers" as one)."""
    return any(("WV" in label or (at_wall and any(kind in label for kind in CLAUSE_WALLS)))
               and not any(mark in head for mark in GUESSED) for at_wall, label, head in links)


@functools.cache
def _parser() -> _Parser | None:
    path = next((found for name in LIBRARY_NAMES if (found := ctypes.util.find_library(name))), None)
    if path is None:
        log.info("Link Grammar is not installed: sentences are chosen without a grammar check")
        return None
    try:
        return _Parser(_Library(path))
    except (OSError, AttributeError, RuntimeError) as error:  # a broken install must not stop penna
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
    text = NOT_CONTRACTED.sub(_not_written_out, text)
    return re.sub(r"\s+", " ", text).strip()


def _not_written_out(found: re.Match[str]) -> str:
    stem = found.group(1)
    plain = IRREGULAR_NOT.get(stem.lower(), stem)
    if stem.isupper() and len(stem) > 1:
        return plain.upper() + " NOT"
    return (plain.capitalize() if stem[:1].isupper() else plain) + " not"


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


@functools.lru_cache(maxsize=4096)
def clause(text: str) -> bool | None:
    """Whether the parser reads `text` (a sentence, or a part of one) as a clause with every word
    attached; None if unknown."""
    parser = _parser()
    prepared = _prepare(text)
    if parser is None or not words(prepared):
        return None
    found = parser.parse(prepared)
    return None if found is None else found == (0, False)


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
