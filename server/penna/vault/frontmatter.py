"""YAML frontmatter: split it off a note and parse it safely.

PyYAML's safe loader, with two guards a vault needs: aliases are refused (an alias bomb expands
into gigabytes once the values are walked), and anything that is not a mapping is reported rather
than trusted. A broken header never hides the note: the body is still read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml

MAX_FRONTMATTER_CHARS = 64_000


class _DuplicateKeys(yaml.constructor.SafeConstructor):
    duplicates: list[Any]

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        # PyYAML silently keeps the last of duplicate keys; say so (Obsidian refuses the header).
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if not isinstance(key, str):  # `[[a link]]: x` is a list key: PyYAML itself refuses it
                continue
            if key in seen:
                self.duplicates.append(key)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _NoAliasLoader(_DuplicateKeys, yaml.SafeLoader):
    """Safe loader that rejects anchors/aliases, and keeps dates as plain strings."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not allowed in frontmatter", event.start_mark
            )
        return super().compose_node(parent, index)


# Dates stay strings: the index stores JSON, and a user's "2024-13-45" must not raise.
_NoAliasLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(_DuplicateKeys, yaml.CSafeLoader):
        """libyaml's parser (~10x faster: YAML was a seventh of indexing) with the same
        constructor rules. Used only where it reads the same as _NoAliasLoader: no `&`/`*`
        (so no anchors or aliases), no character the pure-Python reader refuses; on any error
        the pure-Python loader reads it again, for its message."""

        yaml_implicit_resolvers = _NoAliasLoader.yaml_implicit_resolvers
else:
    _FastLoader = None  # type: ignore[assignment,misc]


def _fast_data(raw: str) -> tuple[bool, Any, list[Any]]:
    """(read, data, duplicate keys) with libyaml, or (False, …) where only the pure-Python
    loader may read it."""
    if _FastLoader is None or "&" in raw or "*" in raw or yaml.reader.Reader.NON_PRINTABLE.search(raw):
        return False, None, []
    loader = _FastLoader(raw)
    loader.duplicates = []
    try:
        return True, loader.get_single_data(), loader.duplicates
    except (yaml.YAMLError, RecursionError):
        return False, None, []
    finally:
        loader.dispose()


@dataclass(frozen=True)
class Frontmatter:
    data: dict[str, Any]
    body_start_line: int  # first line of the body, 0-based, in the whole file
    error: str | None = None


def split_frontmatter(text: str) -> Frontmatter:
    """Parse a leading `---` … `---` block. Without one, the whole text is body."""
    if not text.startswith("---"):
        return Frontmatter({}, 0)
    lines = text.split("\n", 2000)
    if lines[0].rstrip() != "---":
        return Frontmatter({}, 0)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            raw = "\n".join(lines[1:i])
            data, error = parse_yaml_mapping(raw)
            return Frontmatter(data, i + 1, error)
    return Frontmatter({}, 0, "frontmatter has no closing '---'; read as body")


def parse_yaml_mapping(raw: str) -> tuple[dict[str, Any], str | None]:
    if len(raw) > MAX_FRONTMATTER_CHARS:
        return {}, f"frontmatter larger than {MAX_FRONTMATTER_CHARS} characters ignored"
    if "\t" in raw:
        # YAML forbids tabs for indentation; most are meant as spaces.
        raw = raw.replace("\t", "  ")
    read, data, found = _fast_data(raw)
    loader: _NoAliasLoader | None = None
    try:
        if not read:
            loader = _NoAliasLoader(raw)  # the reader refuses control characters here already
            loader.duplicates = []
            data = loader.get_single_data()
            found = loader.duplicates
    except yaml.YAMLError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "invalid"
        return {}, f"invalid frontmatter YAML: {first_line}"
    except RecursionError:
        return {}, "invalid frontmatter YAML: nested too deeply"
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"frontmatter is a {type(data).__name__}, not a mapping; ignored"
    duplicates = list(dict.fromkeys(found))
    warning = (f"frontmatter has duplicate key {', '.join(repr(k) for k in duplicates)}; the last value is used"
               if duplicates else None)
    return {str(k): _jsonable(v) for k, v in data.items()}, warning


def _jsonable(value: Any, depth: int = 0) -> Any:
    """Values the index can store as JSON; deep or odd structures are flattened to text."""
    if depth > 8:
        return str(value)[:200]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def string_values(value: Any) -> list[str]:
    """All strings inside a frontmatter value: `tags: a, b` and `tags: [a, b]` read alike."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            out.extend(string_values(item))
        return out
    if isinstance(value, dict):
        return [s for v in value.values() for s in string_values(v)]
    return [str(value)]
