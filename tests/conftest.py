"""Shared fixtures. Every test gets its own cache directory, so no test sees another's index
and nothing is ever written to the user's real cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_VAULT = ROOT / "examples" / "sample-vault"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("penna-cache")
    monkeypatch.setenv("PENNA_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def sample_vault(tmp_path: Path) -> Path:
    """A private copy of the shipped sample vault (tests may change it)."""
    target = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, target)
    return target


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (it sits beside the checkout in CI)")
    return SHARED_DATA
