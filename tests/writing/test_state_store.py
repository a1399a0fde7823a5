"""Long prompt evaluations kept on disk: a restarted model starts warm and reads the prompt as
the model that kept it did; a damaged, foreign or unwritable store only costs time, and the
store stays within its limits."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from penna.config import usable_cpus
from penna.writing.backend import GenerationStats
from penna.writing.cpu_share import CpuShare
from penna.writing.model import LlamaModel
from penna.writing.registry import resolve_model
from penna.writing.state_store import SUFFIX, StateStore, file_name

PREFIX = ("# My notebook\n\n## How I write\n" + "".join(f"- short sentences, note {n}, a cold kitchen and slow dough\n"
                                                       for n in range(30)) + "\n## Winter loaf\n")
TAIL = "\nText: The kitchen is cold, and"
MODEL, OTHER_MODEL = "0123456789abcdef", "fedcba9876543210"  # folders named as `fingerprint` names them


def load(state_dir: Path | None, n_ctx: int = 1024) -> LlamaModel:
    model = LlamaModel.load(resolve_model("default").path, n_ctx=n_ctx, threads=usable_cpus(), state_dir=state_dir)
    model.share = CpuShare(adapt=False)  # the same threads for every evaluation: comparable sums
    return model


def write(model: LlamaModel, prompt: str, stats: GenerationStats | None = None) -> str:
    return "".join(model.stream(prompt, max_tokens=12, temperature=0.0, seed=1, stop=[], stats=stats))


def kept(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"*{SUFFIX}"))


def logits_after(model: LlamaModel, prompt: str, stats: GenerationStats | None = None) -> np.ndarray:
    with model.decoding(prompt, stats=stats) as (_decoder, logits):
        return np.array(logits)


@pytest.mark.model
def test_a_restarted_model_loads_the_warmed_prefix_and_reads_the_prompt_as_before(tmp_path: Path) -> None:
    first = load(tmp_path)
    first.warm(PREFIX)
    expected = logits_after(first, PREFIX + TAIL)
    assert len(kept(tmp_path)) == 1

    restarted = load(tmp_path)  # a new server: nothing in memory
    stats = GenerationStats()
    found = logits_after(restarted, PREFIX + TAIL, stats)
    assert stats.state_loaded
    assert stats.reused_tokens >= len(restarted.tokenize(PREFIX)) - 2  # only the tail was evaluated
    # The same cells, perhaps in another order in llama.cpp's cache: equal up to the last bits.
    assert np.allclose(found, expected, atol=1e-3 * float(np.abs(expected).max()))
    assert list(np.argsort(found)[-5:]) == list(np.argsort(expected)[-5:])

    restarted.warm(PREFIX)  # warming what is kept already writes nothing new
    assert len(kept(tmp_path)) == 1


@pytest.mark.model
def test_a_damaged_state_is_deleted_and_the_prompt_evaluated_as_usual(tmp_path: Path) -> None:
    load(tmp_path).warm(PREFIX)
    (file,) = kept(tmp_path)
    damaged = bytearray(file.read_bytes())
    damaged[-100] ^= 0xFF  # one flipped byte in llama.cpp's data: the checksum no longer holds
    file.write_bytes(bytes(damaged))

    expected = write(load(None), PREFIX + TAIL)
    stats = GenerationStats()
    assert write(load(tmp_path), PREFIX + TAIL, stats) == expected
    assert not stats.state_loaded and stats.reused_tokens == 0
    (again,) = kept(tmp_path)  # the damaged file is gone; the prompt just evaluated is kept instead
    assert again.read_bytes() != bytes(damaged)

    (again.parent / f"junk{SUFFIX}").write_bytes(b"not a state")
    stats = GenerationStats()
    assert write(load(tmp_path), PREFIX + TAIL, stats) == expected
    assert stats.state_loaded
    assert kept(tmp_path) == [again]  # not a state file: deleted when first read


@pytest.mark.model
def test_another_context_size_does_not_use_the_states(tmp_path: Path) -> None:
    load(tmp_path).warm(PREFIX)
    stats = GenerationStats()
    write(load(tmp_path, n_ctx=2048), PREFIX + TAIL, stats)
    assert not stats.state_loaded and stats.reused_tokens == 0
    assert len({f.parent for f in kept(tmp_path)}) == 2  # each context size keeps its own


@pytest.mark.model
def test_a_short_evaluation_is_not_written(tmp_path: Path) -> None:
    model = load(tmp_path)
    model.warm(PREFIX)
    before = kept(tmp_path)
    write(model, PREFIX + TAIL + " warm and slow")  # a second action: only its tail is new
    assert kept(tmp_path) == before


@pytest.mark.model
def test_a_store_that_cannot_be_written_only_costs_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    model = load(blocked)
    stats = model.warm(PREFIX)
    assert stats.prompt_tokens > 0
    assert "could not keep the evaluated prompt on disk" in caplog.text
    assert write(model, PREFIX + TAIL)


def test_the_store_keeps_the_most_recently_used_within_its_limits(tmp_path: Path) -> None:
    store = StateStore(tmp_path / MODEL, max_files=3, max_bytes=10_000)
    for n in range(5):
        store.save([n, 1, 2, 3], bytes(100))
        time.sleep(0.02)  # distinct modification times: the order of use
    assert {f.name for f in kept(tmp_path)} == {file_name([n, 1, 2, 3]) for n in (2, 3, 4)}

    store.save([7] * 10, bytes(6_000))
    time.sleep(0.02)
    store.save([8] * 10, bytes(6_000))  # both large ones together exceed the bytes: the older goes
    names = {f.name for f in kept(tmp_path)}
    assert file_name([8] * 10) in names and file_name([7] * 10) not in names and len(names) == 3


def test_a_kept_state_is_used_only_for_a_real_gain(tmp_path: Path) -> None:
    store = StateStore(tmp_path / MODEL)
    long = list(range(200))
    store.save(long, b"state")
    hit = store.best([*long, 7, 7], covered=10)
    assert hit is not None and hit[1] == 200 and store.read(hit[0]) == b"state"
    assert store.best([*long, 7], covered=190) is None  # the cache holds nearly all of it already
    assert store.best([0, 1, 5], covered=0) is None  # three shared tokens are not worth a load


def test_a_write_a_killed_process_left_half_done_is_cleared_later(tmp_path: Path) -> None:
    store = StateStore(tmp_path / MODEL)
    (tmp_path / MODEL).mkdir()
    old, recent = tmp_path / MODEL / ".writing-old.tmp", tmp_path / MODEL / ".writing-recent.tmp"
    old.write_bytes(b"half")
    recent.write_bytes(b"half")  # perhaps another server writing right now
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store.save([1, 2, 3], b"state")
    assert not old.exists() and recent.exists()
    assert [f.name for f in kept(tmp_path)] == [file_name([1, 2, 3])]


def test_the_limits_hold_over_every_models_folder_and_an_emptied_one_goes(tmp_path: Path) -> None:
    old = StateStore(tmp_path / OTHER_MODEL, max_files=2)
    old.save([1] * 10, bytes(100))  # left by another model file or llama.cpp build
    time.sleep(0.02)
    store = StateStore(tmp_path / MODEL, max_files=2)
    store.save([2] * 10, bytes(100))
    time.sleep(0.02)
    store.save([3] * 10, bytes(100))
    assert {f.name for f in kept(tmp_path)} == {file_name([2] * 10), file_name([3] * 10)}
    assert not (tmp_path / OTHER_MODEL).exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / f"mine{SUFFIX}").write_bytes(b"x")  # not a model folder: never touched
    store.save([4] * 10, bytes(100))
    assert (tmp_path / "notes" / f"mine{SUFFIX}").exists()
    StateStore(tmp_path / MODEL, max_bytes=50).save([5] * 10, bytes(100))  # larger than the store: not kept
    assert file_name([5] * 10) not in {f.name for f in kept(tmp_path)}


def test_a_file_whose_tokens_are_not_its_name_is_deleted(tmp_path: Path) -> None:
    store = StateStore(tmp_path / MODEL)
    store.save(list(range(100)), b"state")
    (file,) = kept(tmp_path)
    file.rename(file.with_name(file_name(list(range(1, 101)))))  # as if a token id were damaged
    assert StateStore(tmp_path / MODEL).best(list(range(100)), covered=0) is None
    assert kept(tmp_path) == []


def test_a_store_penna_may_read_but_not_change_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # As root (CI) permission bits are not enforced, so the refusals are simulated.
    store = StateStore(tmp_path / MODEL)
    store.save(list(range(100)), b"state")
    (file,) = kept(tmp_path)
    file.write_bytes(file.read_bytes()[:-1] + b"X")  # damaged: reading it deletes it, which fails

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refused)
    monkeypatch.setattr(os, "utime", refused)
    found = store.best([*range(100), 1], covered=0)
    assert found is not None and store.read(found[0]) is None
    assert "could not delete" in caplog.text
    monkeypatch.setattr(Path, "is_file", refused)
    store.save([7] * 100, b"other")  # no exception: a warning
    assert "could not keep the evaluated prompt on disk" in caplog.text


@pytest.mark.model
def test_a_state_llama_cpp_refuses_is_deleted(tmp_path: Path) -> None:
    load(tmp_path).warm(PREFIX)
    (file,) = kept(tmp_path)
    store = StateStore(file.parent)
    restarted = load(tmp_path)
    found = store.best(restarted.tokenize(PREFIX), covered=0)
    assert found is not None
    data = store.read(found[0])
    assert data is not None
    store.discard(found[0])
    store.save(found[0].tokens, data[: len(data) // 2])  # cut short, with a checksum that holds
    (cut,) = kept(tmp_path)
    stats = GenerationStats()
    assert write(restarted, PREFIX + TAIL, stats)
    assert not stats.state_loaded and stats.reused_tokens == 0
    assert not cut.exists()
