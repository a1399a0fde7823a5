"""What is the writer's own: folders of notes that look collected (pasted, imported) rather than
written, to suggest for `readingFolders`; and modification times that say "copied", not "written".

A folder is suggested when its name says so (Collected, Wikipedia, Imported, Archive…), when most of
a sample of its notes carry pasted-web features (citation marks, "Retrieved …", [edit] links), or when
its prose almost never says "I" while the rest of the writer's notes do. penna only suggests: the
writer confirms with the `readingFolders` setting.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penna.knowledge.style import StyleCounts
from penna.vault.classify import collected_folder_reason, pasted_web_features
from penna.vault.files import NotANote, read_note

MIN_FOLDER_NOTES = 10  # fewer notes say too little about a folder
WEB_SAMPLE = 12  # notes read from a folder to look for pasted-web features
MIN_FIRST_PERSON = 5.0  # per 1,000 words: below this the writer's own notes do not say "I" enough to compare
MIN_REST_WORDS = 500  # the other notes must have this much prose to compare a folder's voice with
BULK_MIN_NOTES = 20  # this many notes changed within one second were copied, not written


@dataclass(frozen=True)
class CollectedSuggestion:
    folder: str  # vault-relative, as `readingFolders` takes it
    notes: int
    why: str

    def as_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "notes": self.notes, "why": self.why}


def folder_of(path: str) -> str | None:
    """The top-level folder of a vault-relative path (None for notes at the vault's root)."""
    return path.split("/", 1)[0] if "/" in path else None


def suggest_collected(notes: list[tuple[str, StyleCounts]], vault: Path | None = None) -> list[CollectedSuggestion]:
    """Folders of the written notes `(path, style counts)` that look collected, largest first.
    With `vault`, a sample of each folder's notes is read for pasted-web features."""
    by_folder: dict[str, list[tuple[str, StyleCounts]]] = defaultdict(list)
    for path, counts in notes:
        if (folder := folder_of(path)) is not None:
            by_folder[folder].append((path, counts))
    words = sum(c.words for _, c in notes)
    first_person = sum(c.first_person for _, c in notes)
    suggestions = []
    for folder, members in by_folder.items():
        if len(members) < MIN_FOLDER_NOTES:
            continue
        reasons = []
        if reason := collected_folder_reason(folder):
            reasons.append(reason)
        if vault is not None and (web := _web_reason(vault, [p for p, _ in members])):
            reasons.append(web)
        folder_words = sum(c.words for _, c in members)
        folder_first = sum(c.first_person for _, c in members)
        rest_words, rest_first = words - folder_words, first_person - folder_first
        rest_rate = 1000 * rest_first / rest_words if rest_words else 0.0
        rate = 1000 * folder_first / folder_words if folder_words else 0.0
        if rest_words >= MIN_REST_WORDS and rest_rate >= MIN_FIRST_PERSON and rate < rest_rate / 5:
            reasons.append(f"“I” {rate:.1f} times per 1,000 words, against {rest_rate:.0f} in your other notes")
        if reasons:
            suggestions.append(CollectedSuggestion(folder, len(members), "; ".join(reasons)))
    return sorted(suggestions, key=lambda s: (-s.notes, s.folder))


def _web_reason(vault: Path, paths: list[str]) -> str | None:
    sample = sorted(paths)[:: max(1, len(paths) // WEB_SAMPLE)][:WEB_SAMPLE]
    features: Counter[str] = Counter()
    showing = 0
    for path in sample:
        try:
            found = pasted_web_features(read_note(vault / path).text)
        except (OSError, NotANote):
            continue
        showing += bool(found)
        features.update(found)
    if sample and showing * 2 > len(sample):
        common = ", ".join(name for name, _ in features.most_common(2))
        return f"{showing} of {len(sample)} notes sampled carry pasted-web features ({common})"
    return None


def index_suggestions(index: Any, vault: Path | None = None) -> list[CollectedSuggestion]:
    """`suggest_collected` over an index's written notes."""
    notes = [(path, StyleCounts.from_json(json.loads(style)) if style else StyleCounts())
             for path, _mtime, style in index.written_note_styles()]
    return suggest_collected(notes, vault)


def bulk_copied_seconds(mtimes: list[float], min_notes: int = BULK_MIN_NOTES) -> set[int]:
    """The whole seconds in which at least `min_notes` notes were modified: a copy (`cp -r`, a sync,
    an unzip), not writing, so those times say nothing about what the writer has on their mind."""
    per_second = Counter(int(m) for m in mtimes)
    return {second for second, count in per_second.items() if count >= min_notes}


_cache: dict[str, tuple[Any, list[CollectedSuggestion]]] = {}


def cached_suggestions(index: Any, vault: Path) -> list[CollectedSuggestion]:
    """`index_suggestions`, recomputed only when the index changed (status is asked often)."""
    key = str(vault)
    version = index.latest_change()
    hit = _cache.get(key)
    if hit is None or hit[0] != version:
        hit = _cache[key] = (version, index_suggestions(index, vault))
    return hit[1]
