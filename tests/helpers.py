"""Small helpers for tests (importable as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def unprivileged(argv: list[str]) -> list[str]:
    """`argv` run as an unprivileged user. Root ignores permission bits, so permission tests
    drop to `nobody` with setpriv; a normal user runs the command as is."""
    import os
    import shutil

    import pytest

    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits would not be enforced")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
