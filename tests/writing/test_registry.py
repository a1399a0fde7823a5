"""`penna model use` and the saved choice: checked before saving, kept in the user config
directory (here the test's own PENNA_CACHE_DIR), read by the CLI and the engine when the settings
leave the model at its default, and never stronger than an explicit setting."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_discovery import write_manifest

from penna.cli import main
from penna.config import Settings
from penna.engine import Engine
from penna.writing.backend import ModelError
from penna.writing.registry import (
    SavedChoice,
    default_model_path,
    effective_choice,
    save_choice,
    saved_choice,
    user_config_path,
)


def link_model(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(default_model_path(), target)
    except OSError:
        shutil.copyfile(default_model_path(), target)
    return target


def test_the_config_file_lives_in_the_user_config_dir_not_the_vault(isolated_cache: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_config_path() == isolated_cache / "model.json"
    monkeypatch.setenv("PENNA_CONFIG_DIR", str(isolated_cache / "conf"))
    assert user_config_path() == isolated_cache / "conf" / "model.json"
    monkeypatch.delenv("PENNA_CONFIG_DIR")
    monkeypatch.delenv("PENNA_CACHE_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated_cache / "xdg"))
    assert user_config_path() == isolated_cache / "xdg" / "penna" / "model.json"


@pytest.mark.model
def test_use_a_path_saves_it_and_the_cli_and_engine_pick_it_up(tmp_path: Path, sample_vault: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    mine = link_model(tmp_path / "models" / "mine.gguf")
    assert main(["model", "use", str(mine)]) == 0
    out = capsys.readouterr().out
    assert "using " in out and "gemma3, base" in out and str(user_config_path()) in out
    assert json.loads(user_config_path().read_text()) == {"model": str(mine), "remoteUrl": ""}
    assert not any(p.name == "model.json" for p in sample_vault.rglob("*"))  # never in the vault

    assert effective_choice("default", "") == (str(mine), "", True)
    assert effective_choice("/other.gguf", "") == ("/other.gguf", "", False)  # explicit settings win
    assert main(["model", "show"]) == 0
    assert "saved with `penna model use`" in capsys.readouterr().out

    engine = Engine(sample_vault, Settings())
    count, exact = engine.counter()
    assert exact and count("Cold kitchen.") > 0
    engine.model()
    assert engine.model_state.choice is not None and engine.model_state.choice.path == mine
    engine.close()

    assert main(["model", "use", "default"]) == 0
    assert not user_config_path().exists() and saved_choice() is None
    assert "embedded default" in capsys.readouterr().out


@pytest.mark.model
def test_use_an_ollama_name_from_a_fake_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "ollama"
    blob = link_model(store / "blobs" / ("sha256-" + "ab" * 32))
    write_manifest(store, "registry.ollama.ai", "library", "gemma3", "270m",
                   [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "ab" * 32}])
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    assert main(["model", "use", "ollama:gemma3:270m"]) == 0
    assert str(blob) in capsys.readouterr().out
    assert saved_choice() == SavedChoice("ollama:gemma3:270m", "")


@pytest.mark.parametrize(("make_ref", "message"), [
    (lambda tmp: str(tmp / "missing.gguf"), "model file not found"),
    (lambda tmp: str((tmp / "notes.gguf").write_text("not a model") and tmp / "notes.gguf"), "not a usable GGUF"),
    (lambda tmp: "no-such-model-anywhere", "not found"),
    (lambda tmp: "127.0.0.1:8080", "for a model server, give its URL: http://127.0.0.1:8080"),
    (lambda tmp: "ftp://127.0.0.1:21", "only http:// and https://"),
])
def test_use_refuses_what_does_not_work_and_saves_nothing(tmp_path: Path, make_ref, message: str,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # discovery sees an empty machine
    save_choice(SavedChoice("default", "http://127.0.0.1:9"))  # an earlier choice must survive
    before = user_config_path().read_text()
    assert main(["model", "use", make_ref(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("penna: ") and message in err and "Traceback" not in err
    assert user_config_path().read_text() == before


def test_use_without_a_reference_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "use"]) == 1
    assert "penna model use REF" in capsys.readouterr().err


def test_a_damaged_config_file_is_a_clear_error_not_a_crash(sample_vault: Path) -> None:
    user_config_path().parent.mkdir(parents=True, exist_ok=True)
    user_config_path().write_text("{not json")
    with pytest.raises(ModelError, match=r"unreadable.*penna model use default"):
        effective_choice("default", "")
    assert effective_choice("x.gguf", "") == ("x.gguf", "", False)  # explicit settings do not read it
    engine = Engine(sample_vault, Settings())
    with pytest.raises(ModelError, match="penna model use default"):
        engine.model()
    assert engine.model_state.state == "error"
    _count, exact = engine.counter()
    assert not exact  # counting falls back to tiktoken, nothing crashes
    engine.close()


@pytest.mark.model
def test_configured_model_folders_are_listed_resolved_and_saved_as_paths(
        tmp_path: Path, sample_vault: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from penna.config import settings_from_dict

    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no stores: only the folder has models
    folder = tmp_path / "my-models"
    mine = link_model(folder / "gemma" / "small-base.gguf")
    assert main(["model", "list", "--model-folder", str(folder)]) == 0
    listed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert listed[-1][:2] == ["gemma/small-base.gguf", "[folder]"] and "gemma3" in listed[-1][2]

    assert main(["model", "use", "gemma/small-base.gguf"]) == 1  # unknown without the folder…
    capsys.readouterr()
    assert main(["model", "use", "gemma/small-base.gguf", "--model-folder", str(folder)]) == 0
    assert saved_choice() == SavedChoice(str(mine), "")  # …so it is saved as the file's path

    settings, problems = settings_from_dict({"model": "small-base.gguf", "modelFolders": [str(folder)]})
    assert problems == [] and settings.model_folders == (str(folder),)
    engine = Engine(sample_vault, settings)
    engine.model()
    assert engine.model_state.choice is not None and engine.model_state.choice.path == mine
    engine.close()
