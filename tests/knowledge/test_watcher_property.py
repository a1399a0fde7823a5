"""Property: whatever happens to the vault while the watcher runs (creates, edits, atomic saves,
renames, moves, deletions, folder renames, bursts, editor buffers opened, typed in and closed),
once it settles the index holds exactly what a full rescan of the same files into a fresh index
holds (with the still-open buffers' text over disk): notes, read/written labels, chunks, links,
backlinks and tags. Once every buffer is closed, it equals a plain rescan.

Real watchdog (inotify), real files, real SQLite. Each example builds its own vault, index and
watcher; the example count is bounded so the test stays under a minute (about 1 s an example
here; PENNA_PROPERTY_EXAMPLES=200 for a longer hunt).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from helpers import settle
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from penna.config import Settings
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer
from penna.knowledge.watcher import VaultWatcher

NAMES = ["Bread", "Crumb", "Levain", "Oven", "Salt", "Rye", "Water", "Flour"]
FOLDERS = ["", "Notes", "Notes/Deep", "Clippings", "Drafts"]
KINDS = ["create", "modify", "atomic", "rename", "move", "delete", "burst", "folder_rename", "folder_delete",
         "open", "type", "close"]


def note_text(seed: int) -> str:
    """A small note whose links, tags, quotes and read/written markers vary with `seed`."""
    name, other = NAMES[seed % len(NAMES)], NAMES[(seed // 3) % len(NAMES)]
    if seed % 5 == 0:
        front = "---\nsource: https://example.org/a\n---\n"
    else:
        front = "---\naliases: [Loaf]\n---\n" if seed % 7 == 0 else ""
    quote = "\n> A quoted line from a book about bread.\n" if seed % 4 == 0 else ""
    tag = " #baking" if seed % 2 else " #notes/kitchen"
    return (f"{front}# {name} {seed}\n\nI think {name.lower()} matters, version {seed}.{tag}\n"
            f"See [[{other}]] and [[{name}#Heading]].\n{quote}\n## Heading\n\n- a list item {seed}\n")


operation = st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000), st.integers(0, 10_000))


def notes_on_disk(vault: Path) -> list[Path]:
    return sorted(p for p in vault.rglob("*.md") if p.is_file())


def apply(vault: Path, kind: str, a: int, b: int, buffers: dict[str, str], watcher: VaultWatcher) -> None:
    notes = notes_on_disk(vault)
    target = notes[a % len(notes)] if notes else None
    if kind in ("open", "type", "close"):
        edit_buffers(vault, kind, a, b, target, buffers, watcher)
    elif kind == "create" or target is None:
        folder = vault / FOLDERS[a % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{NAMES[b % len(NAMES)]} {a % 13}.md").write_text(note_text(b), encoding="utf-8")
    elif kind in ("folder_rename", "folder_delete"):
        change_folder(vault, kind, b, target)
    else:
        change_file(vault, kind, a, b, target)


def edit_buffers(vault: Path, kind: str, a: int, b: int, target: Path | None, buffers: dict[str, str],
                 watcher: VaultWatcher) -> None:
    """An editor: unsaved text wins over disk until closed."""
    opened = sorted(buffers)
    if kind == "open" and target is not None:
        rel = target.relative_to(vault).as_posix()
        buffers[rel] = target.read_text(encoding="utf-8")
    elif kind == "type" and opened:
        rel = opened[a % len(opened)]
        buffers[rel] = note_text(b + 500)
    elif kind == "close" and opened:
        rel = opened[a % len(opened)]
        del buffers[rel]
    else:
        return
    watcher.touch([rel])


def change_file(vault: Path, kind: str, a: int, b: int, target: Path) -> None:
    if kind == "modify":
        target.write_text(note_text(b), encoding="utf-8")
    elif kind == "atomic":  # Obsidian and most editors: write a temp file, then rename it over
        temp = target.parent / f".{target.name}.tmp"
        temp.write_text(note_text(b), encoding="utf-8")
        os.replace(temp, target)
    elif kind == "rename":
        os.replace(target, target.parent / f"{NAMES[b % len(NAMES)]} r{b % 11}.md")
    elif kind == "move":
        folder = vault / FOLDERS[b % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(target, folder / target.name)
    elif kind == "delete":
        target.unlink()
    elif kind == "burst":  # a sync client or a git checkout: many files at once
        folder = vault / f"Burst {a % 3}"
        folder.mkdir(exist_ok=True)
        for n in range(20 + b % 30):
            (folder / f"{NAMES[n % len(NAMES)]} b{n}.md").write_text(note_text(b + n), encoding="utf-8")


def change_folder(vault: Path, kind: str, b: int, target: Path) -> None:
    folder = target.parent
    if folder == vault:
        target.unlink()
    elif kind == "folder_delete":
        shutil.rmtree(folder)
    else:
        destination = vault / f"Renamed {b % 5}"
        if not destination.exists():
            os.rename(folder, destination)


def snapshot(index: Index) -> dict[str, Any]:
    """Everything queries can see, keyed by path (ids differ between two indexes)."""
    conn = index.conn
    notes = {row[0]: row[1:] for row in conn.execute(
        "SELECT path, title, origin, origin_reason, hash, frontmatter, tags, aliases, headings, words, tokens, style"
        " FROM notes")}
    chunks = conn.execute(
        "SELECT n.path, c.ord, c.kind, c.origin, c.heading, c.title, c.text, c.tokens FROM chunks c"
        " JOIN notes n ON n.id = c.note_id ORDER BY n.path, c.ord").fetchall()
    links = conn.execute(
        "SELECT n.path, l.target, l.heading, l.alias, l.embed, l.line FROM links l JOIN notes n ON n.id = l.src_id"
        " ORDER BY n.path, l.line, l.target, l.heading").fetchall()
    tags = conn.execute("SELECT n.path, t.tag FROM tags t JOIN notes n ON n.id = t.note_id ORDER BY 1, 2").fetchall()
    graph = {path: (sorted(index.outgoing(path)), sorted(index.backlinks(path))) for path in notes}
    fts = conn.execute("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'bread'").fetchone()[0]
    return {"notes": notes, "chunks": chunks, "links": links, "tags": tags, "graph": graph, "fts": fts,
            "written_style": index.written_style().to_json()}


@settings(max_examples=int(os.environ.get("PENNA_PROPERTY_EXAMPLES", "25")), deadline=None,
          suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(operation, min_size=1, max_size=10))
# Found by this test: the open "Clippings/Oven.md" stays indexed from its buffer while its folder
# becomes "Renamed 3" (a path of the same length), and [[Oven]] resolved by indexing order.
@example([("open", 1, 0), ("folder_rename", 1, 3)])
@pytest.mark.slow
def test_after_any_sequence_of_changes_the_index_equals_a_full_rescan(operations: list[tuple[str, int, int]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="penna-prop-"))
    vault = work / "vault"
    for number, name in enumerate(NAMES[:4]):
        folder = vault / FOLDERS[number % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.md").write_text(note_text(number), encoding="utf-8")
    live = Index(work / "live.sqlite", vault)
    indexer = Indexer(live, Settings())
    buffers: dict[str, str] = {}
    watcher = VaultWatcher(indexer, debounce=0.05, buffers=buffers)
    fresh: Index | None = None
    try:
        watcher.start()
        with watcher.paused():
            indexer.sync()
        for kind, a, b in operations:
            apply(vault, kind, a, b, buffers, watcher)
        assert settle(watcher, 60), "the watcher did not settle"
        fresh = Index(work / "fresh.sqlite", vault)
        rescan = Indexer(fresh, Settings())
        rescan.sync()
        for rel, text in buffers.items():  # the notes still open: what the editor holds
            rescan.index_text(rel, text)
        assert snapshot(live) == snapshot(fresh)

        if not buffers:
            return
        for rel in list(buffers):  # every editor closed: disk alone
            del buffers[rel]
            watcher.touch([rel])
        assert settle(watcher, 60), "the watcher did not settle"
        fresh.close()
        fresh = Index(work / "fresh2.sqlite", vault)
        Indexer(fresh, Settings()).sync()
        assert snapshot(live) == snapshot(fresh)
    finally:
        watcher.stop()
        live.close()
        if fresh is not None:
            fresh.close()
        shutil.rmtree(work, ignore_errors=True)
