"""Output cleanup: what the model says that is not the author's prose.

Think-blocks, chat preambles ("Sure, here's…"), echoes of the prompt's labels, a trailing
half-sentence, and whole runs copied from the prompt's exemplars (penna paraphrases, it does
not paste).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from penna.vault.text import words

THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
PREAMBLE = re.compile(
    r"^\s*(?:sure|certainly|of course|okay|ok|absolutely|here(?:'s| is| are))\b[^\n:]*(?::|\.|!)\s*",
    re.IGNORECASE,
)
LABEL = re.compile(r"^\s*(?:Notes?|Text|Paragraph|Draft|Answer|Output)\s*:\s*", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
COPY_RUN_LIMIT = 10  # words in a row shared with an exemplar before we call it a copy


def strip_noise(text: str) -> str:
    text = THINK.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = PREAMBLE.sub("", text, count=1) if PREAMBLE.match(text) and _looks_like_preamble(text) else text
        text = LABEL.sub("", text, count=1)
    return text.strip()


def _looks_like_preamble(text: str) -> bool:
    first = text.strip().split("\n", 1)[0].lower()
    return any(p in first for p in ("here's", "here is", "here are", "sure", "certainly", "of course", "rewritten",
                                    "paragraph", "version"))


def drop_half_sentence(text: str) -> str:
    """Cut a trailing unfinished sentence, if a finished one precedes it."""
    text = text.rstrip()
    if not text or SENTENCE_END.search(text[-3:] + " "):
        return text
    ends = list(SENTENCE_END.finditer(text))
    if not ends:
        return text
    return text[: ends[-1].end()].rstrip()


def longest_shared_run(text: str, sources: Sequence[str]) -> int:
    """The longest run of words `text` shares verbatim with any of `sources`."""
    mine = words(text)
    if not mine:
        return 0
    best = 0
    for source in sources:
        theirs = words(source)
        positions: dict[str, list[int]] = {}
        for j, w in enumerate(theirs):
            positions.setdefault(w, []).append(j)
        for i in range(len(mine)):
            if len(mine) - i <= best:
                break
            for j in positions.get(mine[i], ()):
                n = 0
                while i + n < len(mine) and j + n < len(theirs) and mine[i + n] == theirs[j + n]:
                    n += 1
                best = max(best, n)
    return best


def clean_sentence(text: str) -> str:
    """One generated line → one clean piece of prose (may be empty)."""
    text = strip_noise(text.split("\n", 1)[0])
    return re.sub(r"\s+", " ", text).strip()


def clean_paragraph(text: str) -> str:
    text = strip_noise(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return drop_half_sentence(text)
