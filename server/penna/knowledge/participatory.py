"""Participatory knowledge: who the author is and how they stand toward the topic and reader.

Sources: the profile note (`About me.md` by default), the author's name, stances the author has
taken in their own writing ("I think", "I've always"), and the current note's audience and purpose
from its frontmatter. Written material only: a clipping's opinions are not the author's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from penna.knowledge.index import Index, norm
from penna.knowledge.items import Item, Section
from penna.vault.text import sentences

STANCE = re.compile(
    r"\b(I (?:think|believe|feel|find|prefer|love|hate|dislike|suspect|doubt|argue|insist|refuse|never|always|rarely|"
    r"strongly|don't|do not|can't|won't)|I've (?:always|never|long|come to)|"
    r"I'm (?:convinced|sure|not|skeptical|sceptical)|"
    r"in my (?:view|opinion|experience)|my (?:view|take|position|rule) (?:is|has))\b",
    re.IGNORECASE,
)
AUDIENCE_KEYS = ("audience", "reader", "readers", "purpose", "goal", "tone", "for")
STANCE_LIMIT = 5


def find_profile_note(index: Index, profile_note: str) -> str | None:
    if not profile_note:
        return None
    return index.resolve(profile_note) or index.resolve(profile_note.rsplit("/", 1)[-1])


def author_name(index: Index, configured: str, profile_path: str | None) -> str:
    if configured.strip():
        return configured.strip()
    if profile_path:
        row = index.note(profile_path)
        if row:
            for key in ("name", "author"):
                value = row.frontmatter.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip().strip("[]")
    return "the author"


def stances(index: Index, topic_terms: Sequence[str], exclude_paths: Sequence[str] = ()) -> list[Item]:
    """First-person positions the author took, on this topic when possible."""
    found: list[Item] = []
    seen: set[str] = set()
    hits = index.search(topic_terms, limit=60, origin="written", kinds=["paragraph", "list"],
                        exclude_paths=exclude_paths)
    if len(hits) < 10:
        hits += index.search(["think", "believe", "always", "never", "prefer"], limit=60, origin="written",
                             kinds=["paragraph"], exclude_paths=exclude_paths)
    for hit in hits:
        for sentence in sentences(hit.text):
            if STANCE.search(sentence) and 6 <= len(sentence.split()) <= 40 and norm(sentence) not in seen:
                seen.add(norm(sentence))
                found.append(Item(sentence, hit.path, "written", "stance", round(hit.score, 3)))
                break  # one stance per passage keeps them varied
        if len(found) >= STANCE_LIMIT:
            break
    return found


def audience(frontmatter: dict[str, Any]) -> list[str]:
    out = []
    for key in AUDIENCE_KEYS:
        value = frontmatter.get(key)
        if isinstance(value, (str, int, float)) and str(value).strip():
            out.append(f"{key}: {value}")
        elif isinstance(value, list) and value:
            out.append(f"{key}: {', '.join(map(str, value))}")
    return out


def participatory_section(index: Index, *, configured_name: str, profile_note: str, topic_terms: Sequence[str],
                          current_frontmatter: dict[str, Any], exclude_paths: Sequence[str] = ()) -> Section:
    section = Section("participatory", "About me")
    profile_path = find_profile_note(index, profile_note)
    name = author_name(index, configured_name, profile_path)
    if name != "the author":  # no name known: say nothing rather than "Author: the author"
        section.items.append(Item(f"Author: {name}", profile_path, "written", "name"))
    if profile_path:
        for chunk in index.chunks_of(profile_path):
            if chunk.origin == "written":
                section.items.append(Item(chunk.text, profile_path, "written", "profile"))
    else:
        section.notes.append(f"no profile note '{profile_note}' in the vault; add one to tell penna who you are")
    own_profile = [profile_path] if profile_path else []
    section.items.extend(stances(index, topic_terms, exclude_paths=[*exclude_paths, *own_profile]))
    for line in audience(current_frontmatter):
        section.items.append(Item(f"This piece — {line}", None, "written", "audience"))
    return section
