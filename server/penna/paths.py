"""Where penna keeps its own files: the user cache directory, never the vault.

Sync services copy whatever sits in a vault, so the index lives in the user cache, one database
per vault, keyed by the vault's resolved path.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The root of penna's cache. `PENNA_CACHE_DIR` overrides it (tests, read-only homes)."""
    override = os.environ.get("PENNA_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("penna"))


def index_path(vault: Path) -> Path:
    """The index database for one vault: readable name plus a hash of the resolved path."""
    resolved = str(Path(vault).resolve())
    digest = hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(resolved).name).strip("-")[:40] or "vault"
    return cache_dir() / "index" / f"{slug}-{digest}.sqlite"


def state_dir() -> Path | None:
    """Where evaluated prompt prefixes are kept across restarts (`writing/state_store.py`):
    `PENNA_STATE_DIR` if set ("off" keeps none), else in the cache."""
    override = os.environ.get("PENNA_STATE_DIR")
    if override is not None and override.strip().lower() == "off":
        return None
    return Path(override) if override else cache_dir() / "states"
