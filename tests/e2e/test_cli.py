"""End-to-end: the `penna` command as a user runs it, with the real default model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write

BULLETS = "- cold kitchen, 17°C, everything slow\n- start the levain the night before\n"


def penna(*args: str, stdin: str | None = "", env: dict[str, str] | None = None,
          timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "penna", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, check=False)


@pytest.mark.model
@pytest.mark.e2e
def test_expand_streams_prose_from_the_default_model(sample_vault: Path) -> None:
    result = penna("expand", "--vault", str(sample_vault), "--note", "Drafts/Winter loaf.md", "--seed", "3",
                   "--final", stdin=BULLETS)
    assert result.returncode == 0, result.stderr
    streamed, final = (part.strip() for part in result.stdout.split("--- final ---\n", 1))
    assert final and not final.lstrip().startswith("-"), "prose, not bullets"
    assert streamed.split() == final.split()  # streamed a sentence at a time, never a word to take back
    assert final[0].isupper() and final.rstrip()[-1] in ".!?…"
    assert "tokens in" in result.stderr and "first token" in result.stderr


@pytest.mark.model
@pytest.mark.e2e
def test_three_variants_are_different_or_said_to_be_fewer(sample_vault: Path) -> None:
    # One bullet: it has no close alternative, so the other two variants are drafts of their own,
    # each different from the ones before or left out (this note has no other faithful draft).
    one = BULLETS.splitlines(keepends=True)[0]
    result = penna("expand", "--vault", str(sample_vault), "--variants", "3", "--seed", "1", "--final", stdin=one)
    assert result.returncode == 0, result.stderr
    finals = [part.split("\n--- ", 1)[0].strip() for part in result.stdout.split("--- final ")[1:]]
    assert 1 <= len(finals) <= 3 and all(finals)
    assert len(set(finals)) == len(finals), finals
    assert (f"[{len(finals)} different of 3 variants" in result.stderr) == (len(finals) < 3), result.stderr
    # What streamed: a header per variant written, each again under the same number after a copy.
    streamed = result.stdout.split("--- final ")[0]
    assert streamed.count("--- variant 1 ---") == 1 and streamed.count("--- variant ") >= len(finals)


@pytest.mark.model
def test_context_prints_four_sections_with_sources_and_counts(sample_vault: Path) -> None:
    result = penna("context", "--vault", str(sample_vault), "--note", "Drafts/Winter loaf.md", stdin=BULLETS)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in ("Participatory", "Procedural", "Perspectival", "Propositional"):
        assert f"## {title}" in out
    assert "Counted with the model's tokenizer" in out
    assert "(Notes/Cold%20kitchens.md)" in out and "· read" in out and " tokens ·" in out


def test_index_reports_counts(sample_vault: Path) -> None:
    result = penna("index", str(sample_vault))
    assert result.returncode == 0, result.stderr
    assert "9 notes (7 written, 2 read)" in result.stdout


def test_profile_shows_style_card_and_exemplars(sample_vault: Path) -> None:
    result = penna("profile", "--vault", str(sample_vault))
    assert result.returncode == 0, result.stderr
    assert "Sentences: median" in result.stdout and "## Typical paragraphs" in result.stdout
    assert "lactobacilli" not in result.stdout  # clippings never describe the author


@pytest.mark.model
def test_model_command_names_the_default(sample_vault: Path) -> None:
    result = penna("model")
    assert result.returncode == 0, result.stderr
    assert "source: default" in result.stdout and "base model, no chat template" in result.stdout


@pytest.mark.parametrize("args, stdin, message", [
    (["expand", "--vault", "/nonexistent/vault"], BULLETS, "vault folder not found"),
    (["expand", "--vault", "{empty}"], BULLETS, "no notes (.md files) found"),
    (["expand", "--vault", "{vault}"], "   \n", "the input is empty"),
    (["expand", "--vault", "{vault}", "--model", "/nonexistent/model.gguf"], BULLETS, "model file not found"),
    (["expand", "--vault", "{vault}", "--model", "{corrupt}"], BULLETS, "not a GGUF model file"),
    (["expand", "--vault", "{vault}", "--model", "{truncated}"], BULLETS, "could not load the model"),
    (["expand", "--vault", "{vault}", "--n-ctx", "12"], BULLETS, "nCtx' must be between"),
])
def test_bad_input_gives_one_clear_line(sample_vault: Path, tmp_path: Path, args: list[str], stdin: str,
                                        message: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    corrupt = write(tmp_path, "corrupt.gguf", "definitely not a model")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 64)
    args = [a.format(vault=sample_vault, empty=empty, corrupt=corrupt, truncated=truncated) for a in args]
    result = penna(*args, stdin=stdin)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("penna: ") and message in lines[0], result.stderr
