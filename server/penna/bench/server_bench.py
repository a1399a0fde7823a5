"""Figures through the real server over stdio: non-model request latency, memory, cancel, and
the first words of an expand asked for right after typing its bullets, or after a pause.

One session per vault. The server indexes it (into a cache the in-process run already filled,
so this is a reopen) and builds the style profile; requests are timed only after that, on notes
as they are on disk, without opening them (opening a note warms its prompt, which loads the
model: the memory figure "model not loaded" is taken before any note is opened).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from penna.bench.lsp_client import REQUEST_CANCELLED, LspClient, rss_mb
from penna.bench.workloads import Draft, Spot, Spots, bullet_text

METHODS = {"link": "textDocument/completion", "tag": "textDocument/completion",
           "action": "textDocument/codeAction", "hover": "textDocument/hover"}
CANCEL_DELAYS = (0.4, 1.5, 3.0)  # after progress begins: during prefill, early and later decode
# Requests timed while a generation runs: with 30, p95 is the second-slowest answer and the figure
# swings from run to run; 120 (all the full plan's link, tag and action spots) puts it at the sixth.
DURING_GENERATION_REQUESTS = 120
KEYSTROKE_SECONDS = 0.15  # between the typed lines of a bullet list


@dataclass
class ServerResults:
    ready_seconds: float = 0.0  # initialize → index reopened and profile built, in the server
    floor: list[float] = field(default_factory=list)  # an unknown method: the JSON-RPC round trip
    latencies: dict[str, list[float]] = field(default_factory=dict)  # per kind
    answered: dict[str, int] = field(default_factory=dict)  # non-empty answers per kind
    rss_idle: float = 0.0  # after initialize, no vault yet
    rss_indexed: float = 0.0  # vault indexed, profile built, requests served, model not loaded
    rss_model: float = 0.0  # after a generation: model loaded
    peak_model: float = 0.0
    cancel_client: list[float] = field(default_factory=list)  # cancel sent → cancelled answer read
    cancel_server: list[float] = field(default_factory=list)  # the server's own figure
    cancel_errors: list[str] = field(default_factory=list)
    during_generation: list[float] = field(default_factory=list)  # non-model requests while generating
    first_hover: list[float] = field(default_factory=list)  # the session's first hover on each paragraph
    first_hover_answered: int = 0
    typed_at_once: list[float] = field(default_factory=list)  # request → first words, asked at the last keystroke
    typed_paused: dict[float, list[float]] = field(default_factory=dict)  # … asked after a pause (seconds)
    stderr: str = ""

    def all_latencies(self) -> list[float]:
        return [s for samples in self.latencies.values() for s in samples]


def _params(spot: Spot) -> dict[str, Any]:
    params = spot.params()
    if spot.kind == "action":
        position = params.pop("position")
        params["range"] = {"start": position, "end": position}
        params["context"] = {"diagnostics": []}
    elif spot.kind in ("link", "tag"):
        params["context"] = {"triggerKind": 2, "triggerCharacter": "[" if spot.kind == "link" else "#"}
    return params


def _answered(kind: str, result: Any) -> bool:
    if kind in ("link", "tag"):
        items = result.get("items") if isinstance(result, dict) else result
        return bool(items)
    return bool(result)


async def wait_ready(client: LspClient, first: Spot, timeout: float = 600.0) -> float:
    """Make the server open the vault, then wait for its start-up indexing thread to finish."""
    started = time.perf_counter()
    await client.request(METHODS[first.kind], _params(first), timeout=timeout)
    while time.perf_counter() - started < timeout:
        status = await client.call("workspace/executeCommand", {"command": "penna.status", "arguments": []})
        if status.get("vaults") and status.get("indexing") is False:
            return time.perf_counter() - started
        await asyncio.sleep(0.1)
    raise TimeoutError("the server did not finish indexing in time")


async def time_requests(client: LspClient, spots: Spots, passes: int, results: ServerResults,
                        asked: Spot | None = None) -> None:
    """Each spot once (reading its note from disk once, as on open), then `passes` timed passes.
    In the first pass a hover is the session's first on its paragraph (one per note, `asked` by
    wait_ready left out): those are timed apart, as a writer meets hover on a fresh paragraph."""
    order = [s for row in zip_longest(*spots.by_kind().values()) for s in row if s is not None]  # kinds interleaved
    for spot in order:
        response = await client.request(METHODS[spot.kind], _params(spot))
        if spot.kind == "hover" and spot != asked:
            if response.error:
                raise RuntimeError(f"hover request failed: {response.error.get('message')}")
            results.first_hover.append(response.seconds)
            results.first_hover_answered += _answered("hover", response.result)
    for _ in range(passes):
        for spot in order:
            response = await client.request(METHODS[spot.kind], _params(spot))
            if response.error:
                raise RuntimeError(f"{spot.kind} request failed: {response.error.get('message')}")
            results.latencies.setdefault(spot.kind, []).append(response.seconds)
            results.answered[spot.kind] = results.answered.get(spot.kind, 0) + _answered(spot.kind, response.result)
    for _ in range(len(order) // 2 or 1):
        response = await client.request("penna/benchPing", {})
        results.floor.append(response.seconds)


async def _expand(client: LspClient, uri: str, text: str, bullets: str, version: int = 1,
                  cursor: bool = False) -> tuple[int, asyncio.Future[Any]]:
    """Expand `bullets` (a list in `text`): selected whole, or with `cursor` from a cursor on its
    first line, as an editor's expand command takes the list under the cursor."""
    start_line = text[: text.rindex(bullets)].count("\n")
    end_line = start_line if cursor else start_line + bullets.count("\n")
    data = {"uri": uri, "version": version, "range": {"start": {"line": start_line, "character": 0},
                                                      "end": {"line": end_line, "character": 0}}}
    return client.send("workspace/executeCommand", {"command": "penna.expand", "arguments": [data]})


