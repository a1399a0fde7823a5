"""Finding and reading the notes of a vault, safely.

Skips what is not the author's notes (`.obsidian/`, `.trash/`, `.git/`, user exclusions), never
follows a symlink out of the vault or round a loop, and decodes whatever bytes a note holds
(UTF-8, UTF-16 with a BOM, broken UTF-8) without crashing. Binary files named `.md` are skipped.
"""

from __future__ import annotations

import codecs
import fnmatch
import os
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SKIPPED_DIRS = frozenset({".obsidian", ".trash", ".git", ".stversions", "node_modules", ".penna"})
NOTE_SUFFIXES = (".md", ".markdown")
MAX_NOTE_BYTES = 4 * 1024 * 1024  # a larger note is read only this far (50 MB notes exist)
# Editors' temporary and backup files: never notes.
TEMP_PATTERNS = ("*~", ".#*", "#*#", "*.swp", "*.swx", "*.tmp", ".~*", "*.crswap", "*.bak")


@dataclass(frozen=True)
class NoteFile:
    rel_path: str  # POSIX-style, relative to the vault, NFC-normalised
    abs_path: Path
    mtime: float
    size: int


@dataclass(frozen=True)
class NoteText:
    text: str
    warnings: tuple[str, ...] = ()


class NotANote(ValueError):
    """The file is not readable text (binary, or unreadable)."""


class NoteTooLarge(NotANote):
    """A note larger than what penna reads for a request."""

    def __init__(self, name: str, size: int, limit: int = MAX_NOTE_BYTES) -> None:
        super().__init__(f"{name} is too large for penna ({size / 2**20:.0f} MB; limit {limit // 2**20} MB)")
        self.size = size
        self.limit = limit


class VaultError(ValueError):
    """The vault cannot be used (missing, not a folder). The message is for the user."""


def normalise_rel(rel_path: str) -> str:
    """One spelling per note: POSIX separators and NFC (macOS writes NFD names)."""
    return unicodedata.normalize("NFC", rel_path.replace(os.sep, "/"))


def vault_folder(path: Path) -> Path:
    """The vault's folder, resolved (`~` expanded); raises VaultError when it is missing or not a folder."""
    vault = Path(path).expanduser()
    if not vault.exists():
        raise VaultError(f"vault folder not found: {vault}")
    if not vault.is_dir():
        raise VaultError(f"not a folder: {vault}")
    return vault.resolve()


