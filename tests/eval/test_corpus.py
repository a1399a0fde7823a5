"""Specification of the evaluation corpus: the split, the held-out paragraphs, the bullets."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from penna.eval.corpus import (
    Post,
    build_vault,
    bullet_from_sentence,
    derive_bullets,
    eligible,
    post_date,
    prose_paragraphs,
    read_posts,
    select_paragraphs,
    split_posts,
)
from penna.knowledge.items import content_words, is_stopword
from penna.vault.text import words

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _post(name: str, date: dt.date | None = None, text: str = "x") -> Post:
    return Post(name, Path(name), date, text)


def test_dates_come_from_frontmatter_first_then_the_file_name() -> None:
    assert post_date("2020-01-02-a.md", {}) == dt.date(2020, 1, 2)
    assert post_date("posts/2020-01-02-a.md", {"date": "2021-05-06T10:00:00Z"}) == dt.date(2021, 5, 6)
    assert post_date("notes/a.md", {"date": dt.date(2019, 3, 4)}) == dt.date(2019, 3, 4)
    assert post_date("a.md", {"date": "soon"}) is None
    assert post_date("2020-13-40-a.md", {}) is None


def test_dated_posts_hold_out_the_latest() -> None:
    posts = read_posts(CORPUS)
    assert len(posts) == 8 and all(p.date for p in posts)
    split = split_posts(posts, holdout=0.25, seed=1)
    assert split.method == "date" and len(split.held_out) == 2
    assert max(p.date for p in split.train) < min(p.date for p in split.held_out) == split.cut
    assert split == split_posts(posts, holdout=0.25, seed=99)  # a date split ignores the seed


def test_undated_posts_are_split_at_random_with_the_seed() -> None:
    posts = [_post(f"note {i}.md") for i in range(20)]
    first = split_posts(posts, holdout=0.2, seed=1)
    assert first.method == "random" and len(first.held_out) == 4 and len(first.train) == 16
    assert {p.name for p in first.held_out} == {p.name for p in split_posts(posts, 0.2, seed=1).held_out}
    assert {p.name for p in first.held_out} != {p.name for p in split_posts(posts, 0.2, seed=2).held_out}
    assert not {p.name for p in first.held_out} & {p.name for p in first.train}
    with pytest.raises(ValueError, match="at least two posts"):
        split_posts(posts[:1])


def test_hidden_folders_are_not_posts(tmp_path: Path) -> None:
    (tmp_path / ".trash").mkdir()
    (tmp_path / ".trash" / "old.md").write_text("gone")
    (tmp_path / "kept.md").write_text("here")
    assert [p.name for p in read_posts(tmp_path)] == ["kept.md"]


def test_only_prose_paragraphs_are_measured() -> None:
    text = ("---\ntitle: T\n---\n\nA [linked][ref] paragraph with `code` in it.\n\n```c\nint x;\n```\n\n"
            "- a list item\n\n> a quote\n\nSecond paragraph.\n")
    assert prose_paragraphs(text) == ["A linked paragraph with code in it.", "Second paragraph."]


def test_eligible_paragraphs_are_prose_of_usual_length() -> None:
    sentence = "The kitchen was cold and the dough took its time to rise. "
    assert eligible(sentence * 4)
    assert not eligible(sentence)  # too short
    assert not eligible(sentence * 4 + "Here is how:")  # a lead-in to code
    assert not eligible((sentence * 4) + " 0x1f 0x2e 0x3d " * 20)  # mostly numbers


def test_bullets_keep_content_words_and_drop_phrasing() -> None:
    sentence = "It's perhaps the caller's frame, i.e. the one I've never measured, that doesn't fit."
    bullet = bullet_from_sentence(sentence)
    assert bullet == "caller frame never measured not fit"
    assert bullet_from_sentence("The levain took 9 hours in a 17°C kitchen.") == "levain took 9 hours 17 kitchen"


def test_derived_bullets_hold_only_the_paragraphs_words_and_no_function_words() -> None:
    for post in read_posts(CORPUS):
        for paragraph in prose_paragraphs(post.text):
            bullets = derive_bullets(paragraph)
            assert bullets == derive_bullets(paragraph)  # deterministic
            source = set(words(paragraph)) | {"not"}
            for bullet in bullets:
                tokens = words(bullet)
                assert tokens and set(tokens) <= source
                assert not any(is_stopword(t) and t not in ("not", "no", "never", "without") for t in tokens)
                assert "'" not in bullet
            assert set(content_words(" ".join(bullets))) <= set(content_words(paragraph)) | {"not"}


def test_paragraphs_are_sampled_with_the_seed_and_spread_over_posts() -> None:
    split = split_posts(read_posts(CORPUS), holdout=0.25, seed=1)
    first = select_paragraphs(split.held_out, 4, seed=3)
    assert len(first) == 4 and first == select_paragraphs(split.held_out, 4, seed=3)
    assert {h.post for h in first} == {p.name for p in split.held_out}  # both held-out posts contribute
    assert all(len(h.bullets) >= 2 and h.bullets_text.startswith("- ") for h in first)
    everything = select_paragraphs(split.held_out, 100, seed=3)
    assert len(everything) == 6  # three eligible paragraphs in each held-out post
    other = select_paragraphs(split.held_out, 4, seed=4)
    assert [(h.post, h.number) for h in other] != [(h.post, h.number) for h in first]


def test_the_vault_holds_the_training_posts_dated_up_to_the_cut(tmp_path: Path) -> None:
    split = split_posts(read_posts(CORPUS), holdout=0.25, seed=1)
    now = 2_000_000_000.0
    build_vault(split.train, tmp_path, split.cut, now=now)
    files = sorted(p.name for p in tmp_path.rglob("*.md"))
    assert files == sorted(p.name for p in split.train)
    latest = max(split.train, key=lambda p: p.date)
    age_days = (now - os.stat(tmp_path / latest.name).st_mtime) / 86400
    assert age_days == pytest.approx((split.cut - latest.date).days)
