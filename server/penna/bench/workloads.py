"""Where the benchmark runs: vaults (real, synthetic) and the editor positions it asks about.

Real vaults are read-only data beside the checkout; nothing here writes into them. Requests are
made on notes as they are on disk (an editor reads the same bytes), at places where an editor
would ask: right after `[[` and a few letters inside an existing link, after `#` in a tag, on a
bullet, on a paragraph of prose.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from penna.bench.synthetic import generate_vault
from penna.knowledge.items import notes_from_sentence
from penna.vault.files import scan_vault
from penna.vault.text import sentences

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
LINK = re.compile(r"\[\[([A-Za-z0-9][^\]|#\n]{2,})")
TAG = re.compile(r"(?:^|\s)#([A-Za-z][\w/-]{2,})")
BULLET = re.compile(r"^\s*[-*+] +\S.{10,}$")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class Vault:
    name: str
    path: Path
    notes: int
    kind: str  # real | synthetic | corpus


def real_vaults(data: Path = SHARED_DATA) -> dict[str, Path]:
    """The real workloads that exist here: vaults, and the nullprogram posts used as a vault."""
    found = {}
    for name in ("vaultofknowledge", "kepano-obsidian"):
        if (data / "vaults" / name).is_dir():
            found[name] = data / "vaults" / name
    posts = data / "authors" / "nullprogram" / "posts"
    if posts.is_dir():
        found["nullprogram"] = posts
    return found


def count_notes(root: Path) -> int:
    return sum(1 for _ in scan_vault(root, ()))


def synthetic(root: Path, notes: int, seed: int = 1) -> Vault:
    """A synthetic vault of `notes` notes, generated once and reused while its marker matches."""
    folder = root / f"synthetic-{notes}-s{seed}"
    marker = folder / ".penna-bench-complete"
    if not marker.exists():
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        generate_vault(folder, notes, seed=seed)
        marker.write_text("generated\n", encoding="utf-8")
    return Vault(f"synthetic {notes:,}", folder, notes, "synthetic")


# --- positions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spot:
    """A place in a note on disk where an editor sends a request."""

    kind: str  # link | tag | action | hover
    path: Path
    line: int
    character: int  # UTF-16 code units, the LSP default

    def params(self) -> dict[str, object]:
        return {"textDocument": {"uri": self.path.resolve().as_uri()},
                "position": {"line": self.line, "character": self.character}}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Spots:
    link: list[Spot] = field(default_factory=list)
    tag: list[Spot] = field(default_factory=list)
    action: list[Spot] = field(default_factory=list)
    hover: list[Spot] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Spot]]:
        return {"link": self.link, "tag": self.tag, "action": self.action, "hover": self.hover}


def find_spots(root: Path, per_kind: int = 40, seed: int = 7) -> Spots:
    """Up to `per_kind` places of each kind, spread over the vault, chosen deterministically."""
    files = sorted(f.abs_path for f in scan_vault(root, ()))
    random.Random(seed).shuffle(files)
    spots = Spots()
    for path in files:
        if all(len(v) >= per_kind for v in spots.by_kind().values()):
            break
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "\r" in text or text.startswith("\ufeff"):
            continue  # keep positions simple: LF files without a BOM
        _spots_in(path, text, spots, per_kind)
    return spots


def _spots_in(path: Path, text: str, spots: Spots, per_kind: int) -> None:
    fenced = False
    in_frontmatter = text.startswith("---\n")
    taken = set()
    for number, line in enumerate(text.split("\n")):
        if in_frontmatter:
            if number > 0 and line.strip() == "---":
                in_frontmatter = False
            continue
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if (match := LINK.search(line)) and len(spots.link) < per_kind and "link" not in taken:
            cut = match.start(1) + 2  # `[[` and two letters: an editor asks as the user types
            spots.link.append(Spot("link", path, number, utf16(line[:cut])))
            taken.add("link")
        elif (match := TAG.search(line)) and len(spots.tag) < per_kind and "tag" not in taken:
            cut = match.start(1) + 2
            spots.tag.append(Spot("tag", path, number, utf16(line[:cut])))
            taken.add("tag")
        elif BULLET.match(line) and len(spots.action) < per_kind and "action" not in taken:
            spots.action.append(Spot("action", path, number, utf16(line) // 2))
            taken.add("action")
        elif (len(line) > 120 and not line.lstrip().startswith((">", "#", "|", "-", "*", "!"))
              and len(spots.hover) < per_kind and "hover" not in taken):
            spots.hover.append(Spot("hover", path, number, utf16(line) // 2))
            taken.add("hover")


# --- requests for the model figures ----------------------------------------------------------
@dataclass
class Draft:
    """A note to act on, and bullets an author could write in it."""

    rel_path: str
    bullets: list[str]


def drafts(root: Path, count: int, seed: int = 11, per_draft: int = 3) -> list[Draft]:
    """Notes with prose, each with bullets made from another note's sentences (so the request's
    words are the author's kind of words, and retrieval has something to find)."""
    files = sorted(scan_vault(root, ()), key=lambda f: f.rel_path)
    rng = random.Random(seed)
    rng.shuffle(files)
    prose: list[tuple[str, list[str]]] = []
    for file in files:
        try:
            text = file.abs_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        body = "\n".join(line for line in text.split("\n")
                         if line and not line.startswith(("#", ">", "-", "|", "!", "`")))
        found = [n for n in (notes_from_sentence(s) for s in sentences(body)[:12]) if n and len(n.split()) >= 3]
        if len(found) >= per_draft:
            prose.append((file.rel_path, found))
        if len(prose) >= 2 * count:
            break
    result = []
    for number in range(min(count, len(prose) // 2)):
        note, _ = prose[number]
        _, notes = prose[-1 - number]
        result.append(Draft(note, notes[:per_draft]))
    return result


def bullet_text(bullets: list[str]) -> str:
    return "\n".join(f"- {b}" for b in bullets) + "\n"
