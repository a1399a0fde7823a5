"""Hardening the model: damaged GGUF files, a context larger than memory allows, a prompt that
does not fit. Each ends in one clear line, never a crash of the process (llama.cpp is C++: a
bad file handed to it can abort the process, so the checks run in a real `penna` subprocess).

Missing files and non-GGUF files through `penna expand` are in tests/e2e/test_cli.py.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from penna.writing.backend import ModelError
from penna.writing.model import LlamaModel
from penna.writing.registry import resolve_model

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def real_model() -> Path:
    return resolve_model("default").path


def penna_model(*args: str, preexec=None) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "penna", "model", *args], capture_output=True, text=True,
                          timeout=300, preexec_fn=preexec, env=os.environ.copy(), check=False)


def one_clear_line(result: subprocess.CompletedProcess, *messages: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("penna: "), result.stderr[-2000:]
    assert any(m in lines[0] for m in messages), lines[0]
    return lines[0]


def test_truncated_real_model_is_named_as_truncated(real_model: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "half.gguf"
    with open(real_model, "rb") as source, open(truncated, "wb") as target:
        target.write(source.read(real_model.stat().st_size // 2))  # an interrupted download
    line = one_clear_line(penna_model("--model", str(truncated)), "truncated GGUF file (incomplete download?)")
    assert "half.gguf" in line and "its tensors need" in line


def test_corrupt_header_is_refused_before_llama_cpp_sees_it(real_model: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    shutil.copyfile(real_model, corrupt)
    with open(corrupt, "r+b") as handle:
        handle.seek(16)  # the metadata count: a huge value makes the header run past the file
        handle.write(b"\xff" * 8)
    one_clear_line(penna_model("--model", str(corrupt)), "truncated or corrupt GGUF header")


def test_header_only_file_is_refused(tmp_path: Path) -> None:
    stub = tmp_path / "stub.gguf"
    stub.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + b"\x00" * 56)  # a valid header, and no tensors at all
    one_clear_line(penna_model("--model", str(stub)), "could not load the model stub.gguf")


def test_context_larger_than_memory_allows(real_model: Path) -> None:
    # 131072 tokens of KV cache need ~2.5 GB for this model; the process gets 1.2 GB of address
    # space beyond what Python and the model's mapping take, so the context cannot be allocated.
    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    result = penna_model("--model", str(real_model), "--n-ctx", "131072", preexec=limit)
    one_clear_line(result, "could not create a 131072-token context")


def test_prompt_that_does_not_fit_the_window(real_model: Path) -> None:
    model = LlamaModel.load(real_model, n_ctx=512, threads=1)
    prompt = "The dough rises slowly in a cold kitchen. " * 200  # ~2000 tokens
    with pytest.raises(ModelError, match=r"does not fit the context window \(512\)"):
        list(model.stream(prompt, max_tokens=64, temperature=0.7, seed=1, stop=[]))
    # The model is still usable afterwards.
    assert "".join(model.stream("Bread is", max_tokens=4, temperature=0.0, seed=1, stop=[]))
