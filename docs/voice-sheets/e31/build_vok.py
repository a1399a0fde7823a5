"""Builds the vaultofknowledge corpus every E-reading since "Another author" used, from the shared
data: the notes at the vault's root (files only, LICENSE.md among them) and in `01. Personal`,
`02. To Share`, `03. Culture` and `07. Miscellaneous`, less those with `source`, `url` or `author`
in their frontmatter or a clippings tag, and those with no prose paragraph: 550 notes. With it
`penna eval voice … --paragraphs 10 --bullets natural` draws the same 10 paragraphs as E17–E31
(495 posts in the vault, 55 held out). Run from the repository's root with the project's Python:

    .venv/bin/python docs/voice-sheets/e31/build_vok.py ../shared/data/vaults/vaultofknowledge /tmp/ev/vok
"""

import shutil
import sys
from pathlib import Path

from penna.eval.corpus import prose_paragraphs
from penna.vault.markdown import parse_note

FOLDERS = ("01. Personal", "02. To Share", "03. Culture", "07. Miscellaneous")

source, target = Path(sys.argv[1]), Path(sys.argv[2])
if target.exists():
    shutil.rmtree(target)
kept = 0
for path in sorted(source.rglob("*.md")):
    relative = path.relative_to(source)
    if any(part.startswith(".") for part in relative.parts):
        continue
    if len(relative.parts) > 1 and relative.parts[0] not in FOLDERS:
        continue
    text = path.read_text(encoding="utf-8", errors="replace")
    front = parse_note(text).frontmatter or {}
    tags = front.get("tags") or []
    tags = [tags] if isinstance(tags, str) else tags
    if any(key in front for key in ("source", "url", "author")) or any("clipping" in str(t).lower() for t in tags):
        continue
    if not prose_paragraphs(text):
        continue
    (target / relative).parent.mkdir(parents=True, exist_ok=True)
    (target / relative).write_text(text, encoding="utf-8")
    kept += 1
print(f"{kept} notes -> {target}")
