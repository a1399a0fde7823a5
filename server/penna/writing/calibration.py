"""Which draft a model writes first for a note, decided by measuring that model on the vault.

Restoring (`writing/bridge.py`) is what lets the 270M default keep a note's content: asked for a
sentence freely, it drops the content, pastes or gives the note back bare (docs/voice.md). A 4B
or 8B model writes fluent sentences that keep the content by itself, and restoring would cripple
it: the note's words in the note's order, with only small words between them. So the order is
not guessed from the model's size: a short trial on the author's own sentences decides it.

The trial: sentences the author wrote, each jotted into the note a writer would have made of it
(`knowledge/jotting.py`), with the sentences before it in its paragraph as the paragraph so far.
For each note the model's own sentence (its most likely one) and the note restored are judged as
expanding judges any draft (`writing/drafting.py`: the note's meaning kept, parsed without an
unattached word, not pasted). A model whose own sentences are keepable at least half the time,
and at least as often as its restorations, writes freely first; otherwise restoring comes first.
A model server cannot restore (it only streams text), so it writes freely whatever the trial
finds; the trial still says how often its sentences can be kept.

The result is stored in the vault's index, keyed by the model, and measured again only when the
model changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from penna.knowledge.index import Index
from penna.knowledge.jotting import jot
from penna.knowledge.procedural import EXEMPLAR_MAX_WORDS, EXEMPLAR_MIN_WORDS
from penna.vault.text import sentences, words
from penna.writing.backend import Backend
from penna.writing.cleanup import COPY_RUN_LIMIT, longest_shared_run

DraftOrder = Literal["restore", "free"]
TRIAL_SENTENCES = 8  # notes tried: enough to tell 1 in 8 from 6 in 8, under a minute with the default
FLUENT_SHARE = 0.5  # the model's own sentences must be keepable at least this often to go first …
FLUENT_ENOUGH = 0.75  # … and this often, it goes first without its restorations being tried at all
MIN_TRIALS = 3  # fewer of the author's sentences than this say too little to leave restoring for
MIN_SENTENCE_WORDS = 8  # a trial sentence long enough to hold a claim …
MAX_SENTENCE_WORDS = 30  # … and short enough to be one
MIN_NOTE_WORDS = 4  # a note this short says too little to drop or change
PARAGRAPHS_LOOKED_AT = 200
META_PREFIX = "calibration:"
TRIAL_VERSION = 2  # bumped when the trial changes: older results are measured again


@dataclass(frozen=True)
class Trial:
    """One note of the trial: what the model wrote freely, what restoring gave, and whether a
    writer could keep each (None: the model cannot restore)."""

    sentence: str  # the author's own sentence the note was jotted from
    note: str
    free: str
    free_keepable: bool
    restored: str | None = None  # None: not tried (the model cannot restore, or had no need to)
    restored_keepable: bool | None = None


@dataclass
class Calibration:
    model: str  # the model the trial was run with (its name)
    key: str  # … and its identity: name, file and size
    trials: list[Trial] = field(default_factory=list)
    restores: bool = True  # the model decodes token by token, so it can restore
    version: int = TRIAL_VERSION

    @property
    def free_keepable(self) -> int:
        return sum(t.free_keepable for t in self.trials)

    @property
    def restored_keepable(self) -> int:
        return sum(bool(t.restored_keepable) for t in self.trials)

    @property
    def order(self) -> DraftOrder:
        """What the model writes first for a note (see the module's docstring)."""
        if not self.restores:
            return "free"
        if len(self.trials) < MIN_TRIALS:  # one lucky sentence is no evidence
            return "restore"
        if fluent_enough(self.trials):
            return "free"
        fluent = self.free_keepable >= FLUENT_SHARE * len(self.trials)
        return "free" if fluent and self.free_keepable >= self.restored_keepable else "restore"

    def summary(self) -> str:
        n = len(self.trials)
        restored = (" (it cannot restore)" if not self.restores
                    else "" if any(t.restored is None for t in self.trials)
                    else f", restored {self.restored_keepable} of {n}")
        return (f"{self.model}: its own sentences keepable {self.free_keepable} of {n}{restored}; "
                f"it writes {'freely' if self.order == 'free' else 'by restoring the note'} first")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Calibration | None:
        """The stored result, or None when it is damaged or from an older trial (measured again)."""
        try:
            data = json.loads(text)
            if data.get("version") != TRIAL_VERSION:
                return None
            trials = [Trial(**t) for t in data["trials"]]
            return cls(str(data["model"]), str(data["key"]), trials, bool(data["restores"]), TRIAL_VERSION)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def model_key(backend: Backend) -> str:
    """The model's identity for the stored trial: its name, file (or server model id) and size,
    so a re-quantised file under the same name is measured again."""
    try:
        size = backend.path.stat().st_size
    except OSError:
        size = -1  # a model server's id is not a file
    return f"{backend.name}|{backend.path}|{size}"


def _meta_key(key: str) -> str:
    return META_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


def stored(index: Index, backend: Backend) -> Calibration | None:
    found = index.get_meta(_meta_key(model_key(backend)))
    return Calibration.from_json(found) if found else None


def store(index: Index, calibration: Calibration) -> None:
    index.set_meta(_meta_key(calibration.key), calibration.to_json())


def fluent_enough(trials: Sequence[Trial]) -> bool:
    """The model's own sentences were keepable so often that restoring need not be tried."""
    return bool(trials) and sum(t.free_keepable for t in trials) >= FLUENT_ENOUGH * len(trials)


@dataclass(frozen=True)
class TrialNote:
    sentence: str
    note: str
    before: tuple[str, ...]  # the sentences before it in its paragraph (the paragraph so far)
    title: str = ""  # the title of the note it is from: the heading the draft is written under


def trial_notes(paragraphs: Sequence[tuple[str, str]], count: int = TRIAL_SENTENCES) -> list[TrialNote]:
    """Up to `count` of the author's sentences from (title, paragraph) pairs, at most one per
    paragraph, with their jotted notes. Sentences whose note is the sentence again (nothing to
    put back) are passed over."""
    found: list[TrialNote] = []
    for title, paragraph in paragraphs:
        parts = [s.strip() for s in sentences(paragraph) if s.strip()]
        for position, sentence in enumerate(parts):
            note = jot(sentence)
            size = len(words(sentence))
            if (MIN_SENTENCE_WORDS <= size <= MAX_SENTENCE_WORDS and len(note.split()) >= MIN_NOTE_WORDS
                    and words(note) != words(sentence) and not re.search(r"[`\[\]<>{}|#*_/\\]|https?:", sentence)):
                found.append(TrialNote(sentence, note, tuple(parts[max(0, position - 2):position]), title))
                break
        if len(found) >= count:
            break
    return found


def vault_trial_notes(index: Index, prompt: str, count: int = TRIAL_SENTENCES) -> list[TrialNote]:
    """`trial_notes` from the author's paragraphs that `prompt` does not show (so that no draft
    can copy its sentence), the first paragraph of each note before any note's second."""
    hits = [hit for hit in index.recent_written_paragraphs(EXEMPLAR_MIN_WORDS, EXEMPLAR_MAX_WORDS, PARAGRAPHS_LOOKED_AT)
            if longest_shared_run(hit.text, [prompt]) < COPY_RUN_LIMIT]
    firsts = {hit.path: hit.id for hit in reversed(hits)}
    ordered = sorted(hits, key=lambda hit: hit.id != firsts[hit.path])
    return trial_notes([(hit.title, hit.text) for hit in ordered], count)
