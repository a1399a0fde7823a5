"""Specification of the voice metrics on small texts whose answers are known by hand."""

from __future__ import annotations

import math
import random

import pytest

from penna.eval import metrics as m
from penna.writing.cleanup import longest_shared_run

TRAIN = [
    "The dough rose in the cold kitchen and I waited for it. The oven was hot and the loaf was dark. " * 3,
    "I think the starter is a pet. It eats flour and water and it sulks in the cold. " * 3,
    "A loaf is a clock. The crust tells me how long it baked and the crumb tells me how it rose. " * 3,
    "Bread is slow, and that is the point of it; nothing in the bakery hurries for me. " * 3,
]


def test_delta_is_zero_for_identical_texts_and_grows_with_different_habits() -> None:
    model = m.fit_delta(TRAIN, size=20)
    assert 0 < len(model.vocabulary) <= 20
    assert model.vocabulary[0] == "the"  # the most frequent word of the training text comes first
    same = "The oven was hot and the loaf was dark."
    assert model.delta(same, same) == 0.0
    near = "The kitchen was cold and the dough was slow."
    far = "Starter starter starter; bakery bakery; it it it sulks!"
    assert model.delta(same, near) < model.delta(same, far)
    assert model.delta(same, far) == pytest.approx(model.delta(far, same))


def test_delta_z_scores_use_the_training_means_and_deviations() -> None:
    model = m.fit_delta(TRAIN, size=10)
    # A text whose rates equal the training means would score zero on every word; check one word.
    word, mean, stdev = model.vocabulary[0], model.means[0], model.stdevs[0]
    text = " ".join([word] * 3 + ["zzz"] * 7)
    assert model.zscores(text)[0] == pytest.approx((0.3 - mean) / stdev)
    assert all(s > 0 for s in model.stdevs)  # words that never vary cannot be z-scored: left out


def test_delta_needs_two_training_documents() -> None:
    with pytest.raises(ValueError, match="two training documents"):
        m.fit_delta(["only one post here"])


def test_wasserstein_is_the_shift_between_samples() -> None:
    assert m.wasserstein([5, 10, 15], [5, 10, 15]) == 0
    assert m.wasserstein([5, 10, 15], [8, 13, 18]) == pytest.approx(3)
    assert m.wasserstein([1], [4]) == pytest.approx(3)
    assert math.isnan(m.wasserstein([], [1]))


def test_punctuation_distance_is_zero_when_alike_and_one_when_disjoint() -> None:
    assert m.punctuation_distance("Yes; no — maybe.", "Up; down — sideways.") == 0
    assert m.punctuation_distance("a; b; c", "a (b) c") == 1
    rates = m.punctuation_rates("One, two; three — four (five)! Don't.")
    assert rates["semicolon"] > 0 and rates["dash"] > 0 and rates["apostrophe"] > 0 and rates["question"] == 0


def test_content_kept_counts_the_bullets_words_found_in_the_output() -> None:
    assert m.content_kept("- cold kitchen\n- slow dough", "The kitchen is cold; the dough is slow.") == 1.0
    assert m.content_kept("- cold kitchen\n- slow dough", "The kitchen is cold.") == 0.5
    assert m.content_kept("- caller frame not needed", "The caller's frame isn't needed.") == 1.0
    assert m.content_kept("", "anything") == 1.0


def test_copy_index_agrees_with_a_brute_force_search() -> None:
    rng = random.Random(3)
    vocabulary = "a b c d e f g h".split()
    sources = [" ".join(rng.choice(vocabulary) for _ in range(60)) for _ in range(3)]
    index = m.CopyIndex(sources)
    for _ in range(30):
        text = " ".join(rng.choice(vocabulary) for _ in range(25))
        assert index.longest_run(text) == longest_shared_run(text, sources)


def test_copy_runs_never_cross_from_one_document_into_the_next() -> None:
    index = m.CopyIndex(["one two three", "four five six"])
    assert index.longest_run("one two three four five six") == 3
    assert index.longest_run("nothing shared here") == 0


def test_bootstrap_is_repeatable_and_brackets_the_mean() -> None:
    values = [0.2, 0.4, 0.6, 0.8, 1.0, 0.3, 0.5]
    first = m.bootstrap_mean(values, seed=1, replicates=300)
    assert first == m.bootstrap_mean(values, seed=1, replicates=300)
    assert first.low <= first.mean <= first.high
    assert first.mean == pytest.approx(sum(values) / len(values))
    constant = m.bootstrap_mean([2.0] * 5, seed=1, replicates=50)
    assert (constant.low, constant.mean, constant.high) == (2.0, 2.0, 2.0)
    rate = m.bootstrap_ratio([1, 0, 2], [100, 100, 100], seed=1, replicates=50, scale=1000.0)
    assert rate.mean == pytest.approx(10.0)


def test_split_halves_are_disjoint_and_the_first_is_not_resampled() -> None:
    halves = m.split_halves(9, seed=4, replicates=20)
    a, b = halves[0]
    assert len(a) == len(b) == 4 and not set(a) & set(b) and len(set(a)) == 4
    for a, b in halves:
        assert not set(a) & set(b)
    with pytest.raises(ValueError):
        m.split_halves(1, seed=0, replicates=2)


def test_a_system_that_writes_the_authors_own_text_scores_the_floor() -> None:
    author = [f"Paragraph {i} of mine; it has its own words {'and ' * i}its own rhythm." for i in range(8)]
    halves = m.split_halves(len(author), seed=2, replicates=30)
    floor = m.split_half_distance(m.punctuation_distance, author, None, halves)
    same = m.split_half_distance(m.punctuation_distance, author, author, halves)
    assert same == pytest.approx(floor)


def test_gap_closed_runs_from_the_baseline_to_the_floor() -> None:
    assert m.gap_closed(1.4, 1.4, 0.9) == 0
    assert m.gap_closed(1.4, 0.9, 0.9) == 1
    assert m.gap_closed(1.4, 1.15, 0.9) == pytest.approx(0.5)
    assert math.isnan(m.gap_closed(0.9, 1.0, 0.9))
