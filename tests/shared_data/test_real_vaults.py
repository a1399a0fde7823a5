"""The real vaults in ../shared/data: nothing crashes, and the counts are plausible."""

from __future__ import annotations

from pathlib import Path

import pytest

from penna.config import Settings
from penna.engine import Engine


@pytest.mark.shared_data
def test_kepano_vault(shared_data: Path) -> None:
    engine = Engine(shared_data / "vaults" / "kepano-obsidian", Settings())
    report = engine.sync()
    counts = engine.index.counts()
    assert report.scanned == counts["notes"] == 103 and not report.skipped
    clippings = engine.index.conn.execute("SELECT origin FROM notes WHERE path LIKE 'Clippings/%'").fetchall()
    assert clippings and {o for (o,) in clippings} == {"read"}
    assert counts["links"] > 100
    assert engine.index.backlinks("Categories/Books.md") or engine.index.backlinks("Categories/Clippings.md")


@pytest.mark.shared_data
def test_vaultofknowledge(shared_data: Path) -> None:
    root = shared_data / "vaults" / "vaultofknowledge"
    on_disk = sum(1 for p in root.rglob("*.md") if ".trash" not in p.parts and ".obsidian" not in p.parts)
    engine = Engine(root, Settings())
    report = engine.sync()
    counts = engine.index.counts()
    assert report.scanned == on_disk and counts["notes"] == on_disk  # every note, nothing from .trash
    assert engine.index.conn.execute("SELECT COUNT(*) FROM notes WHERE path LIKE '.trash/%'").fetchone()[0] == 0
    read_chunks = engine.index.conn.execute("SELECT COUNT(*) FROM chunks WHERE origin='read'").fetchone()[0]
    assert read_chunks > 100  # pasted quotations are read material
    assert counts["links"] > 1000 and counts["chunks"] > 5000
    assert engine.profile().words > 50_000
    assert engine.sync().added == 0  # reopening is incremental
