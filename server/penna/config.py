"""Settings: one typed object shared by the CLI, the server and the benchmarks.

Editors send camelCase keys (section `penna`, see docs/protocol.md); Python uses snake_case.
Invalid values never stop penna: they are reported and the default is kept.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_READING_FOLDERS = ("Clippings", "Readwise", "References", "Sources")
HOVER_MODES = ("off", "cached", "generate")


def usable_cpus() -> int:
    """The CPUs this process may run on: all of them, or fewer under `taskset` or a container's
    cpuset. The model's threads default to this; more threads than CPUs make llama.cpp's threads
    spin-wait for each other, which is far slower than fewer threads."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    model: str = "default"
    remote_url: str = ""
    model_folders: tuple[str, ...] = ()  # searched by `penna model list` and for model names
    n_ctx: int = 2048
    threads: int = field(default_factory=usable_cpus)
    temperature: float = 0.7
    max_tokens: int = 256
    seed: int = -1
    author_name: str = ""
    profile_note: str = "About me.md"
    reading_folders: tuple[str, ...] = DEFAULT_READING_FOLDERS
    exclude: tuple[str, ...] = ()
    half_life_days: float = 14.0
    hover: str = "generate"
    diagnostics: bool = True
    learn_from_rewrites: bool = True

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# key in the editor's settings → (field name, validator). A validator returns the clean value
# or raises ValueError with a message that names what is allowed.
def _int_range(lo: int, hi: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {value!r}")
        if value < lo or (hi is not None and value > hi):
            raise ValueError(f"must be between {lo} and {hi}" if hi else f"must be at least {lo}")
        return value

    return check


def _number_range(lo: float, hi: float | None, *, open_low: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"must be a number, got {value!r}")
        if (value <= lo if open_low else value < lo) or (hi is not None and value > hi):
            raise ValueError(f"must be in {'(' if open_low else '['}{lo}, {hi if hi is not None else '∞'}]")
        return float(value)

    return check


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {value!r}")
    return value


def _server_url(value: Any) -> str:
    """Empty (no server) or an http(s) URL with a host; the backend checks the rest on connecting."""
    from urllib.parse import urlsplit

    url = _string(value).strip()
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname):
        raise ValueError(f"must be empty or an http:// or https:// address like http://127.0.0.1:8080, got {value!r}")
    return url


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be a list of strings, got {value!r}")
    return tuple(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _hover_mode(value: Any) -> str:
    if value not in HOVER_MODES:
        raise ValueError(f"must be one of {', '.join(HOVER_MODES)}, got {value!r}")
    return str(value)


FIELDS: dict[str, tuple[str, Any]] = {
    "model": ("model", _string),
    "remoteUrl": ("remote_url", _server_url),
    "modelFolders": ("model_folders", _string_list),
    "nCtx": ("n_ctx", _int_range(512, 131072)),
    "threads": ("threads", _int_range(1, 256)),
    "temperature": ("temperature", _number_range(0.0, 2.0)),
    "maxTokens": ("max_tokens", _int_range(16, 4096)),
    "seed": ("seed", _int_range(-1)),
    "authorName": ("author_name", _string),
    "profileNote": ("profile_note", _string),
    "readingFolders": ("reading_folders", _string_list),
    "exclude": ("exclude", _string_list),
    "halfLifeDays": ("half_life_days", _number_range(0.0, None, open_low=True)),
    "hover": ("hover", _hover_mode),
    "diagnostics": ("diagnostics", _boolean),
    "learnFromRewrites": ("learn_from_rewrites", _boolean),
}


# Settings penna no longer has: an old editor configuration that still sends one is told why it
# does nothing, instead of "unknown setting".
RETIRED: dict[str, str] = {
    "hoverWaitMs": "hover answers at once and never waits for the model",
}


def settings_from_dict(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Apply editor settings (camelCase or snake_case keys) on top of `base`.

    Returns the settings and one human-readable problem per rejected key. A rejected key keeps
    its value from `base`, so a typo never takes penna down.
    """
    base = base or Settings()
    if raw is None:
        return base, []
    if not isinstance(raw, dict):
        return base, [f"penna settings must be an object, got {type(raw).__name__}; using defaults"]
    by_snake = {snake: (camel, check) for camel, (snake, check) in FIELDS.items()}
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        if key in FIELDS:
            camel, (snake, check) = key, FIELDS[key]
        elif key in by_snake:
            snake, (camel, check) = key, by_snake[key]
        elif key in RETIRED:
            problems.append(f"penna: setting '{key}' was removed and is ignored ({RETIRED[key]})")
            continue
        else:
            problems.append(f"penna: unknown setting '{key}' ignored")
            continue
        if value is None:
            continue
        try:
            changes[snake] = check(value)
        except ValueError as error:
            problems.append(f"penna: setting '{camel}' {error}; keeping {getattr(base, snake)!r}")
    return base.replace(**changes), problems
