"""The synthetic vault generator: deterministic, realistically shaped, and fast."""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest
import yaml

from penna.bench.synthetic import DAY, EPOCH, SPAN, USER_NAME, generate_vault, main

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same safety, faster when libyaml is there

N = 1000
LINK = re.compile(r"(!?)\[\[([^\]]+)\]\]")


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory):
    """One 1,000-note vault shared by the read-only tests, to keep the suite fast."""
    root = tmp_path_factory.mktemp("vault")
    stats = generate_vault(root, N, seed=1)
    print(f"\ngenerated {N} notes in {stats.seconds:.2f} s: {stats}")
    return root, stats


def split_note(path: Path) -> tuple[dict | None, str]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return None, text
    head, body = text[4:].split("\n---\n", 1)
    return yaml.load(head, Loader=SafeLoader), body


@pytest.fixture(scope="module")
def parsed(vault) -> dict[Path, tuple[dict | None, str]]:
    """Frontmatter and body of every note, parsed once for all tests."""
    return {p: split_note(p) for p in notes(vault[0])}


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
            h.update(str(path.stat().st_mtime_ns).encode())
    return h.hexdigest()


def notes(root: Path) -> list[Path]:
    return sorted(root.rglob("*.md"))


def test_same_seed_gives_identical_tree(tmp_path: Path) -> None:
    generate_vault(tmp_path / "a", 200, seed=7)
    generate_vault(tmp_path / "b", 200, seed=7)
    generate_vault(tmp_path / "c", 200, seed=8)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")


def test_counts_include_the_profile_note(vault) -> None:
    root, stats = vault
    assert stats.notes == N == len(notes(root))
    assert (root / "About me.md").is_file()
    assert stats.bytes == sum(p.stat().st_size for p in notes(root))
    assert stats.seconds > 0  # timed; how fast is `penna bench --generate`'s figure, not this test's


def test_clippings_are_a_fifth_and_carry_a_source(vault, parsed) -> None:
    root, stats = vault
    clippings = sorted((root / "Clippings").glob("*.md"))
    assert len(clippings) == stats.clippings
    assert 0.17 <= len(clippings) / N <= 0.23
    for path in clippings:
        meta, body = parsed[path]
        assert meta and ("source" in meta or "url" in meta), path
        assert body.strip()
    for path, (meta, _) in parsed.items():  # no written note outside Clippings/ looks like a clipping
        if "Clippings" not in path.parts and meta:
            assert "source" not in meta and "url" not in meta, path


def test_frontmatter_parses_and_is_common(parsed) -> None:
    metas = [meta for meta, _ in parsed.values()]
    with_meta = [m for m in metas if m is not None]
    assert all(isinstance(m, dict) for m in with_meta)
    assert len(with_meta) / N > 0.7
    tags = [t for m in with_meta for t in (m.get("tags") or [])]
    assert any("/" in t for t in tags)  # nested tags
    assert any(m.get("aliases") for m in with_meta)
    assert any(m.get("author") == USER_NAME for m in with_meta)


def test_links_mostly_resolve_with_hubs(vault, parsed) -> None:
    root, stats = vault
    names = {p.stem for p in parsed} | {p.name for p in (root / "Attachments").iterdir()}
    headings = {p.stem: set(re.findall(r"^#+ (.+)$", body, re.M)) for p, (_, body) in parsed.items()}
    backlinks: Counter[str] = Counter()
    found = resolved = embeds = 0
    for _, body in parsed.values():
        for bang, inner in LINK.findall(body):  # bodies only: stats skip `author: [[…]]`
            found += 1
            embeds += bool(bang)
            target, _, heading = inner.split("|")[0].partition("#")
            if target in names:
                resolved += 1
                backlinks[target] += 1
                assert not heading or heading in headings[target], inner
    assert found == stats.links + stats.embeds and embeds == stats.embeds
    assert 0.85 <= resolved / found < 1  # mostly resolved, some missing notes
    assert found - resolved == stats.missing_links
    mean = sum(backlinks.values()) / len(names)
    assert backlinks.most_common(1)[0][1] > 10 * mean  # preferential attachment made hubs
    text = "\n".join(body for _, body in parsed.values())
    assert re.search(r"\[\[[^\]|#]+\|[^\]]+\]\]", text) and re.search(r"\[\[[^\]|]+#[^\]]+\]\]", text)
    assert re.search(r"!\[\[pic-\d+\.png", text)


def test_sizes_have_a_heavy_tail(parsed) -> None:
    words = [len(body.split()) for _, body in parsed.values()]
    empty = sum(w == 0 for w in words)
    assert 0.03 <= empty / N <= 0.08
    assert 50 <= statistics.median(words) <= 600
    assert sum(w >= 3000 for w in words) >= 5


def test_markdown_features_and_names(vault, parsed) -> None:
    root, _ = vault
    text = "\n".join(body for _, body in parsed.values())
    for feature in (r"^> \[!\w+\]", r"^```\w+$", r"^%%", r"%% .+ %%", r"^> ", r"^## ",
                    r"^\t+- |^ {2,}- ", r" #[a-z]+/[a-z]+", r"^- \[[ x]\] ", r"I think"):
        assert re.search(feature, text, re.M), feature
    rel = [p.relative_to(root) for p in notes(root)]
    assert any(not p.as_posix().isascii() for p in rel)
    assert any(" " in p.name for p in rel)
    assert any(len(p.parts) >= 4 for p in rel)  # e.g. Notes/<topic>/<sub>/note.md
    assert any(p.parts[:2] == ("Daily", "2025") for p in rel)
    assert any(p.parts[0] == "Projects" and len(p.parts) == 3 for p in rel)


def test_mtimes_span_two_years_from_a_fixed_epoch(vault) -> None:
    root, _ = vault
    mtimes = [p.stat().st_mtime for p in notes(root)]
    assert all(EPOCH - SPAN <= m <= EPOCH for m in mtimes)
    assert min(mtimes) < EPOCH - 600 * DAY
    assert sum(m > EPOCH - 14 * DAY for m in mtimes) >= 20  # recent work for salience tests


def test_cli_prints_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "v"), "--notes", "40", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"notes: 40$", out, re.M)
    assert main([str(tmp_path / "v"), "--notes", "40"]) == 2  # refuses a non-empty directory


def test_tiny_vaults_work(tmp_path: Path) -> None:
    assert generate_vault(tmp_path / "one", 1).notes == 1
    assert generate_vault(tmp_path / "five", 5).notes == len(notes(tmp_path / "five")) == 5
    with pytest.raises(ValueError):
        generate_vault(tmp_path / "zero", 0)