async def _first_words(client: LspClient, uri: str, text: str, bullets: str, version: int) -> float:
    """Seconds from asking for the expand of `bullets` to its first words in the progress (the
    editor's view), after which it is cancelled: the rest is not timed."""
    mark = len(client.notifications)
    asked = time.perf_counter()
    request_id, future = await _expand(client, uri, text, bullets, version, cursor=True)
    words = await client.wait_for(lambda n: (n.method == "$/progress"
                                             and (n.params or {}).get("value", {}).get("kind") == "report"
                                             and bool((n.params or {}).get("value", {}).get("message"))),
                                  after=mark, timeout=120)
    client.cancel(request_id)
    await asyncio.wait_for(future, 60)
    return words.received - asked


async def _type_lines(client: LspClient, uri: str, text: str, typed: str, version: int) -> tuple[str, int]:
    """Type `typed` at the end of the document `text` (at `version`), a line at a time as a
    writer does; returns the new text and version."""
    for line in typed.splitlines(keepends=True):
        end_line = text.count("\n")
        end_char = len(text) - (text.rfind("\n") + 1)
        version += 1
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": end_line, "character": end_char},
                                          "end": {"line": end_line, "character": end_char}}, "text": line}]})
        text += line
        await asyncio.sleep(KEYSTROKE_SECONDS)
    return text, version


async def typing_phase(client: LspClient, vault: Path, note: Draft, typed: list[Draft], repeats: int,
                       pauses: Sequence[float], results: ServerResults) -> None:
    """A note open in the editor and a first action on it (which stops its opening's warm-up and
    evaluates the rest itself); then, per repeat, new bullet lists typed below it, one expanded at
    once and one after each of `pauses` (seconds from the last keystroke: a writer reading their
    bullets over before picking the action; in rotating order), each from a cursor on the list:
    the time to the first words the editor shows. The note is closed at the end."""
    path = vault / note.rel_path
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    uri = client.open(path, text)
    text, version = await _type_lines(client, uri, text, "\nFirst.\n\n" + bullet_text(note.bullets), 1)
    await _first_words(client, uri, text, bullet_text(note.bullets), version)  # the first action
    lists = iter(typed)
    ways = [0.0, *pauses]
    for number in range(repeats):
        for pause in ways[number % len(ways):] + ways[:number % len(ways)]:
            bullets = bullet_text(next(lists).bullets)
            # A line of prose first, so that the new bullets are a list of their own.
            text, version = await _type_lines(client, uri, text, "\nThen.\n\n" + bullets, version)
            await asyncio.sleep(pause)
            seconds = await _first_words(client, uri, text, bullets, version)
            (results.typed_paused.setdefault(pause, []) if pause else results.typed_at_once).append(seconds)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


