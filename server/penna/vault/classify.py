"""Read versus written: what the author read (clippings) and what they wrote.

Procedural and participatory knowledge come only from written material, so this decision is what
keeps a pasted article out of the author's voice. The rules are the brief's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from penna.vault.frontmatter import string_values

Origin = Literal["read", "written"]
SELF_NAMES = frozenset({"me", "myself", "i", "self"})
READ_CALLOUTS = frozenset({"quote", "cite", "clipping", "excerpt"})


def _norm_name(name: str) -> str:
    return name.strip().strip("[]").split("|")[0].strip().lower()


def classify_note(
    rel_path: str,
    frontmatter: dict[str, Any],
    tags: Sequence[str],
    reading_folders: Sequence[str],
    author_name: str = "",
) -> tuple[Origin, str]:
    """The note's origin and the reason, for the context viewer."""
    folders = rel_path.lower().split("/")[:-1]
    for folder in reading_folders:
        wanted = folder.strip("/").lower().split("/")
        if folders[: len(wanted)] == wanted or any(part == wanted[-1] for part in folders):
            return "read", f"in reading folder '{folder}'"
    for key in ("source", "url"):
        if any(v.strip() for v in string_values(frontmatter.get(key))):
            return "read", f"frontmatter has '{key}'"
    me = {_norm_name(author_name)} if author_name.strip() else set()
    authors = [_norm_name(a) for a in string_values(frontmatter.get("author") or frontmatter.get("authors"))]
    others = [a for a in authors if a and a not in SELF_NAMES and a not in me]
    if others:
        return "read", f"author is {others[0]!r}, not the user"
    if any(t.lower().strip("#") in ("clippings", "clipping") for t in tags):
        return "read", "tagged clippings"
    return "written", "the author's own note"


def block_origin(note_origin: Origin, block_kind: str, callout: str | None) -> Origin:
    """Blockquotes in the author's own notes are quotations: read material.

    Callouts are blockquotes too, but `[!note]`, `[!tip]` and the like are the author's own
    asides; only quote-like callouts count as read.
    """
    if note_origin == "read":
        return "read"
    if block_kind == "quote":
        return "read"
    if block_kind == "callout" and (callout or "") in READ_CALLOUTS:
        return "read"
    return "written"


# --- collected text: notes the writer pasted or imported rather than wrote ----------------------
# Folder names that say "what I gathered" (matched as whole words, any case).
COLLECTED_FOLDER_WORDS = ("collected", "collection", "wikipedia", "imported", "import", "archive", "archived",
                          "clippings", "clipped", "webclips", "highlights", "kindle", "pocket", "instapaper",
                          "external", "references", "sources", "readwise", "saved")
# What text pasted from the web keeps: each feature with the pattern that shows it.
WEB_FEATURES: dict[str, re.Pattern[str]] = {
    "citation marks like [1]": re.compile(r"(?<!\[)\[\d{1,3}\](?!\()"),
    "[edit] links": re.compile(r"\[edit\]", re.IGNORECASE),
    "“Retrieved …” lines": re.compile(r"\bRetrieved (?:on |from )?\d|\bRetrieved from\b"),
    "“From Wikipedia”": re.compile(r"From Wikipedia", re.IGNORECASE),
    "non-breaking spaces": re.compile(r"\u00a0|&nbsp;"),
    "web addresses": re.compile(r"https?://\S+"),
}


def collected_folder_reason(folder: str) -> str | None:
    """Why a folder's name says its notes are collected, or None."""
    found = set(re.findall(r"[a-z]+", folder.lower()))
    for word in COLLECTED_FOLDER_WORDS:
        if word in found:
            return f"the folder name says “{word}”"
    return None


def pasted_web_features(text: str) -> list[str]:
    """The pasted-web features a note shows (web addresses count only when there are several)."""
    found = []
    for name, pattern in WEB_FEATURES.items():
        hits = len(pattern.findall(text))
        if hits >= (3 if name == "web addresses" else 1):
            found.append(name)
    return found
