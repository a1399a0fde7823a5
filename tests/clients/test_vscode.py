"""The VS Code extension (clients/vscode): install, compile, lint and unit-test it with npm,
then run its protocol-level end-to-end test against the real server and model. VS Code itself
is not available here; the e2e test speaks LSP over stdio exactly as the extension's client
would, with the server command resolved by the extension's own code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # npm ci, tsc, eslint and packaging take a minute
EXTENSION = Path(__file__).resolve().parents[2] / "clients" / "vscode"


def npm() -> str:
    found = shutil.which("npm")
    if not found or not shutil.which("node"):
        pytest.fail("node and npm are needed for the VS Code extension tests (Node 20+): install them, "
                    "e.g. apt-get install nodejs npm, or from https://nodejs.org")
    return found


def run(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([npm(), *args], cwd=EXTENSION, capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)
    assert proc.returncode == 0, (f"`npm {' '.join(args)}` failed in {EXTENSION} (exit {proc.returncode})\n"
                                  f"stdout:\n{proc.stdout[-5000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def compiled() -> None:
    if not (EXTENSION / "node_modules").is_dir():
        run("ci", timeout=900)
    run("run", "compile")


def test_lint_and_typecheck(compiled: None) -> None:
    run("run", "lint")


def test_unit_tests(compiled: None) -> None:
    out = run("test").stdout
    assert "# fail 0" in out and "# pass" in out, out[-3000:]


def test_package_vsix(compiled: None) -> None:
    vsix = EXTENSION / "penna.vsix"
    vsix.unlink(missing_ok=True)
    run("run", "package")
    try:
        names = zipfile.ZipFile(vsix).namelist()
    finally:
        vsix.unlink(missing_ok=True)
    assert "extension/out/extension.js" in names
    assert "extension/node_modules/vscode-languageclient/package.json" in names  # runtime deps are shipped
    assert not any(n.startswith(("extension/src/", "extension/out/test/", "extension/out/e2e/")) for n in names)


@pytest.mark.e2e
@pytest.mark.model
@pytest.mark.timeout(1500)  # two generations (a code action, a preview); slow on a loaded machine
def test_expand_code_action_end_to_end(compiled: None) -> None:
    env = dict(os.environ, PENNA_SERVER_COMMAND=json.dumps([sys.executable, "-m", "penna", "serve"]))
    out = run("run", "test:e2e", timeout=1400, env=env).stdout
    assert "# pass 2" in out and "# fail 0" in out, out[-3000:]
