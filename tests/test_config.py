"""Settings with wrong types or out-of-range numbers: each is reported in one line naming what
is allowed, the previous value is kept, and the other keys still apply."""

from __future__ import annotations

import os

import pytest

from penna.config import FIELDS, Settings, settings_from_dict

BAD_VALUES = {
    "model": [42, ["default"]],
    "remoteUrl": [1.5, "localhost:8080", "ftp://host", "http://"],
    "modelFolders": ["~/models", [1]],
    "nCtx": ["2048", 2048.5, True, 12, 10**9, -1],
    "threads": [0, 257, "4", {"x": 1}],
    "temperature": ["hot", -0.1, 2.5, float("nan"), float("inf")],
    "maxTokens": [0, 15, 5000, "256"],
    "seed": [-2, "7", 1.0],
    "authorName": [["Maren"], 7],
    "profileNote": [{"x": 1}, 3],
    "readingFolders": ["Clippings", [1, 2], [None]],
    "exclude": ["*.md", {"a": 1}],
    "halfLifeDays": [0, -3, "14", float("nan")],
    "hover": ["sometimes", 1, True],
    "diagnostics": ["yes", 1, 0],
    "learnFromRewrites": ["false", {"x": 1}],
}


def test_every_setting_has_bad_values_under_test() -> None:
    assert set(BAD_VALUES) == set(FIELDS)


@pytest.mark.parametrize("key, value", [(k, v) for k, values in BAD_VALUES.items() for v in values])
def test_bad_value_is_reported_and_the_default_kept(key: str, value: object) -> None:
    base = Settings()
    settings, problems = settings_from_dict({key: value, "seed": 7} if key != "seed" else {key: value}, base)
    assert len(problems) == 1 and f"'{key}'" in problems[0] and "keeping" in problems[0], problems
    snake = FIELDS[key][0]
    assert getattr(settings, snake) == getattr(base, snake)
    if key != "seed":
        assert settings.seed == 7  # the good key next to it still applies


@pytest.mark.parametrize("raw", [[1, 2], "penna", 42, True])
def test_settings_that_are_not_an_object(raw: object) -> None:
    settings, problems = settings_from_dict(raw)
    assert settings == Settings() and len(problems) == 1 and "must be an object" in problems[0]


def test_a_removed_setting_is_ignored_and_said_so() -> None:
    settings, problems = settings_from_dict({"hoverWaitMs": 1500, "maxTokens": 64})
    assert settings.max_tokens == 64 and not hasattr(settings, "hover_wait_ms")
    assert len(problems) == 1 and "'hoverWaitMs' was removed" in problems[0], problems


def test_unknown_keys_and_nulls() -> None:
    settings, problems = settings_from_dict({"nctx": 4096, "temperature": None, "maxTokens": 64})
    assert problems == ["penna: unknown setting 'nctx' ignored"]
    assert settings.temperature == Settings().temperature and settings.max_tokens == 64


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is a Linux call")
def test_threads_default_to_the_cpus_penna_may_run_on_not_every_core() -> None:
    allowed = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(allowed)})  # as `taskset -c 0 penna serve` would start it
        assert Settings().threads == 1
    finally:
        os.sched_setaffinity(0, allowed)
    assert Settings().threads == len(allowed)
