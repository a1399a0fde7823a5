"""discover_models / resolve_model_reference: finding the models a writer already has, by name.

Each store is laid out on disk exactly as its tool leaves it (Ollama manifests and digest-named
blobs, LM Studio's publisher/repo folders, the Hugging Face cache's snapshot symlinks into blobs/),
under a fake home, with real GGUF files written by the `gguf` package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from test_gguf_info import CHAT_TEMPLATE, write_gguf

from penna.writing.discovery import (
    MAX_FOLDER_DEPTH,
    NOT_ASSEMBLED,
    DiscoveredModel,
    ModelNotFound,
    discover_models,
    resolve_model_reference,
)

NO_ENV: dict[str, str] = {}  # tests never see the real OLLAMA_MODELS / HF_HOME of the machine


@pytest.fixture
def models(tmp_path: Path) -> dict[str, Path]:
    """Two real tiny GGUF files to copy into the stores: one chat model, one base model."""
    return {
        "chat": write_gguf(tmp_path / "src" / "chat.gguf", name="Tiny Chat", chat_template=CHAT_TEMPLATE),
        "base": write_gguf(tmp_path / "src" / "base.gguf", architecture="gemma3", name="Tiny Base"),
    }


@pytest.fixture
def home(tmp_path: Path) -> Path:
    fake_home = tmp_path / "home"
    fake_home.mkdir()
    return fake_home


def add_ollama_model(store: Path, model: Path, name: str, tag: str, namespace: str = "library",
                     host: str = "registry.ollama.ai", extra_layers: list[dict[str, str]] | None = None) -> Path:
    """Lay a model out as `ollama pull` does: the blob named by its digest, a manifest pointing at it."""
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    blob = store / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, blob)
    layers = [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}",
               "size": model.stat().st_size}, *(extra_layers or [])]
    write_manifest(store, host, namespace, name, tag, layers)
    return blob


def write_manifest(
    store: Path, host: str, namespace: str, name: str, tag: str, layers: list[dict[str, object]]
) -> None:
    manifest = store / "manifests" / host / namespace / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    config = {"digest": "sha256:" + "0" * 64, "mediaType": "application/vnd.docker.container.image.v1+json"}
    manifest.write_text(json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": config,
        "layers": layers,
    }))


def add_hf_model(cache: Path, model: Path, repo: str, file_name: str, revision: str = "a" * 40) -> Path:
    """Lay a model out as huggingface_hub does: blobs/<sha>, snapshots/<rev>/<file> → ../../blobs/<sha>."""
    repo_dir = cache / ("models--" + repo.replace("/", "--"))
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    blob = repo_dir / "blobs" / digest
    blob.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, blob)
    link = repo_dir / "snapshots" / revision / file_name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(blob, link.parent))
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)
    return blob


def copy_to(model: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, target)
    return target


def by_name(found: list[DiscoveredModel]) -> dict[str, DiscoveredModel]:
    return {m.name: m for m in found}


# ----------------------------------------------------------------------------- Ollama


def test_ollama_models_are_found_through_their_manifests_and_named_like_ollama_names_them(
    home: Path, models: dict[str, Path]
) -> None:
    store = home / ".ollama" / "models"
    chat_blob = add_ollama_model(store, models["chat"], "tinychat", "latest")
    base_blob = add_ollama_model(store, models["base"], "tinybase", "q8", namespace="someone")

    found = by_name(discover_models(home=home, environ=NO_ENV))

    assert found["ollama:tinychat:latest"].path == chat_blob
    assert found["ollama:tinychat:latest"].info is not None
    assert found["ollama:tinychat:latest"].info.has_chat_template
    assert found["ollama:someone/tinybase:q8"].path == base_blob
    assert found["ollama:someone/tinybase:q8"].source == "ollama"


def test_ollama_models_pulled_from_other_hosts_keep_the_host_in_their_name(
    home: Path, models: dict[str, Path]
) -> None:
    store = home / ".ollama" / "models"
    add_ollama_model(store, models["chat"], "Tiny-GGUF", "Q8_0", namespace="bartowski", host="hf.co")

    assert "ollama:hf.co/bartowski/Tiny-GGUF:Q8_0" in by_name(discover_models(home=home, environ=NO_ENV))


def test_the_ollama_models_variable_moves_the_store(tmp_path: Path, home: Path, models: dict[str, Path]) -> None:
    store = tmp_path / "elsewhere"
    blob = add_ollama_model(store, models["chat"], "tinychat", "latest")

    found = by_name(discover_models(home=home, environ={"OLLAMA_MODELS": str(store)}))

    assert found["ollama:tinychat:latest"].path == blob


def test_an_ollama_manifest_without_weights_is_skipped_and_a_missing_blob_is_reported(
    home: Path, models: dict[str, Path]
) -> None:
    store = home / ".ollama" / "models"
    write_manifest(store, "registry.ollama.ai", "library", "adapter-only", "latest",
                   [{"mediaType": "application/vnd.ollama.image.adapter", "digest": "sha256:" + "1" * 64}])
    write_manifest(store, "registry.ollama.ai", "library", "half-pulled", "latest",
                   [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "2" * 64}])
    broken = store / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")

    found = by_name(discover_models(home=home, environ=NO_ENV))

    assert "ollama:adapter-only:latest" not in found
    assert found["ollama:half-pulled:latest"].info is None
    assert "blob missing" in (found["ollama:half-pulled:latest"].error or "")
    assert "unreadable Ollama manifest" in (found["ollama:broken:latest"].error or "")


def test_the_vision_projector_layer_of_an_ollama_model_is_not_taken_for_the_model(
    home: Path, models: dict[str, Path]
) -> None:
    store = home / ".ollama" / "models"
    projector = {"mediaType": "application/vnd.ollama.image.projector", "digest": "sha256:" + "3" * 64}
    blob = add_ollama_model(store, models["chat"], "vision", "latest", extra_layers=[projector])

    assert by_name(discover_models(home=home, environ=NO_ENV))["ollama:vision:latest"].path == blob


def test_ollama_references_resolve_with_latest_as_the_default_tag(home: Path, models: dict[str, Path]) -> None:
    store = home / ".ollama" / "models"
    blob = add_ollama_model(store, models["chat"], "tinychat", "latest")
    other = add_ollama_model(store, models["base"], "tinychat", "base")
    namespaced = add_ollama_model(store, models["base"], "tinybase", "q8", namespace="someone")

    def resolve(ref: str) -> Path:
        return resolve_model_reference(ref, home=home, environ=NO_ENV)

    assert resolve("ollama:tinychat") == blob
    assert resolve("ollama:tinychat:latest") == blob
    assert resolve("ollama:tinychat:base") == other
    assert resolve("ollama:someone/tinybase:q8") == namespaced


def test_an_unknown_ollama_tag_is_not_found_and_the_message_names_what_exists(
    home: Path, models: dict[str, Path]
) -> None:
    add_ollama_model(home / ".ollama" / "models", models["chat"], "tinychat", "latest")

    expected = r"'ollama:tinychat:7b' not found.*did you mean 'ollama:tinychat:latest'"
    with pytest.raises(ModelNotFound, match=expected):
        resolve_model_reference("ollama:tinychat:7b", home=home, environ=NO_ENV)


# ----------------------------------------------------------------------------- LM Studio


def test_lm_studio_models_are_named_by_their_path_under_the_models_folder(
    home: Path, models: dict[str, Path]
) -> None:
    new_root, old_root = home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"
    new = copy_to(models["chat"], new_root / "lmstudio-community" / "Tiny-GGUF" / "tiny-Q8_0.gguf")
    old = copy_to(models["base"], old_root / "TheBloke" / "Base-GGUF" / "base.Q8_0.gguf")

    found = by_name(discover_models(home=home, environ=NO_ENV))

    assert found["lmstudio-community/Tiny-GGUF/tiny-Q8_0.gguf"].path == new
    assert found["lmstudio-community/Tiny-GGUF/tiny-Q8_0.gguf"].source == "lmstudio"
    assert found["TheBloke/Base-GGUF/base.Q8_0.gguf"].path == old


def test_vision_projectors_and_later_split_shards_are_not_listed(home: Path, models: dict[str, Path]) -> None:
    repo = home / ".lmstudio" / "models" / "pub" / "Big-GGUF"
    first = copy_to(models["chat"], repo / "big-Q8_0-00001-of-00002.gguf")
    copy_to(models["chat"], repo / "big-Q8_0-00002-of-00002.gguf")
    copy_to(models["chat"], repo / "mmproj-big-f16.gguf")

    found = discover_models(home=home, environ=NO_ENV)

    assert [m.path for m in found if m.source == "lmstudio"] == [first]


def test_lm_studio_names_resolve_with_or_without_the_lmstudio_prefix_and_by_file_name(
    home: Path, models: dict[str, Path]
) -> None:
    path = copy_to(models["chat"], home / ".lmstudio" / "models" / "pub" / "Tiny-GGUF" / "tiny-Q8_0.gguf")
    found = discover_models(home=home, environ=NO_ENV)

    assert resolve_model_reference("pub/Tiny-GGUF/tiny-Q8_0.gguf", found) == path
    assert resolve_model_reference("lmstudio:pub/Tiny-GGUF/tiny-Q8_0.gguf", found) == path
    assert resolve_model_reference("tiny-Q8_0", found) == path  # a bare file name, when it is unique


# ----------------------------------------------------------------------------- Hugging Face


def test_hugging_face_snapshots_are_followed_to_their_blobs(home: Path, models: dict[str, Path]) -> None:
    cache = home / ".cache" / "huggingface" / "hub"
    blob = add_hf_model(cache, models["chat"], "someorg/Tiny-GGUF", "tiny-Q8_0.gguf")

    found = by_name(discover_models(home=home, environ=NO_ENV))

    model = found["hf:someorg/Tiny-GGUF/tiny-Q8_0.gguf"]
    assert model.source == "huggingface"
    assert model.path == blob.resolve()
    assert model.info is not None and model.info.name == "Tiny Chat"


def test_hf_home_and_hf_hub_cache_move_the_cache(tmp_path: Path, home: Path, models: dict[str, Path]) -> None:
    add_hf_model(tmp_path / "hf-home" / "hub", models["chat"], "org/A-GGUF", "a.gguf")
    add_hf_model(tmp_path / "hub-cache", models["base"], "org/B-GGUF", "b.gguf")

    hf_home = {"HF_HOME": str(tmp_path / "hf-home")}
    via_home = by_name(discover_models(home=home, environ=hf_home))
    via_cache = by_name(discover_models(home=home, environ={**hf_home, "HF_HUB_CACHE": str(tmp_path / "hub-cache")}))

    assert "hf:org/A-GGUF/a.gguf" in via_home
    assert "hf:org/B-GGUF/b.gguf" in via_cache and "hf:org/A-GGUF/a.gguf" not in via_cache


def test_an_unfinished_hugging_face_download_is_listed_with_an_error(home: Path) -> None:
    snapshot = home / ".cache" / "huggingface" / "hub" / "models--org--Half-GGUF" / "snapshots" / ("b" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "half.gguf").symlink_to("../../blobs/" + "c" * 64)  # the blob never arrived

    model = by_name(discover_models(home=home, environ=NO_ENV))["hf:org/Half-GGUF/half.gguf"]

    assert model.info is None
    assert "blob missing" in (model.error or "")


def test_hf_references_accept_the_file_the_repo_alone_or_a_quantization(
    home: Path, models: dict[str, Path]
) -> None:
    cache = home / ".cache" / "huggingface" / "hub"
    one = add_hf_model(cache, models["chat"], "org/Solo-GGUF", "solo-Q8_0.gguf").resolve()
    q8 = add_hf_model(cache, models["chat"], "org/Multi-GGUF", "multi-Q8_0.gguf").resolve()
    add_hf_model(cache, models["base"], "org/Multi-GGUF", "multi-F16.gguf")
    found = discover_models(home=home, environ=NO_ENV)

    assert resolve_model_reference("hf:org/Solo-GGUF/solo-Q8_0.gguf", found) == one
    assert resolve_model_reference("hf:org/Solo-GGUF", found) == one
    assert resolve_model_reference("hf:org/Multi-GGUF:q8_0", found) == q8
    with pytest.raises(ModelNotFound, match="hf:org/Multi-GGUF"):
        resolve_model_reference("hf:org/Multi-GGUF", found)  # two files: which one is ambiguous


# ----------------------------------------------------------------------------- configured folders


def test_configured_folders_are_searched_recursively_and_bad_files_are_reported_not_fatal(
    tmp_path: Path, home: Path, models: dict[str, Path]
) -> None:
    folder = tmp_path / "my-models"
    good = copy_to(models["base"], folder / "gemma" / "tiny-base.gguf")
    (folder / "notes.gguf").write_text("not a model at all")
    copy_to(models["chat"], folder / "cut.gguf").write_bytes(models["chat"].read_bytes()[:200])
    (folder / "readme.txt").write_text("ignored: not .gguf")

    found = by_name(discover_models([folder], home=home, environ=NO_ENV))

    assert found["gemma/tiny-base.gguf"].path == good
    assert found["gemma/tiny-base.gguf"].source == "folder"
    assert found["gemma/tiny-base.gguf"].usable
    assert "not a GGUF file" in (found["notes.gguf"].error or "")
    assert "truncated" in (found["cut.gguf"].error or "")
    assert not found["cut.gguf"].usable and found["cut.gguf"].info is None
    assert "readme.txt" not in found


def test_folder_search_survives_symlink_loops_and_stops_at_a_bounded_depth(
    tmp_path: Path, home: Path, models: dict[str, Path]
) -> None:
    folder = tmp_path / "models"
    copy_to(models["chat"], folder / "a" / "chat.gguf")
    (folder / "a" / "loop").symlink_to(folder, target_is_directory=True)
    deep = folder.joinpath(*[f"d{i}" for i in range(MAX_FOLDER_DEPTH + 1)]) / "deep.gguf"
    copy_to(models["base"], deep)

    found = discover_models([folder], home=home, environ=NO_ENV)

    assert [m.name for m in found if m.source == "folder"] == ["a/chat.gguf"]


def test_the_same_file_reached_twice_is_listed_once_under_its_most_specific_name(
    home: Path, models: dict[str, Path]
) -> None:
    lmstudio = home / ".lmstudio" / "models"
    copy_to(models["chat"], lmstudio / "pub" / "Tiny-GGUF" / "tiny.gguf")
    (home / "link.gguf").symlink_to(lmstudio / "pub" / "Tiny-GGUF" / "tiny.gguf")

    found = discover_models([lmstudio, home], home=home, environ=NO_ENV)

    assert [(m.name, m.source) for m in found if m.source != "default"] == [("pub/Tiny-GGUF/tiny.gguf", "lmstudio")]


# ----------------------------------------------------------------------------- the default model


def test_the_default_model_is_listed_but_never_assembled_by_discovery(home: Path) -> None:
    found = by_name(discover_models(home=home, environ=NO_ENV))

    default = found["default"]
    assert default.source == "default"
    assert default.info is None and default.error == NOT_ASSEMBLED
    assert default.path.name == "gemma-3-270m-q4_k_m.gguf"
    assert not default.path.exists()


def test_an_assembled_default_model_is_listed_with_its_header(home: Path, models: dict[str, Path]) -> None:
    first = discover_models(home=home, environ=NO_ENV)[0]
    copy_to(models["base"], first.path)  # stands in for the 253 MB file assemble() would write

    default = discover_models(home=home, environ=NO_ENV)[0]

    assert default.name == "default" and default.info is not None and default.error is None


def test_default_is_left_to_the_caller_and_not_resolved_here(home: Path, models: dict[str, Path]) -> None:
    copy_to(models["base"], discover_models(home=home, environ=NO_ENV)[0].path)

    with pytest.raises(ModelNotFound, match=r"resolved by penna\.writing\.registry"):
        resolve_model_reference("default", home=home, environ=NO_ENV)


# ----------------------------------------------------------------------------- resolving in general


def test_an_existing_file_path_resolves_to_itself(models: dict[str, Path]) -> None:
    assert resolve_model_reference(str(models["chat"]), []) == models["chat"]


def test_a_name_that_matches_nothing_raises_model_not_found_with_close_matches(
    home: Path, models: dict[str, Path]
) -> None:
    copy_to(models["chat"], home / ".lmstudio" / "models" / "pub" / "Qwen3-4B-GGUF" / "Qwen3-4B-Q4_K_M.gguf")
    found = discover_models(home=home, environ=NO_ENV)

    with pytest.raises(ModelNotFound) as raised:
        resolve_model_reference("pub/Qwen3-4B-GGUF/Qwen3-4B-Q5_K_M.gguf", found)

    message = str(raised.value)
    assert "'pub/Qwen3-4B-GGUF/Qwen3-4B-Q5_K_M.gguf' not found" in message
    assert "did you mean 'pub/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf'" in message
    assert "penna model list" in message
    assert isinstance(raised.value, LookupError)  # what penna.writing.registry catches


def test_a_listed_model_whose_file_is_missing_is_refused_with_the_reason(home: Path) -> None:
    write_manifest(home / ".ollama" / "models", "registry.ollama.ai", "library", "half-pulled", "latest",
                   [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "2" * 64}])
    found = discover_models(home=home, environ=NO_ENV)

    with pytest.raises(ModelNotFound, match="unusable: Ollama blob missing"):
        resolve_model_reference("ollama:half-pulled:latest", found)


def test_an_empty_reference_is_refused(home: Path) -> None:
    with pytest.raises(ModelNotFound, match="empty model reference"):
        resolve_model_reference("  ", [])


def test_discovery_without_headers_lists_paths_only(home: Path, models: dict[str, Path]) -> None:
    copy_to(models["chat"], home / ".lmstudio" / "models" / "pub" / "Tiny-GGUF" / "tiny.gguf")

    found = by_name(discover_models(home=home, environ=NO_ENV, read_headers=False))

    assert found["pub/Tiny-GGUF/tiny.gguf"].info is None and found["pub/Tiny-GGUF/tiny.gguf"].error is None


# ----------------------------------------------------------------------------- a real model, end to end


@pytest.mark.model
def test_a_real_model_in_an_ollama_store_resolves_through_its_manifest_and_loads(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default model laid out as `ollama pull gemma3:270m` would leave it (digest-named blob,
    manifest), found by the name users type, and loaded by llama.cpp from the blob."""
    from penna.writing.model import LlamaModel
    from penna.writing.registry import default_model_path, resolve_model

    store = home / ".ollama" / "models"
    source = default_model_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    blob = store / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True)
    try:
        os.link(source, blob)  # a hard link: a real file in the store, without copying 253 MB
    except OSError:
        shutil.copyfile(source, blob)
    write_manifest(store, "registry.ollama.ai", "library", "gemma3", "270m",
                   [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}",
                     "size": source.stat().st_size}])
    monkeypatch.setenv("HOME", str(home))  # where resolve_model's discovery looks, as for a real user
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)

    listed = by_name(discover_models(home=home, environ=NO_ENV))["ollama:gemma3:270m"]
    assert listed.info is not None and listed.info.architecture == "gemma3" and not listed.info.has_chat_template
    choice = resolve_model("ollama:gemma3:270m")
    assert choice.path == blob and choice.source == "ollama"
    model = LlamaModel.load(choice.path, n_ctx=512, threads=1, vocab_only=True)
    assert model.architecture == "gemma3" and model.count("Cold kitchen, slow dough.") > 3
