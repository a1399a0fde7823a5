"""One author's posts → a training vault, held-out paragraphs, and bullets derived from them.

- Split: the most recent posts are held out when every post carries a date (frontmatter `date`
  or a `YYYY-MM-DD` file-name prefix), so the vault is what the author had written *before*;
  otherwise a seeded random split.
- Paragraphs: prose paragraphs of the held-out posts (Markdown paragraph blocks, not code,
  quotes, lists or tables) of 40–150 words and at least two sentences, sampled with a seed.
- Bullets, in two styles. *Telegraphic*: each sentence reduced to its content words
  (`bullet_from_sentence`), contractions, hedges and the rest of the phrasing dropped. *Natural*:
  each sentence as a writer jots it (`knowledge/jotting.py`): phrases kept (verbs with their
  objects and particles, prepositions, negations, numbers, names), articles, auxiliaries, a
  leading "I", hedges and clause-opening connectives dropped. Either function sees the paragraph
  and nothing else, and the systems see only its result, never the paragraph.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from penna.knowledge.items import is_stopword, notes_from_sentence
from penna.knowledge.jotting import jot
from penna.knowledge.style import HEDGES
from penna.vault.markdown import parse_note
from penna.vault.text import REFERENCE_LINK, sentences, words

DATE_IN_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
PARAGRAPH_WORDS = (40, 150)
PROSE_SHARE = 0.8  # words / whitespace tokens: below this the paragraph is mostly code or numbers
DAY = 86400.0
BULLET_STYLES = ("telegraphic", "natural")
PRONOUNS = frozenset("i you he she it we they that there here what who let".split())
# Single-word hedges (style, not content) and Latin abbreviations a note-taker would not write.
PHRASING_WORDS = frozenset(h for h in HEDGES if " " not in h) | frozenset({"i.e", "e.g", "etc", "cf", "viz"})


@dataclass(frozen=True)
class Post:
    name: str  # path inside the corpus folder, POSIX style
    path: Path
    date: dt.date | None
    text: str


@dataclass(frozen=True)
class Split:
    train: list[Post]
    held_out: list[Post]
    method: str  # "date" | "random"
    cut: dt.date | None  # first held-out date (date split only)


@dataclass(frozen=True)
class HeldOut:
    """One held-out paragraph and the bullets derived from it."""

    post: str
    number: int  # position of the paragraph in its post
    text: str
    bullets: tuple[str, ...]

    @property
    def bullets_text(self) -> str:
        return "\n".join(f"- {bullet}" for bullet in self.bullets)


def _date_value(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


def post_date(name: str, frontmatter: dict[str, object]) -> dt.date | None:
    """Frontmatter `date` first (it is what the author set), else a date prefix in the file name."""
    found = _date_value(frontmatter.get("date"))
    if found:
        return found
    match = DATE_IN_NAME.match(name.rsplit("/", 1)[-1])
    return _date_value("-".join(match.groups())) if match else None


def read_posts(corpus: Path) -> list[Post]:
    posts = []
    for path in sorted(corpus.rglob("*.md")):
        name = path.relative_to(corpus).as_posix()
        if any(part.startswith(".") for part in name.split("/")):
            continue  # .obsidian, .trash, .git: not posts
        text = path.read_text(encoding="utf-8", errors="replace")
        posts.append(Post(name, path, post_date(name, parse_note(text).frontmatter), text))
    return posts


def split_posts(posts: Sequence[Post], holdout: float = 0.1, seed: int = 0) -> Split:
    """Hold out the most recent `holdout` share of posts (date split) or a seeded random share."""
    if len(posts) < 2:
        raise ValueError(f"need at least two posts to split, found {len(posts)}")
    count = min(len(posts) - 1, max(1, math.ceil(holdout * len(posts))))
    if all(p.date for p in posts):
        ordered = sorted(posts, key=lambda p: (p.date, p.name))
        held = ordered[-count:]
        return Split(ordered[:-count], held, "date", held[0].date)
    shuffled = sorted(posts, key=lambda p: p.name)
    random.Random(seed).shuffle(shuffled)
    held_names = {p.name for p in shuffled[:count]}
    return Split([p for p in posts if p.name not in held_names], [p for p in posts if p.name in held_names],
                 "random", None)


def normalize_prose(text: str) -> str:
    """Markdown inline leftovers a reader never sees, removed the same way from every text measured."""
    text = REFERENCE_LINK.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def prose_paragraphs(text: str) -> list[str]:
    """The note's paragraph blocks as plain prose (code, quotes, lists, tables and link
    reference definitions left out by the parser)."""
    return [p for p in (normalize_prose(b.text) for b in parse_note(text).blocks if b.kind == "paragraph") if p]


def eligible(paragraph: str) -> bool:
    """A paragraph worth asking a system to write: prose of usual length, not a lead-in to code."""
    count = len(words(paragraph))
    tokens = len(paragraph.split())
    return (PARAGRAPH_WORDS[0] <= count <= PARAGRAPH_WORDS[1] and len(sentences(paragraph)) >= 2
            and not paragraph.rstrip().endswith(":") and count >= PROSE_SHARE * tokens)


def bullet_from_sentence(sentence: str) -> str:
    """A sentence → its content words in order (`notes_from_sentence`), minus what is phrasing
    rather than fact: contractions of function words ("it's", "I've" — a style marker, and among
    the most frequent words Delta counts) are dropped, "n't" becomes "not" (negation is content),
    a possessive keeps its noun, and hedges and Latin abbreviations ("perhaps", "i.e") go."""
    kept: list[str] = []
    for original in notes_from_sentence(sentence).split():
        token = original
        lower = original.lower().replace("’", "'")
        if "'" in lower:
            stem, _, ending = lower.partition("'")
            if ending == "t" and stem.endswith("n"):
                token = "not"
            elif ending == "s" and not is_stopword(stem) and stem not in PRONOUNS:
                token = original[: len(stem)]  # the author's "caller's" → "caller"
            else:
                continue
        elif lower in PHRASING_WORDS:
            continue
        if not kept or kept[-1] != token:
            kept.append(token)
    return " ".join(kept)


def derive_bullets(paragraph: str, style: str = "telegraphic") -> list[str]:
    """One bullet per sentence: its content words in order (telegraphic), or the note a writer
    would jot for it (natural).

    Deterministic and local: it reads this paragraph only (no vault, no model, no randomness).
    """
    derive = jot if style == "natural" else bullet_from_sentence
    return [notes for notes in (derive(s) for s in sentences(paragraph)) if notes]


def select_paragraphs(held_out: Sequence[Post], count: int, seed: int, style: str = "telegraphic") -> list[HeldOut]:
    """`count` eligible paragraphs, seeded, spread over the held-out posts (a cap per post, so
    one long post cannot supply the whole sample)."""
    pool = [(post.name, number, text) for post in sorted(held_out, key=lambda p: p.name)
            for number, text in enumerate(prose_paragraphs(post.text)) if eligible(text)]
    random.Random(seed).shuffle(pool)
    posts_with_prose = len({name for name, _, _ in pool}) or 1
    cap = max(2, math.ceil(2 * count / posts_with_prose))
    chosen: list[HeldOut] = []
    per_post: dict[str, int] = {}
    for name, number, text in pool:
        if per_post.get(name, 0) >= cap:
            continue
        if len(derive_bullets(text)) < 2:  # the same paragraphs for either style
            continue
        bullets = derive_bullets(text, style)
        if len(bullets) < 2:
            continue
        per_post[name] = per_post.get(name, 0) + 1
        chosen.append(HeldOut(name, number, text, tuple(bullets)))
        if len(chosen) >= count:
            break
    return sorted(chosen, key=lambda h: (h.post, h.number))


def training_prose(train: Sequence[Post]) -> list[list[str]]:
    """Each training post's prose paragraphs (for the stylometric reference)."""
    return [prose_paragraphs(post.text) for post in train]


def build_vault(train: Sequence[Post], target: Path, cut: dt.date | None, now: float | None = None) -> None:
    """Copy the training posts into `target`, the author's vault of written notes.

    With a date split, file times are shifted so the cut is "now": the posts the author wrote
    just before the held-out ones are the recent ones, as they were when those were written.
    """
    now = now if now is not None else time.time()
    for post in train:
        destination = target / post.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(post.path, destination)
        if cut is not None and post.date is not None:
            stamp = now - (cut - post.date).days * DAY
            os.utime(destination, (stamp, stamp))