def vault_relative(vault: Path, path: Path | str) -> str | None:
    """Vault-relative path of a file (`path` relative to the vault, or absolute), or None if it
    lies outside `vault` (a resolved folder)."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = vault / candidate
    try:
        # NFC, as the index spells it (a note may be saved under an NFD name).
        return normalise_rel(candidate.resolve().relative_to(vault).as_posix())
    except (ValueError, OSError):
        return None


def is_excluded(rel_path: str, exclude: Sequence[str]) -> bool:
    parts = rel_path.split("/")
    if any(part in SKIPPED_DIRS for part in parts[:-1]):
        return True
    name = parts[-1]
    if any(fnmatch.fnmatch(name, pattern) for pattern in TEMP_PATTERNS):
        return True
    for raw_pattern in exclude:
        pattern = raw_pattern.strip("/")
        if fnmatch.fnmatch(rel_path, pattern) or fnmatch.fnmatch(rel_path, pattern + "/*"):
            return True
        if any(fnmatch.fnmatch("/".join(parts[:k]), pattern) for k in range(1, len(parts))):
            return True
    return False


def is_note_path(rel_path: str, exclude: Sequence[str] = ()) -> bool:
    return rel_path.lower().endswith(NOTE_SUFFIXES) and not is_excluded(rel_path, exclude)


def scan_vault(root: Path, exclude: Sequence[str] = (),
               errors: list[tuple[str, str]] | None = None) -> Iterator[NoteFile]:
    """Every note in the vault. Symlinks are followed only while they stay inside it.

    What cannot be read (a folder without permission, a second file whose name differs only in
    Unicode normalisation) is appended to `errors` as (path, reason) instead of failing the scan.
    """
    root = Path(root)
    real_root = root.resolve()
    seen_dirs: set[str] = set()
    seen_notes: set[str] = set()
    stack = [(root, "")]
    while stack:
        directory, rel_dir = stack.pop()
        for entry in _nfc_first(_unseen_entries(directory, rel_dir, seen_dirs, errors)):
            rel = normalise_rel(f"{rel_dir}{entry.name}")
            try:
                kind = _entry_kind(entry, rel, real_root, exclude)
                if kind == "folder":
                    stack.append((Path(entry.path), rel + "/"))
                elif kind == "note":
                    note = _first_spelling(entry, rel, seen_notes, errors)
                    if note is not None:
                        yield note
            except OSError:
                continue


def _unseen_entries(directory: Path, rel_dir: str, seen_dirs: set[str],
                    errors: list[tuple[str, str]] | None) -> list[os.DirEntry[str]]:
    """A folder's entries, or none when it was listed already (a symlink loop, or the same
    folder reached twice) or cannot be listed (recorded in `errors` unless it is gone)."""
    try:
        real_dir = str(Path(directory).resolve())
    except (OSError, RuntimeError):
        return []
    if real_dir in seen_dirs:
        return []
    seen_dirs.add(real_dir)
    try:
        return list(os.scandir(directory))
    except OSError as error:  # permission denied, or removed while scanning
        if errors is not None and not isinstance(error, FileNotFoundError):
            errors.append((rel_dir.rstrip("/") or ".", error.strerror or str(error)))
        return []


def _nfc_first(entries: list[os.DirEntry[str]]) -> list[os.DirEntry[str]]:
    """NFC spellings first, so of two names differing only in normalisation the NFC one wins."""
    return sorted(entries, key=lambda e: (normalise_rel(e.name), normalise_rel(e.name) != e.name))


def _entry_kind(entry: os.DirEntry[str], rel: str, real_root: Path,
                exclude: Sequence[str]) -> Literal["folder", "note"] | None:
    """A folder to scan, a note, or neither (a link out of the vault, a skipped or excluded
    folder, any other file). Raises OSError."""
    if entry.is_symlink() and not _inside(Path(entry.path), real_root):
        return None
    if entry.is_dir():
        return "folder" if entry.name not in SKIPPED_DIRS and not is_excluded(rel + "/x", exclude) else None
    if entry.is_file() and is_note_path(rel, exclude):
        return "note"
    return None


def _first_spelling(entry: os.DirEntry[str], rel: str, seen_notes: set[str],
                    errors: list[tuple[str, str]] | None) -> NoteFile | None:
    """The note, unless a file with the same normalised name was found first. Raises OSError."""
    if rel in seen_notes:
        if errors is not None:
            errors.append((rel, "another file has the same name in another Unicode normalisation"))
        return None
    seen_notes.add(rel)
    status = entry.stat()
    return NoteFile(rel, Path(entry.path), status.st_mtime, status.st_size)


def locate(root: Path, rel_path: str) -> Path:
    """The file behind a vault-relative (NFC) note path. Linux keeps names as written, so a
    note saved under an NFD name is found by comparing normalised names. Raises NotANote for a
    symlink leading out of the vault; a missing note gives a path that does not exist."""
    root = Path(root)
    path = root / rel_path
    if not os.path.lexists(path):
        current = root
        for part in rel_path.split("/"):
            candidate = current / part
            if not os.path.lexists(candidate):
                try:
                    candidate = next((current / name for name in os.listdir(current)
                                      if unicodedata.normalize("NFC", name) == part), candidate)
                except OSError:
                    return path
            current = candidate
        path = current
    if os.path.lexists(path) and not _plainly_inside(root, path) and not _inside(path, root.resolve()):
        raise NotANote("a link to a file outside the vault is not followed")
    return path


def _plainly_inside(root: Path, path: Path) -> bool:
    """True when `path` lies under `root` with no symlink and no `..` on the way: then it resolves
    inside the resolved root without resolving either (two lstat calls, where resolving both took
    a tenth of indexing a note)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    current = root
    for part in parts:
        if part in ("..", "."):
            return False
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except OSError:
            return False
    return bool(parts)


def _inside(path: Path, real_root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(real_root)
    except (OSError, RuntimeError):
        return False


def decode_note(data: bytes) -> NoteText:
    """Bytes → text, whatever the encoding. Raises NotANote for binary data."""
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return NoteText(data.decode("utf-16", errors="replace"), ("UTF-16 note decoded",))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    data = data.rstrip(b"\x00")  # NUL padding after real text (seen in a real vault) is not content
    if b"\x00" in data[:8192]:
        raise NotANote("binary file, not a Markdown note")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        warnings.append("invalid UTF-8 replaced")
    return NoteText(text.replace("\r\n", "\n").replace("\r", "\n"), tuple(warnings))


def _read_regular(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes of a regular file. A FIFO, socket or device is refused without
    waiting: opening a FIFO for reading would block until some writer opened it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotANote(f"{Path(path).name} is not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


def read_request_text(path: Path, limit: int = MAX_NOTE_BYTES) -> str:
    """A note's text for an editor request on a note that is not open: regular files only,
    decoded as the indexer decodes (invalid bytes become U+FFFD), and refused past `limit`
    (NoteTooLarge) rather than read whole. Raises NotANote or OSError."""
    data = _read_regular(path, limit)
    if len(data) > limit:
        raise NoteTooLarge(Path(path).name, os.stat(path).st_size, limit)
    return decode_note(data).text


def read_note(path: Path) -> NoteText:
    """Read a note from disk (at most MAX_NOTE_BYTES). Raises NotANote or OSError."""
    data = _read_regular(path, MAX_NOTE_BYTES)
    truncated = len(data) > MAX_NOTE_BYTES
    note = decode_note(data[:MAX_NOTE_BYTES])
    if truncated:
        capped = f"note larger than {MAX_NOTE_BYTES // 2**20} MB: only the start is read"
        return NoteText(note.text, (*note.warnings, capped))
    return note
