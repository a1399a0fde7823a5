"""Hardening: every odd or hostile thing a real vault can hold is read without a crash, with a
clear warning or a logged skip, and the rest of the vault keeps working.

The files are real files in a real vault folder, read by the real scanner and indexer (SQLite).
Permission checks run the real CLI as an unprivileged user (root ignores permission bits).
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import unprivileged, write

from penna.config import Settings
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer
from penna.paths import index_path
from penna.vault.files import decode_note, read_note, scan_vault
from penna.vault.frontmatter import split_frontmatter
from penna.vault.markdown import parse_note

GOOD = "# Good\n\nA plain note I wrote myself. It links to [[Other]].\n"


def indexer_for(vault: Path) -> tuple[Index, Indexer]:
    index = Index(index_path(vault), vault)
    return index, Indexer(index, Settings())


def warnings_of(index: Index, path: str) -> list[str]:
    import json

    row = index.conn.execute("SELECT warnings FROM notes WHERE path=?", (path,)).fetchone()
    assert row is not None, f"{path} was not indexed"
    return json.loads(row[0])


# --- broken or odd files ---------------------------------------------------------------------
def test_broken_files_are_indexed_or_skipped_with_a_reason(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "good.md", GOOD)
    (vault / "latin1.md").write_bytes("Caf\u00e9 cr\u00e8me, written in Latin-1.\n".encode("latin-1"))
    (vault / "utf16le.md").write_bytes(codecs.BOM_UTF16_LE + "Notes in UTF-16, \u00e9t\u00e9.\n".encode("utf-16-le"))
    (vault / "utf16be.md").write_bytes(codecs.BOM_UTF16_BE + "Big-endian UTF-16 text.\n".encode("utf-16-be"))
    (vault / "picture.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2048))
    (vault / "empty.md").write_bytes(b"")
    index, indexer = indexer_for(vault)
    report = indexer.sync()
    assert dict(report.skipped) == {"picture.md": "binary file, not a Markdown note"}
    assert report.added == 5
    assert warnings_of(index, "latin1.md") == ["invalid UTF-8 replaced"]
    assert "Caf\ufffd cr\ufffdme" in index.chunks_of("latin1.md")[0].text  # the rest of the text survives
    assert warnings_of(index, "utf16le.md") == ["UTF-16 note decoded"]
    assert index.chunks_of("utf16le.md")[0].text == "Notes in UTF-16, \u00e9t\u00e9."
    assert index.chunks_of("utf16be.md")[0].text == "Big-endian UTF-16 text."
    assert index.note("empty.md") is not None and index.chunks_of("empty.md") == []
    assert index.search(["plain", "note"])[0].path == "good.md"  # the good note is unaffected


@pytest.mark.slow
@pytest.mark.timeout(120)  # a hang guard: a 4 MB prefix is parsed, never the 50 MB
def test_fifty_megabyte_note_is_read_up_to_the_cap_and_quickly(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "good.md", GOOD)
    paragraph = ("The dough rose slowly in the cold kitchen, and I waited. " * 20 + "\n\n").encode()
    with open(vault / "huge.md", "wb") as handle:
        for _ in range(50 * 2**20 // len(paragraph) + 1):
            handle.write(paragraph)
    assert (vault / "huge.md").stat().st_size >= 50 * 2**20
    index, indexer = indexer_for(vault)
    report = indexer.sync()
    assert report.added == 2 and report.skipped == []
    assert any("only the start is read" in w for w in warnings_of(index, "huge.md"))
    again = indexer.sync()
    assert (again.added, again.updated) == (0, 0)  # not re-read on the next sync


@pytest.mark.parametrize("line", [
    "word " * 200_000,  # 1 MB of prose on one line
    "*a" * 500_000,  # emphasis markers that never pair up cleanly
    "**" * 499_999 + "x",  # a million asterisks before one word
    "[[" * 500_000,  # link openers that never close
    "#a " * 330_000,  # a million characters of tags
    "> " * 500_000,  # a blockquote nested half a million deep
    "- a " * 250_000,  # a list item full of dashes
])
@pytest.mark.timeout(20)  # parsing must stay roughly linear: a quadratic parse of 1 MB never ends
def test_a_single_one_megabyte_line_parses_in_bounded_time(line: str) -> None:
    note = parse_note(line + "\n")
    assert note.blocks, "the line is kept as a block, not dropped"


@pytest.mark.timeout(60)  # a hang guard: nesting must not make indexing blow up
def test_ten_thousand_deep_bullets_and_quotes_index_and_give_passages(tmp_path: Path) -> None:
    # Indenting 10,000 levels takes 50 MB of tabs: the note is read up to the cap, and said so.
    vault = tmp_path / "vault"
    write(vault, "deep.md", ">" * 10_000 + " a quote nested ten thousand deep\n\n"
          + "\n".join("\t" * i + f"- level {i}" for i in range(10_000)) + "\n")
    index, indexer = indexer_for(vault)
    assert indexer.sync().added == 1
    chunks = index.chunks_of("deep.md")
    assert {c.kind for c in chunks} == {"list", "quote"}
    assert chunks[0].text == "a quote nested ten thousand deep"
    assert max(len(c.text) for c in chunks) < 8_000  # a huge list is cut into chunks a prompt can hold
    assert any("only the start is read" in w for w in warnings_of(index, "deep.md"))


# --- broken Markdown structure ---------------------------------------------------------------
def test_hostile_frontmatter_is_refused_or_reported_and_the_body_is_kept() -> None:
    cases = {
        # a billion-laughs alias bomb: refused before anything expands
        "bomb": ("---\n" + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                 + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)) + "---\n",
                 "aliases are not allowed"),
        "list root": ("---\n- one\n- two\n---\n", "not a mapping"),
        "scalar root": ("---\njust a sentence\n---\n", "not a mapping"),
        "python tag": ("---\nx: !!python/object/apply:os.system ['true']\n---\n", "invalid frontmatter YAML"),
        "unclosed": ("---\ntitle: never closed\n", "no closing"),
        "deep": ("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n", "invalid frontmatter YAML"),
        "control character": ("---\ntitle: a\x1fb\n---\n", "invalid frontmatter YAML"),  # found by the fuzzer
        "list as a key": ("---\n[[A link]]: x\ntitle: t\ntitle: u\n---\n", "invalid frontmatter YAML"),
    }
    for name, (header, message) in cases.items():
        note = parse_note(header + "\nThe body is still read.\n")
        assert note.frontmatter == {}, name  # refused whole: nothing was expanded or half-read
        assert any(message in w for w in note.warnings), (name, note.warnings)
        assert note.blocks and note.blocks[-1].text == "The body is still read.", name


def test_tabs_in_frontmatter_are_read_as_indentation() -> None:
    front = split_frontmatter("---\ntags:\n\t- alpha\n\t- beta\nauthor:\tMe\n---\nBody.\n")
    assert front.error is None
    assert front.data == {"tags": ["alpha", "beta"], "author": "Me"}


def test_duplicate_frontmatter_keys_are_reported_and_the_last_value_wins() -> None:
    note = parse_note("---\ntags: [first]\ntitle: A\ntags: [second]\n---\nBody.\n")
    assert note.frontmatter["tags"] == ["second"] and note.tags == ["second"]
    assert any("duplicate key 'tags'" in w for w in note.warnings), note.warnings


def test_unclosed_fence_hides_no_text_before_it_and_does_not_crash() -> None:
    note = parse_note("Intro paragraph.\n\n~~~~\nnever closed [[x]]\n\n# not a heading\n")
    assert [b.kind for b in note.blocks] == ["paragraph", "code"]
    assert note.headings == [] and note.links == []


def test_self_links_cycles_missing_targets_and_embeds(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "A.md", "A links to itself [[A]], to [[B]] and to [[Nowhere]]. ![[photo.png]] ![[paper.pdf#page=3]]\n")
    write(vault, "B.md", "B links back to [[A]] and to [[C]].\n")
    write(vault, "C.md", "C closes the cycle with [[A]]. ![[B]]\n")
    (vault / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(256))
    (vault / "paper.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(256))
    index, indexer = indexer_for(vault)
    report = indexer.sync()
    assert report.scanned == 3 and report.skipped == []  # images and PDFs are not notes
    assert index.outgoing("A.md") == ["B.md"]  # not itself, not the missing note, not the attachments
    assert set(index.backlinks("A.md")) == {"B.md", "C.md"}  # a cycle, reported once each
    assert index.outgoing("C.md") == ["A.md", "B.md"]
    assert index.resolve("Nowhere") is None
    from penna.knowledge.propositional import propositional_section

    section = propositional_section(index, ["links", "cycle"], current_path="A.md", salience={})
    assert {item.source for item in section.items} <= {"B.md", "C.md"}


# --- the filesystem --------------------------------------------------------------------------
def test_symlinked_files_outside_the_vault_are_not_read(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    write(vault, "inside.md", GOOD)
    write(outside, "secret.md", "private words")
    os.symlink(outside / "secret.md", vault / "link.md")
    os.symlink(vault / "inside.md", vault / "alias.md")  # a link that stays inside is fine
    os.symlink(vault / "missing.md", vault / "dangling.md")
    os.symlink("self.md", vault / "self.md")  # a link to itself
    index, indexer = indexer_for(vault)
    indexer.sync()
    assert sorted(r for (r,) in index.conn.execute("SELECT path FROM notes")) == ["alias.md", "inside.md"]
    assert index.search(["private"]) == []
    assert indexer.index_file("link.md").startswith("skipped")  # the watcher's path refuses it too


def test_names_with_newlines_normalisation_variants_and_case(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "two\nlines.md", "A name with a newline in it.\n")
    write(vault, "Cafe\u0301.md", "Written under an NFD name, as macOS does.\n")
    write(vault, "Note.md", "Upper case note.\n")
    write(vault, "note.md", "Lower case note.\n")
    write(vault, "Sub/Cr\u00e8me.md", "NFC name.\n")
    write(vault, "Sub/Cre\u0300me.md", "NFD twin of the same name.\n")
    index, indexer = indexer_for(vault)
    report = indexer.sync()
    paths = sorted(r for (r,) in index.conn.execute("SELECT path FROM notes"))
    assert "two\nlines.md" in paths
    assert "Caf\u00e9.md" in paths and index.chunks_of("Caf\u00e9.md")  # the NFD file's text was read
    assert {"Note.md", "note.md"} <= set(paths)  # case-only twins are two notes on Linux
    assert index.resolve("note") in ("Note.md", "note.md")
    assert "Sub/Cr\u00e8me.md" in paths
    assert [reason for path, reason in report.skipped if path == "Sub/Cr\u00e8me.md"] == [
        "another file has the same name in another Unicode normalisation"]
    assert indexer.sync().updated == 0  # stable: the twins do not flip-flop


def test_permission_denied_files_and_folders_are_skipped_and_reported(world_readable_dir: Path) -> None:
    vault = world_readable_dir / "vault"
    write(vault, "ok.md", GOOD)
    write(vault, "locked.md", "private")
    write(vault, "Closed/inner.md", "private too")
    os.chmod(vault / "locked.md", 0o000)
    os.chmod(vault / "Closed", 0o000)
    cache = world_readable_dir / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    try:
        result = subprocess.run(unprivileged([sys.executable, "-m", "penna", "index", str(vault)]),
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PENNA_CACHE_DIR": str(cache)}, check=False)
    finally:
        os.chmod(vault / "Closed", 0o755)
        os.chmod(vault / "locked.md", 0o644)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "index: 1 notes" in result.stdout
    assert "skipped locked.md: Permission denied" in result.stderr
    assert "skipped Closed: Permission denied" in result.stderr


def test_scan_survives_files_vanishing_mid_scan(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    for i in range(20):
        write(vault, f"n{i}.md", GOOD)
    found = []
    for number, note in enumerate(scan_vault(vault)):
        if number == 0:
            for i in range(10, 20):
                (vault / f"n{i}.md").unlink()
        found.append(note.rel_path)
    assert 1 <= len(found) <= 20
    assert read_note(vault / "n0.md").text == GOOD
    assert decode_note(b"").text == ""
