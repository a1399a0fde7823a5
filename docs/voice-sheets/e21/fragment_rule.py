"""E21's measurement: the grammar judge's fragment rule, before and after, against the marks
readers gave on every filled sheet in docs/voice-sheets (run from the repository's root with the
project's Python: `.venv/bin/python docs/voice-sheets/e21/fragment_rule.py`; the sheets read up
to E20, as in docs/voice.md). Prints, per system and per change of the charge, how many marks and how many kept.

Before: FRAGMENT_COST when the parser's first linkage links a bare noun phrase to the wall (Wa).
After (penna.writing.grammar as committed): when no linkage reads the sentence as a clause."""

from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

from penna.writing import grammar


def before(sentence: str) -> int | None:
    """The judge as it was before E21 (first linkage, Wa), through Link Grammar's Python binding
    (Debian's python3-link-grammar, for the system Python's version)."""
    sys.path.append("/usr/lib/python3/dist-packages")
    import linkgrammar  # noqa: PLC0415 — only this measurement uses the binding

    linkgrammar.LG_Error.set_handler(lambda _error, _data: None)
    dictionary = _dictionary(linkgrammar)
    options = linkgrammar.ParseOptions(max_null_count=grammar.MAX_NULLS, linkage_limit=grammar.LINKAGE_LIMIT,
                                       max_parse_time=grammar.PARSE_SECONDS, verbosity=0)
    text = grammar._prepare(sentence)
    if len(text.split()) > grammar.LONG_SENTENCE_WORDS:
        return None
    parsed = linkgrammar.Sentence(text, dictionary, options)
    try:
        linkages = parsed.parse()
    except Exception:  # noqa: BLE001 — a timeout: unknown
        return None
    if len(linkages) == 0:
        return grammar.MAX_NULLS
    first = next(iter(linkages))
    wa = any(link.left_word == "LEFT-WALL" and "Wa" in link.left_label for link in first.links())
    return int(parsed.null_count()) + (grammar.FRAGMENT_COST if wa else 0)


_DICTIONARIES: dict[str, object] = {}


def _dictionary(linkgrammar: object) -> object:
    if "en" not in _DICTIONARIES:
        _DICTIONARIES["en"] = linkgrammar.Dictionary("en")  # type: ignore[attr-defined]
    return _DICTIONARIES["en"]


def marks() -> list[tuple[str, str, str]]:
    """(system: penna, author or baseline; mark; sentence) for every marked line of every sheet with a key."""
    found = []
    for sheet in sorted(Path("docs/voice-sheets").rglob("sheet.md")):
        key_file = sheet.with_name("key.json")
        if not key_file.exists() or "e21" in sheet.parts:
            continue
        key = json.loads(key_file.read_text())
        labels = key.get("labels", key)
        paragraph = version = None
        for line in sheet.read_text().splitlines():
            if m := re.match(r"## Paragraph (\d+)", line):
                paragraph = m.group(1)
            elif m := re.match(r"### Version (\w+)", line):
                version = m.group(1)
            elif (m := re.match(r"- \[([k1234])\] (.+)", line.strip())) and paragraph and version:
                name = labels.get(paragraph, {}).get(version, "")
                system = "author" if name == "author" else "penna" if "penna" in name else "baseline"
                found.append((system, m.group(1), m.group(2)))
    return found


def main() -> None:
    table: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for system, mark, sentence in marks():
        old = before(sentence)
        new = grammar.unattached(sentence) if old is not None else None
        if old is None or new is None:
            continue
        change = "same" if old == new else "charged more" if new > old else "charged less"
        table[(system, change)][mark] += 1
    for (system, change), counted in sorted(table.items()):
        total = sum(counted.values())
        print(f"{system:9s} {change:13s} {total:5d} marks, {counted['k'] / total:4.0%} keepable  {dict(counted)}")


if __name__ == "__main__":
    main()