async def _progress_begun(client: LspClient, after: int) -> None:
    await client.wait_for(lambda n: (n.method == "$/progress"
                                     and (n.params or {}).get("value", {}).get("kind") == "begin"),
                          after=after, timeout=120)


async def model_phase(client: LspClient, vault: Path, draft: Draft, spots: Spots, repeats: int,
                      results: ServerResults) -> None:
    """Open a note with bullets (its warm-up loads the model), then cancel expansions at several
    moments, and time non-model requests while a generation runs."""
    path = vault / draft.rel_path
    bullets = bullet_text(draft.bullets * 3)  # long enough that a generation is still running
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + bullets
    uri = client.open(path, text)
    for number in range(repeats):
        delay = CANCEL_DELAYS[number % len(CANCEL_DELAYS)]
        mark = len(client.notifications)
        request_id, future = await _expand(client, uri, text, bullets)
        await _progress_begun(client, mark)
        await asyncio.sleep(delay)
        if future.done():
            results.cancel_errors.append(f"the generation ended before the cancel at {delay:.1f} s")
            continue
        sent = client.cancel(request_id)
        response = await asyncio.wait_for(future, 30)
        if not response.error or response.error.get("code") != REQUEST_CANCELLED:
            results.cancel_errors.append(f"expected a cancelled answer, got {response.error or 'a result'}")
            continue
        results.cancel_client.append(response.received - sent)
        status = await client.call("workspace/executeCommand", {"command": "penna.status", "arguments": []})
        if status.get("lastCancelSeconds") is not None:
            results.cancel_server.append(status["lastCancelSeconds"])
    # Non-model requests while the model is busy: they must not wait behind it.
    mark = len(client.notifications)
    request_id, future = await _expand(client, uri, text, bullets)
    await _progress_begun(client, mark)
    await asyncio.sleep(0.5)
    quick = (spots.link + spots.tag + spots.action)[:DURING_GENERATION_REQUESTS]
    for spot in quick:
        if future.done():
            break
        response = await client.request(METHODS[spot.kind], _params(spot))
        results.during_generation.append(response.seconds)
    if not future.done():
        client.cancel(request_id)
    await asyncio.wait_for(future, 30)
    rss, peak = rss_mb(client.pid)
    results.rss_model, results.peak_model = rss, peak


async def run_session(vault: Path, cache_dir: Path, spots: Spots, *, settings: dict[str, Any], passes: int,
                      stderr_path: Path, draft: Draft | None = None, cancel_repeats: int = 0,
                      typed: list[Draft] | None = None, typing_repeats: int = 0,
                      typing_pauses: Sequence[float] = (), env: dict[str, str] | None = None) -> ServerResults:
    results = ServerResults()
    first = next((s for group in spots.by_kind().values() for s in group), None)
    if first is None:
        raise RuntimeError(f"no place to send requests to in {vault}")
    client = await LspClient.start(env={**(env or {}), "PENNA_CACHE_DIR": str(cache_dir)}, stderr_path=stderr_path)
    try:
        await client.initialize(vault, settings)
        await asyncio.sleep(0.3)
        results.rss_idle = rss_mb(client.pid)[0]
        results.ready_seconds = await wait_ready(client, first)
        await time_requests(client, spots, passes, results, asked=first)
        results.rss_indexed = rss_mb(client.pid)[0]
        if typed:
            await typing_phase(client, vault, typed[0], typed[1:], typing_repeats, typing_pauses, results)
        if draft is not None:
            await model_phase(client, vault, draft, spots, cancel_repeats, results)
    finally:
        await client.close()
        try:
            text = await asyncio.to_thread(stderr_path.read_text, encoding="utf-8", errors="replace")
            results.stderr = text[-2000:]
        except OSError:
            pass
    return results
