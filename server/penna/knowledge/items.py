"""What each of the four Ps returns: items with their sources, ready to show or to budget."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from penna.knowledge.style import function_word_set
from penna.vault.text import words

# Words that carry no topic: function words plus a few frequent verbs and fillers.
EXTRA_STOPWORDS = frozenset(
    "is are was were be been being am do does did done have has had having get got make made "
    "thing things something anything lot lots way ways also use used using like just really".split()
)
KEEP_WORDS = frozenset({"not", "no", "never", "without"})  # negation changes meaning: keep it


@dataclass(frozen=True)
class Item:
    text: str
    source: str | None = None  # vault-relative path of the note it came from
    origin: str | None = None  # "read" | "written"
    label: str = ""  # what kind of item: exemplar, stance, recent, passage, …
    score: float = 0.0


@dataclass
class Section:
    name: str  # participatory | procedural | perspectival | propositional
    title: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # remarks for the viewer (e.g. "no profile note")


def is_stopword(word: str) -> bool:
    return word in function_word_set() or word in EXTRA_STOPWORDS


def content_words(text: str) -> list[str]:
    """Topic-bearing words, lower-cased, in order, negation kept."""
    return [w for w in words(text) if w in KEEP_WORDS or (len(w) > 1 and not is_stopword(w))]


def query_terms(*texts: str, limit: int = 24) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        for word in content_words(text):
            if word not in KEEP_WORDS and len(word) > 2:
                seen.setdefault(word, None)
    return list(seen)[:limit]


def notes_from_sentence(sentence: str) -> str:
    """A sentence reduced to terse notes: its content words in order, the phrasing dropped.

    Used both to show the model how this author turns notes into sentences (few-shot pairs built
    from the author's own paragraphs) and, in `penna eval`, to derive bullets from held-out text.
    Numbers are kept; case is kept for names.
    """
    kept: list[str] = []
    for position, token in enumerate(re.findall(r"[^\W_]+(?:['’.-][^\W_]+)*", sentence)):
        lower = token.lower().replace("’", "'")
        if token[0].isdigit() or lower in KEEP_WORDS or (len(lower) > 1 and not is_stopword(lower)):
            # A capital that only marks the sentence start is not a name.
            kept.append(lower if position == 0 and token.istitle() else token)
    return " ".join(kept)
