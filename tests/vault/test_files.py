"""Specification of vault scanning and decoding: what counts as a note, and safe reading."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
from helpers import write

from penna.vault.files import NotANote, decode_note, read_note, scan_vault


def test_skips_obsidian_trash_git_and_temp_files(tmp_path: Path) -> None:
    for rel in ("a.md", "sub/b.md", ".obsidian/c.md", ".trash/d.md", ".git/e.md", "f.md~", ".#g.md", "h.txt",
                "Private/i.md", "drafts/j.md"):
        write(tmp_path, rel, "x")
    found = sorted(f.rel_path for f in scan_vault(tmp_path, exclude=["Private", "drafts/*.md"]))
    assert found == ["a.md", "sub/b.md"]


def test_symlink_loops_and_links_outside_are_not_followed(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "inside.md", "x")
    outside = tmp_path / "outside"
    write(outside, "secret.md", "x")
    os.symlink(vault, vault / "loop")
    os.symlink(outside, vault / "escape")
    found = [f.rel_path for f in scan_vault(vault)]
    assert found == ["inside.md"]


def test_decoding_utf16_bom_invalid_utf8_and_binary() -> None:
    assert decode_note(codecs.BOM_UTF16_LE + "héllo".encode("utf-16-le")).text == "héllo"
    broken = decode_note(b"caf\xe9 au lait")
    assert broken.text.startswith("caf") and broken.warnings == ("invalid UTF-8 replaced",)
    assert decode_note(codecs.BOM_UTF8 + b"x\r\ny").text == "x\ny"
    assert decode_note(b"real text\n" + b"\x00" * 100).text == "real text\n"  # NUL padding seen in a real vault
    with pytest.raises(NotANote):
        decode_note(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_huge_note_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"word " * (1024 * 1024))  # 5 MB
    note = read_note(path)
    assert len(note.text) == 4 * 1024 * 1024 and "only the start is read" in note.warnings[-1]


def test_unicode_names_are_nfc(tmp_path: Path) -> None:
    write(tmp_path, "Cafe\u0301.md", "x")  # NFD, as macOS writes it
    assert [f.rel_path for f in scan_vault(tmp_path)] == ["Caf\u00e9.md"]
