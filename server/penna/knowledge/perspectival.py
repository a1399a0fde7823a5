"""Perspectival knowledge: what is salient to the author now, seen from the current note.

Salience is a sum of attention events (opened, edited, read; a file's mtime counts as an edit),
each decaying with a half-life. The decay is what makes the context roll as the author works.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from penna.knowledge.collected import bulk_copied_seconds
from penna.knowledge.index import Index
from penna.knowledge.items import Item, Section
from penna.vault.markdown import parse_note
from penna.vault.note import note_title

EVENT_WEIGHTS = {"edit": 1.0, "open": 0.6, "read": 0.8, "mtime": 0.5}
RECENT_LIMIT = 8
DAY = 86400.0
SALIENCE_TTL = 30.0  # seconds a request's salience figures are reused


def decay(age_seconds: float, half_life_days: float) -> float:
    return float(0.5 ** (max(0.0, age_seconds) / (half_life_days * DAY)))


def salience(index: Index, half_life_days: float, now: float | None = None, horizon_half_lives: float = 8.0,
             mtime_limit: int = 400) -> dict[str, float]:
    """Salience per note path. Events older than `horizon_half_lives` half-lives weigh < 0.4%."""
    now = now or time.time()
    since = now - horizon_half_lives * half_life_days * DAY
    scores: dict[str, float] = {}
    for path, kind, ts in index.attention_since(since):
        scores[path] = scores.get(path, 0.0) + EVENT_WEIGHTS.get(kind, 0.5) * decay(now - ts, half_life_days)
    recent = index.recent_mtimes(mtime_limit)
    copied = bulk_copied_seconds([mtime for _path, mtime, _origin in recent])  # cp -r, a sync: not writing
    for path, mtime, _origin in recent:
        if mtime >= since and int(mtime) not in copied:
            scores[path] = scores.get(path, 0.0) + EVENT_WEIGHTS["mtime"] * decay(now - mtime, half_life_days)
    return scores


class RecentSalience:
    """Salience for ranking a request's passages, recomputed at most every `ttl` seconds or when
    the index sees a new touch, save or attention event: it decays over days, and on a large
    vault it costs ~15 ms a request."""

    def __init__(self, ttl: float = SALIENCE_TTL) -> None:
        self.ttl = ttl
        self._cached: tuple[float, Any, dict[str, float]] | None = None  # (when, latest change, salience)

    def get(self, index: Index, half_life_days: float) -> dict[str, float]:
        now = time.monotonic()
        latest = index.latest_change()
        cached = self._cached
        if cached is None or now - cached[0] > self.ttl or cached[1] != latest:
            cached = self._cached = (now, latest, salience(index, half_life_days))
        return cached[2]

    def clear(self) -> None:
        """Forget the last figures (the half-life may have changed)."""
        self._cached = None


def _age(seconds: float) -> str:
    days = seconds / DAY
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    if days < 60:
        return f"{days:.0f} days ago"
    return f"{days / 30:.0f} months ago"


@dataclass(frozen=True)
class CurrentNote:
    """The note being written, from the open buffer when there is one."""

    path: str | None
    title: str
    headings: Sequence[str]
    tags: Sequence[str]
    frontmatter: dict[str, Any]


def current_note(index: Index, rel_path: str | None, buffer: str | None) -> CurrentNote:
    """The note from its open buffer's text when there is one (the editor's text wins), else
    from the index; a note in neither is a bare title ("Draft" outside the vault)."""
    if buffer is not None:
        parsed = parse_note(buffer)
        return CurrentNote(rel_path, note_title(rel_path or "Draft"), [h.text for h in parsed.headings],
                           parsed.tags, parsed.frontmatter)
    row = index.note(rel_path) if rel_path else None
    if row:
        return CurrentNote(rel_path, row.title, [h["text"] for h in row.headings], row.tags, row.frontmatter)
    return CurrentNote(rel_path, note_title(rel_path) if rel_path else "Draft", [], [], {})


def perspectival_section(index: Index, current: CurrentNote, scores: dict[str, float], *,
                         half_life_days: float, open_paths: Sequence[str] = (), now: float | None = None) -> Section:
    now = now or time.time()
    section = Section("perspectival", "What I'm working on")
    section.items.append(Item(f"Now writing: {current.title}", current.path, "written", "current"))
    if current.headings:
        headings = "; ".join(current.headings[:12])
        section.items.append(Item(f"Its headings: {headings}", current.path, "written", "current"))
    if current.tags:
        tags = ", ".join(f"#{t}" for t in current.tags[:12])
        section.items.append(Item(f"Its tags: {tags}", current.path, "written", "current"))
    if current.path:
        neighbours = list(dict.fromkeys(index.outgoing(current.path) + index.backlinks(current.path)))[:10]
        if neighbours:
            titles = [n.rsplit("/", 1)[-1].removesuffix(".md") for n in neighbours]
            section.items.append(Item("Linked notes: " + "; ".join(titles), current.path, "written", "neighbours"))
    others = [p for p in open_paths if p != current.path]
    if others:
        open_titles = "; ".join(p.rsplit("/", 1)[-1].removesuffix(".md") for p in others[:6])
        section.items.append(Item(f"Also open: {open_titles}", None, None, "open"))
    ranked = sorted(((s, p) for p, s in scores.items() if p != current.path), key=lambda sp: (-sp[0], sp[1]))
    rows = {r.path: r for r in index.notes_by_paths([p for _, p in ranked[:RECENT_LIMIT * 2]])}
    recent = 0
    for score, path in ranked:
        row = rows.get(path)
        if row is None:
            continue
        verb = "read" if row.origin == "read" else "wrote"
        section.items.append(Item(f"Recently {verb}: {row.title} ({_age(now - row.mtime)})", path, row.origin,
                                  "recent", round(score, 3)))
        recent += 1
        if recent >= RECENT_LIMIT:
            break
    if not recent:
        section.notes.append(f"no recent activity within the salience horizon (half-life {half_life_days:g} days)")
    return section
